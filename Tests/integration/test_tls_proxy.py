"""HTTPS with a private CA (`ca_file`), host-name checks, and proxies from the environment
(HTTPS_PROXY / https_proxy / NO_PROXY / http_proxy), through a CONNECT proxy on loopback.
TLS verification is never turned off: a certificate the hook cannot verify fails the job."""

from __future__ import annotations

import pytest

from testkit.golden import run_admin
from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.issuer import DISCOVERY_PATH
from testkit.mapping import DEFAULT_RULES, mapping_toml, write_mapping
from testkit.net import free_port
from testkit.proxy import ConnectProxy
from testkit.tls import TestCA, HTTPSIssuer, HTTPSSTSDouble


def serving(server):
    """Fixture body: the server, running for the test."""
    with server:
        yield server


@pytest.fixture
def ca(tmp_path):
    return TestCA(tmp_path / "pki")


@pytest.fixture
def tls_sts(ca):
    yield from serving(HTTPSSTSDouble(ca))


@pytest.fixture
def proxy():
    yield from serving(ConnectProxy())


# --- private CA --------------------------------------------------------------------------


def test_an_unknown_ca_is_refused_and_not_retried(hook, make_mapping, issuer, tls_sts, env_file):
    before = env_file.write(b"")
    token = issuer.mint()
    r = hook(make_mapping(sts_endpoint=tls_sts.url), token=token)
    assert_exit(r, 1, "TLS verification failed", "certificate", "ca_file")
    assert tls_sts.tls_failures == 1 and tls_sts.assume_count == 0
    env_file.assert_unchanged(before)
    assert_no_secrets(r, token=token)


def test_ca_file_makes_the_private_ca_trusted(hook, make_mapping, issuer, tls_sts, env_file, ca):
    token = issuer.mint()
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(ca.ca_file)), token=token)
    assert_exit(r, 0)
    assert tls_sts.assume_count == 1 and tls_sts.tls_failures == 0
    assert_credentials_appended(b"", env_file.read())
    assert_no_secrets(r, token=token, secrets=tls_sts.secrets())


def test_ca_file_of_another_ca_is_refused(hook, make_mapping, issuer, tls_sts, env_file, tmp_path):
    other = TestCA(tmp_path / "other", name="other CA")
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(other.ca_file)), token=issuer.mint())
    assert_exit(r, 1, "TLS verification failed")
    assert tls_sts.assume_count == 0


def test_a_certificate_for_another_host_is_refused(hook, make_mapping, issuer, env_file, tmp_path):
    wrong = TestCA(tmp_path / "wrong", server_names=["sts.other.example"])
    with HTTPSSTSDouble(wrong) as server:
        r = hook(make_mapping(sts_endpoint=server.url, ca_file=str(wrong.ca_file)), token=issuer.mint())
        assert server.assume_count == 0
    assert_exit(r, 1, "TLS verification failed", "127.0.0.1")


@pytest.mark.parametrize("content", [None, "not a certificate\n"], ids=["missing", "no certificate"])
def test_an_unusable_ca_file_is_named_by_the_call_that_needs_it(hook, make_mapping, issuer, tls_sts, env_file,
                                                                tmp_path, binary, base_env, content):
    """Loading the mapping does not read `ca_file`: the HTTPS call that needs it fails (exit 1)
    with a message that names it, and `check` warns about it."""
    junk = tmp_path / "junk.pem"
    if content is not None:
        junk.write_text(content)
    config = make_mapping(sts_endpoint=tls_sts.url, ca_file=str(junk))
    r = hook(config, token=issuer.mint())
    assert_exit(r, 1, f"cannot use the mapping's ca_file {junk}", "gitlab-oidc-aws check")
    assert tls_sts.assume_count == 0 and env_file.read() == b""
    checked = run_admin(binary, base_env, ["check", "--config", str(config)])
    assert checked.returncode == 0 and f"`ca_file` \"{junk}\"" in checked.stderr


def test_https_issuer_and_sts_with_one_ca_file(hook, key_pool, ca, tls_sts, cache_dir, tmp_path, env_file):
    with HTTPSIssuer(key_pool, ca) as issuer:
        config = write_mapping(tmp_path, mapping_toml(
            issuer=issuer.url, sts_endpoint=tls_sts.url, cache_dir=cache_dir, rules=DEFAULT_RULES,
            ca_file=str(ca.ca_file)))
        token = issuer.mint()
        r = hook(config, token=token)
        assert issuer.jwks_count == 1 and issuer.tls_failures == 0
    assert_exit(r, 0)
    assert tls_sts.assume_count == 1
    assert_no_secrets(r, token=token, secrets=tls_sts.secrets())


