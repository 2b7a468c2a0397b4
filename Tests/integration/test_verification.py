"""Token verification (issue: verified tokens): every rejection has its own message, the STS
server sees no request, and the key-set cache and rotation behave as documented."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from testkit import tokens
from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.mapping import DEFAULT_RULES, mapping_toml, write_mapping

FAST_RETRIES = {"max_attempts": 3, "deadline": 10, "connect_timeout": 1, "request_timeout": 3}


def refused(result, env_file, before, sts, *keywords, token=None, code=1):
    """Exit code, message keywords, no change, no STS request, no leak."""
    assert_exit(result, code, *keywords)
    env_file.assert_unchanged(before)
    assert sts.assume_count == 0, "the STS server must not be asked"
    assert_no_secrets(result, token=token)


# --- one test per rejection -----------------------------------------------------------------

REJECTIONS = {
    "alg-none": (lambda i: tokens.alg_none(i.claims(), kid=i.key.kid), ["unsigned", "none"]),
    "hs256-confusion": (lambda i: tokens.hs256_with_public_key(i.claims(), i.key), ["HS256", "shared-secret"]),
    "hs512": (lambda i: tokens.hs256_with_public_key(i.claims(), i.key, alg="HS512"), ["HS512"]),
    "unknown-alg": (lambda i: tokens.encode(i.claims(), i.key, header_overrides={"alg": "ES256"}), ["unsupported", "ES256"]),
    "bad-signature": (lambda i: tokens.bad_signature(i.mint()), ["signature is not valid"]),
    "payload-changed": (lambda i: tokens.tampered_payload(i.mint(), project_path="platform/infra"), ["signature is not valid"]),
    "expired": (lambda i: i.mint(now=time.time() - 1000), ["expired"]),
    "not-yet-valid": (lambda i: i.mint(nbf=int(time.time()) + 600, exp=int(time.time()) + 900), ["not yet valid"]),
    "wrong-issuer": (lambda i: i.mint(iss="https://gitlab.evil.example"), ["issuer", "gitlab.evil.example"]),
    "wrong-audience": (lambda i: i.mint(aud="https://gitlab.example.com"), ["audience", "sts.amazonaws.com"]),
    "too-long": (lambda i: tokens.oversized(i.claims(), i.key), ["20000"]),
    "malformed-base64": (lambda i: tokens.malformed("base64"), ["malformed", "base64url"]),
    "malformed-json": (lambda i: tokens.malformed("json"), ["malformed", "JSON"]),
    "malformed-segments": (lambda i: tokens.malformed("segments"), ["malformed", "three"]),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_rejection(case, hook, make_mapping, issuer, sts, env_file):
    make_token, keywords = REJECTIONS[case]
    before = env_file.write(b"KEEP=1\n")
    token = make_token(issuer)
    r = hook(make_mapping(**FAST_RETRIES), token=token)
    refused(r, env_file, before, sts, *keywords, token=token)


def test_unknown_kid_refetches_once_then_fails(hook, make_mapping, issuer, sts, env_file, key_pool):
    stranger = key_pool.take()
    token = tokens.encode(issuer.claims(), stranger)
    before = env_file.snapshot()
    r = hook(make_mapping(**FAST_RETRIES), token=token)
    refused(r, env_file, before, sts, "not in the issuer's key set", stranger.kid, issuer.jwks_url, token=token)
    assert issuer.jwks_count == 2, "one fetch, then exactly one refetch for the unknown kid"


def test_key_of_another_issuer_with_the_same_kid_is_refused(hook, make_mapping, issuer, sts, env_file, key_pool):
    impostor = key_pool.take()
    token = tokens.encode(issuer.claims(), impostor, header_overrides={"kid": issuer.key.kid})
    r = hook(make_mapping(**FAST_RETRIES), token=token)
    refused(r, env_file, env_file.snapshot(), sts, "signature is not valid", token=token)


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
def test_every_rsa_algorithm_is_accepted(alg, hook, make_mapping, issuer, sts, env_file):
    before = env_file.snapshot()
    r = hook(make_mapping(), token=issuer.mint(alg=alg))
    assert_exit(r, 0)
    assert_credentials_appended(before, env_file.read())
    assert sts.assume_count == 1


# --- key set: discovery, override, cache, rotation ----------------------------------------


def test_keys_are_discovered_then_cached(hook, make_mapping, issuer, sts, env_file, cache_dir):
    config = make_mapping()
    assert_exit(hook(config, token=issuer.mint()), 0)
    assert (issuer.discovery_count, issuer.jwks_count) == (1, 1)
    files = list(cache_dir.iterdir())
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    cached = json.loads(files[0].read_text())
    assert cached["jwks_uri"] == issuer.jwks_url and cached["jwks"]["keys"][0]["kid"] == issuer.key.kid
    env_file.write(b"")
    assert_exit(hook(config, token=issuer.mint(job_id="1002")), 0)
    assert (issuer.discovery_count, issuer.jwks_count) == (1, 1), "the second job uses the cache"


def test_jwks_url_skips_discovery(hook, make_mapping, issuer, sts, env_file):
    r = hook(make_mapping(jwks_url=issuer.jwks_url), token=issuer.mint())
    assert_exit(r, 0)
    assert (issuer.discovery_count, issuer.jwks_count) == (0, 1)


def test_rotation_between_two_jobs(hook, make_mapping, issuer, sts, env_file):
    config = make_mapping()
    assert_exit(hook(config, token=issuer.mint()), 0)
    issuer.rotate()
    env_file.write(b"")
    r = hook(config, token=issuer.mint(job_id="1002"))
    assert_exit(r, 0)
    assert issuer.jwks_count == 2, "the unknown kid made the hook fetch the key set once more"
    assert sts.assume_count == 2


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"issuer": 1}', b"\x00\xff" * 100])
def test_corrupt_cache_is_ignored_and_replaced(damage, hook, make_mapping, issuer, sts, env_file, cache_dir):
    config = make_mapping()
    assert_exit(hook(config, token=issuer.mint()), 0)
    (cached,) = cache_dir.iterdir()
    cached.write_bytes(damage)
    env_file.write(b"")
    assert_exit(hook(config, token=issuer.mint(job_id="1002")), 0)
    assert issuer.jwks_count == 2
    assert json.loads(cached.read_text())["jwks"]["keys"][0]["kid"] == issuer.key.kid


def test_cache_written_by_someone_else_is_not_trusted(hook, make_mapping, issuer, sts, env_file, cache_dir):
    config = make_mapping()
    assert_exit(hook(config, token=issuer.mint()), 0)
    (cached,) = cache_dir.iterdir()
    os.chmod(cached, 0o666)
    env_file.write(b"")
    assert_exit(hook(config, token=issuer.mint(job_id="1002")), 0)
    assert issuer.jwks_count == 2, "a world-writable cache file is ignored"


def test_unusable_cache_dir_never_fails_the_job(hook, issuer, sts, env_file, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url,
                                                  cache_dir=blocker / "cache", rules=DEFAULT_RULES))
    r = hook(config, token=issuer.mint())
    assert_exit(r, 0, "cache not written")
    assert_credentials_appended(b"", env_file.read())


def test_expired_cache_is_refreshed(hook, make_mapping, issuer, sts, env_file, cache_dir):
    config = make_mapping()
    assert_exit(hook(config, token=issuer.mint()), 0)
    (cached,) = cache_dir.iterdir()
    document = json.loads(cached.read_text())
    document["fetched_at"] -= 3601
    cached.write_text(json.dumps(document))
    env_file.write(b"")
    assert_exit(hook(config, token=issuer.mint(job_id="1002")), 0)
    assert issuer.jwks_count == 2


# --- the issuer cannot be reached -----------------------------------------------------------


def test_issuer_down_names_the_url_and_cause(hook, make_mapping, issuer, sts, env_file):
    config = make_mapping(**FAST_RETRIES)
    token = issuer.mint()
    issuer.stop()
    try:
        r = hook(config, token=token)
    finally:
        issuer.start()
    refused(r, env_file, env_file.snapshot(), sts, "/.well-known/openid-configuration", "connect", token=token)
    assert r.stderr.count("attempt") >= 3, "transient failures are retried, one log line each"


def test_issuer_errors_are_retried_then_reported(hook, make_mapping, issuer, sts, env_file):
    issuer.fail(503, path="/oauth/discovery/keys", times=None)
    token = issuer.mint()
    r = hook(make_mapping(**FAST_RETRIES), token=token)
    refused(r, env_file, env_file.snapshot(), sts, "HTTP 503", issuer.jwks_url, token=token)
    assert issuer.jwks_count == 3


def test_issuer_recovers_within_the_retries(hook, make_mapping, issuer, sts, env_file):
    issuer.fail(500, path="/oauth/discovery/keys", times=2)
    r = hook(make_mapping(**FAST_RETRIES), token=issuer.mint())
    assert_exit(r, 0)
    assert issuer.jwks_count == 3


def test_discovery_for_another_issuer_is_refused(hook, make_mapping, issuer, sts, env_file):
    issuer.set_discovery(dict(issuer.discovery(), issuer="https://gitlab.evil.example"))
    r = hook(make_mapping(**FAST_RETRIES), token=issuer.mint())
    refused(r, env_file, env_file.snapshot(), sts, "gitlab.evil.example")


def test_jwks_without_rsa_keys_is_refused(hook, make_mapping, issuer, sts, env_file):
    issuer.set_jwks({"keys": [{"kty": "EC", "kid": "x", "crv": "P-256", "x": "AA", "y": "AA"}]})
    r = hook(make_mapping(**FAST_RETRIES), token=issuer.mint())
    refused(r, env_file, env_file.snapshot(), sts, "no RSA signing key")


# --- explain uses the same verification -----------------------------------------------------


def run_explain(binary, base_env, config, token_file, *extra):
    proc = subprocess.run([str(binary), "explain", "--config", str(config), "--token-file", str(token_file), *extra],
                          env=base_env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    return proc


def test_explain_verifies_the_token(binary, base_env, make_mapping, issuer, tmp_path):
    config = make_mapping(**FAST_RETRIES)
    token_file = tmp_path / "token"
    token_file.write_text(issuer.mint(now=time.time() - 1000) + "\n")
    proc = run_explain(binary, base_env, config, token_file)
    assert proc.returncode == 1 and "expired" in proc.stderr
    proc = run_explain(binary, base_env, config, token_file, "--no-verify")
    assert proc.returncode == 0, proc.stderr
    token_file.write_text(tokens.bad_signature(issuer.mint()))
    proc = run_explain(binary, base_env, config, token_file)
    assert proc.returncode == 1 and "signature is not valid" in proc.stderr
    assert_no_secrets([proc.stdout, proc.stderr], token=token_file.read_text())
