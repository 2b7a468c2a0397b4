"""Hostile input from the job (issue 14): numbers at the edges of their types in a correctly
signed token, FIFOs where the hook and `credential-process` read files, and proxy URLs whose
user name or password holds URL delimiters. Nothing may make `hook`, `explain` or
`credential-process` die of a signal, hang, or print a secret.

A process killed by a signal has a negative `returncode` here; a hang ends in
`subprocess.TimeoutExpired` after `HANG_LIMIT` seconds (the process is killed), which fails
the test. Python's `json` writes the numbers exactly as given (`9223372036854775807`,
`1e+300`)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.net import free_port

# A hook that needs this long is hanging (the fast runs here take well under a second).
HANG_LIMIT = 30
FAST_RETRIES = {"max_attempts": 2, "deadline": 10, "connect_timeout": 1, "request_timeout": 3}
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)


def run(argv, env, timeout=HANG_LIMIT):
    return subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=timeout)


def assert_not_killed(result):
    assert result.returncode >= 0, f"killed by signal {-result.returncode}\nstderr: {result.stderr}"


# --- token dates at the edges of their types -----------------------------------------------

# (claim, value): every one is refused with a message naming the claim, before any key fetch.
EDGE_DATES = [
    ("exp", INT64_MAX), ("exp", INT64_MIN), ("nbf", INT64_MIN), ("nbf", INT64_MAX), ("iat", INT64_MAX),
    ("iat", INT64_MIN), ("exp", 1e300), ("exp", -1e300), ("nbf", 1e19), ("exp", -1), ("exp", 253402300800),
    ("exp", "1800000000"), ("nbf", [1]), ("exp", True),
]


def edge_token(issuer, claim, value):
    return issuer.mint(**{claim: value})


@pytest.mark.parametrize(("claim", "value"), EDGE_DATES, ids=[f"{c}={v!r}" for c, v in EDGE_DATES])
def test_the_hook_refuses_dates_out_of_range_and_names_the_claim(claim, value, hook, make_mapping, issuer, sts,
                                                                   env_file):
    before = env_file.write(b"KEEP=1\n")
    token = edge_token(issuer, claim, value)
    r = hook(make_mapping(**FAST_RETRIES), token=token, timeout=HANG_LIMIT)
    assert_not_killed(r)
    assert_exit(r, 1, f"`{claim}` claim", "not a date between 1970 and 9999")
    env_file.assert_unchanged(before)
    assert sts.assume_count == 0 and issuer.jwks_count == 0
    assert_no_secrets(r, token=token)


@pytest.mark.parametrize(("claim", "value"), [("exp", INT64_MAX), ("nbf", INT64_MIN), ("exp", 1e300)])
def test_explain_refuses_dates_out_of_range(claim, value, binary, base_env, make_mapping, issuer, tmp_path):
    token_file = tmp_path / "token.jwt"
    token_file.write_text(edge_token(issuer, claim, value))
    r = run([binary, "explain", "--config", make_mapping(), "--token-file", token_file], base_env)
    assert_not_killed(r)
    assert_exit(r, 1, f"`{claim}` claim", "not a date")
    assert r.stdout == ""


@pytest.mark.parametrize(("claim", "value"), [("exp", INT64_MAX), ("nbf", INT64_MIN), ("exp", 1e300)])
def test_credential_process_refuses_dates_out_of_range(claim, value, binary, base_env, make_mapping, issuer, sts,
                                                       tmp_path):
    token_file = tmp_path / "token.jwt"
    token_file.write_text(edge_token(issuer, claim, value))
    r = run([binary, "credential-process", "--config", make_mapping(output="profile"), "--token-file", token_file,
             "--rule", "2"], base_env)
    assert_not_killed(r)
    assert_exit(r, 1, f"`{claim}` claim", "not a date")
    assert r.stdout == "" and sts.assume_count == 0


def test_fractional_and_early_dates_are_accepted(hook, make_mapping, issuer, sts, env_file):
    claims = issuer.claims()
    token = issuer.mint(exp=claims["exp"] + 0.75, nbf=0, iat=float(claims["iat"]))
    r = hook(make_mapping(), token=token)
    assert_exit(r, 0)
    assert_credentials_appended(b"", env_file.read())


# --- FIFOs where files are read --------------------------------------------------------------


@pytest.mark.parametrize("output", ["web-identity", "profile"])
def test_a_fifo_at_the_token_file_does_not_hang_the_hook(output, hook, make_mapping, issuer, sts, env_file):
    """The hook compares the job files an earlier run wrote with what it would write; a job
    can put a FIFO there. The hook replaces it with the file and carries on."""
    folder = env_file.path.parent / "gitlab-oidc-aws"
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / "AWS_ID_TOKEN.jwt", 0o600)
    token = issuer.mint()
    r = hook(make_mapping(output=output), token=token, timeout=HANG_LIMIT)
    assert_exit(r, 0)
    assert (folder / "AWS_ID_TOKEN.jwt").read_text() == token
    assert env_file.values()["GITLAB_OIDC_AWS_ROLE_ARN"]
    assert_no_secrets(r, token=token)


@pytest.mark.parametrize("output", ["env", "web-identity"])
def test_a_fifo_as_env_file_is_refused_without_hanging(output, hook, make_mapping, issuer, sts, tmp_path):
    """Reading the env file back (reuse) and appending to it: a FIFO is refused even while
    something holds it open for reading, so that opening it for writing succeeds."""
    fifo = tmp_path / "fifo-job.tmp" / "gitlab_runner_env"
    fifo.parent.mkdir()
    os.mkfifo(fifo, 0o600)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        token = issuer.mint()
        r = hook(make_mapping(output=output), token=token, env_file=fifo, timeout=HANG_LIMIT)
        assert_exit(r, 1, "not a regular file")
        assert os.read(reader, 4096) == b"", "nothing is written into the FIFO"
    finally:
        os.close(reader)
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.fixture
def profile_job(hook, make_mapping, issuer, sts, env_file):
    """A hook run with output = "profile": returns (credential-process argv, folder, token)."""
    token = issuer.mint()
    config = make_mapping(output="profile")
    assert_exit(hook(config, token=token), 0)
    folder = env_file.path.parent / "gitlab-oidc-aws"
    argv = ["credential-process", "--config", config, "--token-file", folder / "AWS_ID_TOKEN.jwt", "--rule", "2",
            "--cache", folder / "cache-rule-2.json"]
    return argv, folder, token


def test_a_fifo_as_credential_cache_is_ignored_and_replaced(profile_job, binary, base_env, sts):
    argv, folder, token = profile_job
    os.mkfifo(folder / "cache-rule-2.json", 0o600)
    r = run([binary, *argv], base_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["AccessKeyId"] == sts.issued[-1].access_key_id
    assert json.loads((folder / "cache-rule-2.json").read_text())["AccessKeyId"] == sts.issued[-1].access_key_id
    assert_no_secrets([r.stderr], token=token, secrets=sts.secrets())


@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink-to-fifo"])
def test_credential_process_refuses_a_token_file_that_is_no_file(kind, profile_job, binary, base_env, sts, tmp_path):
    argv, folder, token = profile_job
    token_file = folder / "AWS_ID_TOKEN.jwt"
    token_file.unlink()
    if kind == "fifo":
        os.mkfifo(token_file, 0o600)
    elif kind == "directory":
        token_file.mkdir()
    else:
        os.mkfifo(tmp_path / "elsewhere", 0o600)
        token_file.symlink_to(tmp_path / "elsewhere")
    r = run([binary, *argv[:-2]], base_env)
    assert_exit(r, 1, "not a regular file", str(token_file))
    assert r.stdout == "" and sts.assume_count == 0


# --- proxy URLs: nothing but scheme, host and port ------------------------------------------

# (variable, URL with {port}, secrets): user names and passwords with URL delimiters, a second
# `@` and percent escapes, in variables that apply to the http:// issuer and STS double.
# Nothing listens on the port, so every request fails and libcurl explains why, sometimes
# quoting the proxy URL. HTTPS_PROXY, which does not apply, holds other credentials.
PROXIES = [
    ("all_proxy", "http://deploy:s3cr#et@127.0.0.1:{port}", ["deploy", "s3cr#et"]),
    ("http_proxy", "http://u%40x:p%2Fw@127.0.0.1:{port}", ["u%40x", "p%2Fw"]),
    ("http_proxy", "http://ci-user@corp:pass@word@127.0.0.1:{port}", ["ci-user@corp", "pass@word"]),
    ("all_proxy", "http://proxyuser:sl/ash?q=1@127.0.0.1:{port}", ["proxyuser", "sl/ash?q=1"]),
    ("ALL_PROXY", "http://builder:%F0%9F%94%91k3y@127.0.0.1:{port}/path", ["builder", "%F0%9F%94%91k3y"]),
]
UNUSED_PROXY = ("HTTPS_PROXY", "http://other-user:0ther-s3cret@127.0.0.1:1", ["other-user", "0ther-s3cret"])


def forms(secret: str) -> set[str]:
    """The secret as written, percent-decoded, and percent-encoded with upper- and
    lower-case hex digits."""
    decoded = urllib.parse.unquote(secret)
    out = {secret, decoded}
    for text in (secret, decoded):
        encoded = urllib.parse.quote(text, safe="")
        out |= {encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)}
    return out


def assert_never_printed(result, secrets):
    for secret in secrets:
        for form in forms(secret):
            assert form not in result.stdout and form not in result.stderr, (
                f"{form!r} (a form of a proxy secret) printed:\n{result.stderr}")


@pytest.mark.parametrize(("variable", "url", "secrets"), PROXIES, ids=[p[1].split("@")[0] for p in PROXIES])
def test_proxy_credentials_never_reach_the_log(variable, url, secrets, hook, make_mapping, issuer, sts, env_file):
    port = free_port()
    token = issuer.mint()
    r = hook(make_mapping(**FAST_RETRIES), token=token,
             extra_env={variable: url.format(port=port), UNUSED_PROXY[0]: UNUSED_PROXY[1]})
    assert_never_printed(r, secrets + UNUSED_PROXY[2])
    assert_exit(r, 1, "signing keys", f"{variable}=http://***@127.0.0.1:{port}")
    assert_no_secrets(r, token=token)


@pytest.mark.parametrize(("variable", "url", "secrets"), PROXIES[:2], ids=["hash", "percent"])
def test_proxy_credentials_never_reach_explain_either(variable, url, secrets, binary, base_env, make_mapping, issuer,
                                                      tmp_path):
    token_file = tmp_path / "token.jwt"
    token_file.write_text(issuer.mint())
    env = dict(base_env, **{variable: url.format(port=free_port())})
    r = run([binary, "explain", "--config", make_mapping(**FAST_RETRIES), "--token-file", token_file], env)
    assert_never_printed(r, secrets)
    assert_exit(r, 1, "signing keys")