def test_without_ca_file_the_https_issuer_is_refused_too(hook, key_pool, ca, cache_dir, tmp_path, env_file, sts):
    with HTTPSIssuer(key_pool, ca) as issuer:
        config = write_mapping(tmp_path, mapping_toml(
            issuer=issuer.url, sts_endpoint=sts.url, cache_dir=cache_dir, rules=DEFAULT_RULES))
        r = hook(config, token=issuer.mint())
        assert issuer.count(DISCOVERY_PATH) == 0 and issuer.tls_failures == 1
    assert_exit(r, 1, "signing keys", "TLS verification failed", "ca_file")
    assert sts.assume_count == 0


# --- proxies -----------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_https_goes_through_the_proxy(hook, make_mapping, issuer, tls_sts, env_file, ca, proxy, variable):
    token = issuer.mint()
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(ca.ca_file)), token=token,
             extra_env={variable: proxy.url})
    assert_exit(r, 0)
    assert proxy.connects == [f"127.0.0.1:{tls_sts.port}"]
    assert proxy.forwarded == []  # the issuer is plain http://: HTTPS_PROXY does not apply
    assert tls_sts.assume_count == 1
    assert_credentials_appended(b"", env_file.read())
    assert_no_secrets(r, token=token, secrets=tls_sts.secrets())


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
def test_no_proxy_goes_direct(hook, make_mapping, issuer, tls_sts, env_file, ca, proxy, no_proxy):
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(ca.ca_file)), token=issuer.mint(),
             extra_env={"HTTPS_PROXY": proxy.url, "NO_PROXY": no_proxy})
    assert_exit(r, 0)
    assert proxy.connects == []
    assert tls_sts.assume_count == 1


@pytest.mark.parametrize("status", [403, 407])
def test_a_proxy_that_refuses_fails_at_once_and_hides_its_password(hook, make_mapping, issuer, tls_sts, env_file,
                                                                    ca, proxy, status):
    proxy.refuse(status)
    before = env_file.write(b"")
    proxy_url = f"http://ci-user:pr0xy-s3cret@127.0.0.1:{proxy.port}"
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(ca.ca_file)), token=issuer.mint(),
             extra_env={"HTTPS_PROXY": proxy_url})
    assert_exit(r, 1, "proxy refused", f"HTTP {status} to CONNECT",
                f"proxy settings: HTTPS_PROXY=http://***@127.0.0.1:{proxy.port}")
    assert "pr0xy-s3cret" not in r.output and "ci-user" not in r.output
    assert len(proxy.connects) == 1 and tls_sts.assume_count == 0
    env_file.assert_unchanged(before)


def test_a_proxy_that_is_down_is_retried_and_named(hook, make_mapping, issuer, tls_sts, env_file, ca):
    port = free_port()
    r = hook(make_mapping(sts_endpoint=tls_sts.url, ca_file=str(ca.ca_file), max_attempts=2), token=issuer.mint(),
             extra_env={"HTTPS_PROXY": f"http://127.0.0.1:{port}"})
    assert_exit(r, 1, "cannot connect", f"proxy settings: HTTPS_PROXY=http://127.0.0.1:{port}",
                "giving up after 2 attempts")
    assert tls_sts.assume_count == 0


def test_lower_case_http_proxy_applies_to_http_urls(hook, make_mapping, issuer, sts, env_file, proxy):
    r = hook(make_mapping(), token=issuer.mint(), extra_env={"http_proxy": proxy.url})
    assert_exit(r, 0)
    assert proxy.connects == []
    assert f"{issuer.url}{DISCOVERY_PATH}" in proxy.forwarded
    assert any(url.startswith(sts.url) for url in proxy.forwarded)


def test_upper_case_http_proxy_is_ignored_as_libcurl_does(hook, make_mapping, issuer, sts, env_file, proxy):
    r = hook(make_mapping(), token=issuer.mint(), extra_env={"HTTP_PROXY": proxy.url})
    assert_exit(r, 0)
    assert proxy.connects == [] and proxy.forwarded == []
