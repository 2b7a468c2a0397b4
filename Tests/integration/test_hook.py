"""`gitlab-oidc-aws hook` run directly, against the local issuer and the STS double."""

from __future__ import annotations

import time

import pytest

from testkit import tokens
from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets, parse_rfc3339
from testkit.mapping import PROJECT_ROLE, write_mapping

PREFILL = b"EXISTING=1\nSPACES=a b  c\nEQUALS=x=y=z\n"
PREFILL_NO_NEWLINE = b"EXISTING=1\nLAST=no newline at end"


def check_refused(result, code, keywords, env_file, before, *, token=None, sts=None, sts_calls=0):
    """A run that must change nothing: exit code, stderr keywords, env file, STS calls, leaks."""
    assert_exit(result, code, *keywords)
    env_file.assert_unchanged(before)
    assert_no_secrets(result, token=token)
    if sts is not None:
        assert sts.assume_count == sts_calls, [r.form for r in sts.assume_requests]


# --- success -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefill", [b"", PREFILL, PREFILL_NO_NEWLINE], ids=["empty", "lines", "no-newline"])
def test_success_appends_credentials(hook, make_mapping, issuer, sts, env_file, prefill):
    before = env_file.write(prefill)
    token = issuer.mint()
    r = hook(make_mapping(), token=token)
    assert_exit(r, 0)
    pairs = assert_credentials_appended(before, env_file.read())
    creds = sts.issued[-1]
    assert pairs["AWS_ACCESS_KEY_ID"] == creds.access_key_id
    assert pairs["AWS_SECRET_ACCESS_KEY"] == creds.secret_access_key
    assert pairs["AWS_SESSION_TOKEN"] == creds.session_token
    assert pairs["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE
    assert pairs["AWS_REGION"] == pairs["AWS_DEFAULT_REGION"] == "us-east-1"
    (req,) = sts.assume_requests
    assert req.method == "POST"
    assert req.form["Action"] == "AssumeRoleWithWebIdentity" and req.form["Version"] == "2011-06-15"
    assert req.form["RoleArn"] == PROJECT_ROLE
    assert req.form["RoleSessionName"] == "gitlab-42-1001"
    assert req.token == token
    assert req.form.get("DurationSeconds", "3600") == "3600"
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_success_region_and_expiration(hook, make_mapping, issuer, sts, env_file):
    sts.credential_lifetime = 1800
    r = hook(make_mapping(region="eu-west-1"), token=issuer.mint())
    assert_exit(r, 0)
    pairs = assert_credentials_appended(b"", env_file.read())
    assert pairs["AWS_REGION"] == pairs["AWS_DEFAULT_REGION"] == "eu-west-1"
    expiry = parse_rfc3339(pairs["AWS_CREDENTIAL_EXPIRATION"]).timestamp()
    assert abs(expiry - sts.issued[-1].expiration) < 2


def test_env_file_argument_wins_over_gitlab_env(hook, make_mapping, issuer, sts, env_file, tmp_path):
    other = tmp_path / "explicit_env"
    other.write_bytes(b"")
    before = env_file.write(PREFILL)
    r = hook(make_mapping(), token=issuer.mint(), env_file_arg=other)
    assert_exit(r, 0)
    env_file.assert_unchanged(before)
    assert_credentials_appended(b"", other.read_bytes())


def test_env_file_argument_without_gitlab_env(hook, make_mapping, issuer, sts, tmp_path):
    target = tmp_path / "explicit_env"
    target.write_bytes(PREFILL_NO_NEWLINE)
    r = hook(make_mapping(), token=issuer.mint(), env_file=None, env_file_arg=target)
    assert_exit(r, 0)
    assert_credentials_appended(PREFILL_NO_NEWLINE, target.read_bytes())


@pytest.mark.parametrize("outcome", ["success", "failure"])
def test_debug_trace_never_prints_secrets(hook, make_mapping, issuer, sts, env_file, outcome):
    if outcome == "failure":
        sts.error("AccessDenied")
    token = issuer.mint()
    r = hook(make_mapping(), token=token, extra_env={"CI_DEBUG_TRACE": "true"})
    assert_exit(r, 0 if outcome == "success" else 1)
    assert_no_secrets(r, token=token, secrets=sts.secrets())


# --- nothing to do -----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
def test_no_token_skips(hook, make_mapping, sts, env_file, token):
    before = env_file.write(PREFILL_NO_NEWLINE)
    r = hook(make_mapping(), token=token)
    check_refused(r, 0, [], env_file, before, sts=sts)


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
def test_a_tokenless_job_is_never_touched_even_with_on_no_token_fail(hook, make_mapping, sts, env_file, token):
    """Contract: a job without any ID token gets exit 0 and no line, whatever the mapping says."""
    before = env_file.write(PREFILL)
    r = hook(make_mapping(on_no_token="fail"), token=token)
    check_refused(r, 0, [], env_file, before, sts=sts)
    assert r.stderr == "" and r.stdout == ""


def test_no_token_fails_when_configured(hook, make_mapping, issuer, sts, env_file):
    """A job that holds an ID token, but not in any of `token_variables`."""
    before = env_file.write(PREFILL)
    token = issuer.mint()
    r = hook(make_mapping(on_no_token="fail"), token=token, token_variable="OTHER_ID_TOKEN")
    check_refused(r, 1, ["AWS_ID_TOKEN", "on_no_token", "id_tokens", "the pipeline's to fix"], env_file, before,
                  token=token, sts=sts)


def test_no_matching_rule_skips(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(PREFILL)
    token = issuer.mint(project_path="other/project")
    r = hook(make_mapping(), token=token)
    check_refused(r, 0, [], env_file, before, token=token, sts=sts)


def test_no_matching_rule_fails_when_configured(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(PREFILL_NO_NEWLINE)
    token = issuer.mint(project_path="other/project")
    r = hook(make_mapping(on_no_match="fail"), token=token)
    check_refused(r, 1, [], env_file, before, token=token, sts=sts)


# --- rejected tokens ---------------------------------------------------------------------


def _expired(issuer):
    return issuer.mint(now=int(time.time()) - 1000)  # exp 700 s ago, far past any skew


@pytest.mark.parametrize("make_token,keyword", [
    (_expired, "expired"),
    (lambda i: i.mint(aud="https://gitlab.example.com"), "audience"),
    (lambda i: i.mint(iss="https://gitlab.example.com"), "issuer"),
    (lambda i: tokens.malformed("base64"), "malformed"),
    (lambda i: tokens.malformed("json"), "malformed"),
    (lambda i: tokens.malformed("garbage"), "malformed"),
    (lambda i: tokens.malformed("segments"), "malformed"),
], ids=["expired", "audience", "issuer", "malformed-base64", "malformed-json", "malformed-garbage",
        "malformed-segments"])
def test_rejected_token(hook, make_mapping, issuer, sts, env_file, make_token, keyword):
    before = env_file.write(PREFILL)
    token = make_token(issuer)
    r = hook(make_mapping(), token=token)
    check_refused(r, 1, [keyword], env_file, before, token=token, sts=sts)


@pytest.mark.parametrize("make_token", [
    lambda i: tokens.alg_none(i.claims()),
    lambda i: tokens.hs256_with_public_key(i.claims(), i.key),
    lambda i: tokens.tampered_payload(i.mint(), project_path="platform/infra"),
    lambda i: tokens.bad_signature(i.mint()),
    lambda i: i.mint(header_overrides={"kid": "unknown-kid"}),
], ids=["alg-none", "hs256-public-key", "tampered", "bad-signature", "unknown-kid"])
def test_forged_token(hook, make_mapping, issuer, sts, env_file, make_token):
    before = env_file.write(PREFILL_NO_NEWLINE)
    token = make_token(issuer)
    r = hook(make_mapping(), token=token)
    check_refused(r, 1, [], env_file, before, token=token, sts=sts)


def test_oversized_token(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(PREFILL)
    token = tokens.oversized(issuer.claims(), issuer.key)
    r = hook(make_mapping(), token=token)
    check_refused(r, 1, [], env_file, before, token=token)
    assert sts.issued == []


# --- STS refuses -------------------------------------------------------------------------


def test_sts_access_denied(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(PREFILL_NO_NEWLINE)
    message = "Not authorized to perform sts:AssumeRoleWithWebIdentity (trust policy says no)"
    sts.error("AccessDenied", times=None, message=message)
    token = issuer.mint()
    r = hook(make_mapping(), token=token)
    check_refused(r, 1, ["AccessDenied", message], env_file, before, token=token)
    assert sts.assume_count == 1, "AccessDenied is not worth retrying"


def test_sts_trust_policy_refuses_other_branch(hook, make_mapping, issuer, sts, env_file):
    sts.trust_sub("project_path:group/project:ref_type:branch:ref:main", role=PROJECT_ROLE)
    before = env_file.write(PREFILL)
    token = issuer.mint(ref="feature")
    r = hook(make_mapping(), token=token)
    check_refused(r, 1, ["AccessDenied"], env_file, before, token=token, sts=sts, sts_calls=1)


# --- configuration and usage -------------------------------------------------------------


@pytest.mark.parametrize("extra", ['colour = "red"\n', 'isuer = "x"\n', "[[rule]\n", 'region = \n'],
                         ids=["unknown-key", "typo-key", "bad-toml-table", "bad-toml-value"])
def test_invalid_config(hook, make_mapping, issuer, sts, env_file, extra):
    path = make_mapping()
    path.write_text(extra + path.read_text())
    before = env_file.write(PREFILL)
    token = issuer.mint()
    r = hook(path, token=token)
    check_refused(r, 2, ["the runner's configuration, not the pipeline's"], env_file, before, token=token, sts=sts)
    assert all(line.startswith("gitlab-oidc-aws: ") for line in r.stderr.splitlines()), r.stderr


@pytest.mark.parametrize("state", ["missing", "not-toml", "unknown-key", "unreadable"])
def test_a_tokenless_job_is_never_touched_whatever_the_mapping(hook, make_mapping, sts, env_file, tmp_path, state):
    path = make_mapping()
    if state == "missing":
        path = tmp_path / "absent.toml"
    elif state == "not-toml":
        path.write_text("[[rule]\n")
    elif state == "unknown-key":
        path.write_text('colour = "red"\n' + path.read_text())
    else:
        path.chmod(0)
    before = env_file.write(PREFILL)
    r = hook(path, token=None, extra_env={"GITLAB_ENV": None} if state == "missing" else None)
    check_refused(r, 0, [], env_file, before, sts=sts)
    assert (r.stdout, r.stderr) == ("", "")


def test_missing_config_file(hook, issuer, env_file, tmp_path):
    before = env_file.write(PREFILL)
    token = issuer.mint()
    r = hook(tmp_path / "does-not-exist.toml", token=token)
    check_refused(r, 2, [], env_file, before, token=token)


def test_no_env_file(hook, make_mapping, issuer, sts):
    token = issuer.mint()
    r = hook(make_mapping(), token=token, env_file=None)
    assert_exit(r, 2, "16.4", "--env-file")
    assert_no_secrets(r, token=token)
    assert sts.assume_count == 0


def test_unknown_key_is_named(hook, tmp_path, issuer, env_file):
    path = write_mapping(tmp_path, f'issuer = "{issuer.url}"\ncolour = "red"\n'
                                   '[[rule]]\nrole = "arn:aws:iam::111122223333:role/r"\n'
                                   'match = { project_path = "**" }\n')
    token = issuer.mint()
    r = hook(path, token=token)
    assert_exit(r, 2, "colour")
    assert_no_secrets(r, token=token)

