"""STS faults: which ones the hook rides out by retrying, which ones stop it at once, and
what it says. Every test checks the exit code, how many AssumeRoleWithWebIdentity requests
the STS double saw, the message, one log line per failed attempt, and that nothing secret
was printed and a failed run left the env file as it was."""

from __future__ import annotations

import re

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.net import QuietHandler
from testkit.sts_double import Behaviour, Fault

ATTEMPT_LINE = re.compile(r"^gitlab-oidc-aws: STS AssumeRoleWithWebIdentity: attempt (\d+) of (\d+) (failed|succeeded)",
                          re.MULTILINE)


def attempt_lines(result) -> list[tuple[int, int, str]]:
    return [(int(a), int(b), outcome) for a, b, outcome in ATTEMPT_LINE.findall(result.stderr)]


def run(hook, make_mapping, issuer, env_file, **settings):
    """Run the hook with a fresh token and `settings` in the mapping; returns (result, token, before)."""
    before = env_file.write(b"EXISTING=1\n")
    token = issuer.mint()
    return hook(make_mapping(**settings), token=token), token, before


def check_success(result, sts, env_file, before, token, requests: int) -> None:
    assert_exit(result, 0)
    assert sts.assume_count == requests
    assert_credentials_appended(before, env_file.read())
    lines = attempt_lines(result)
    assert [outcome for *_, outcome in lines] == ["failed"] * (requests - 1) + (["succeeded"] if requests > 1 else [])
    assert_no_secrets(result, token=token, secrets=sts.secrets())


def check_failure(result, sts, env_file, before, token, requests: int, *keywords: str) -> None:
    assert_exit(result, 1, *keywords)
    assert sts.assume_count == requests, [r.form.get("Action") for r in sts.requests]
    env_file.assert_unchanged(before)
    lines = attempt_lines(result)
    assert [n for n, _, _ in lines] == list(range(1, requests + 1)), result.stderr
    assert all(outcome == "failed" for *_, outcome in lines)
    assert_no_secrets(result, token=token, secrets=sts.secrets())


# --- ridden out ------------------------------------------------------------------------------


def test_throttling_is_retried_until_sts_answers(hook, make_mapping, issuer, sts, env_file):
    sts.throttle(times=3)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_success(r, sts, env_file, before, token, requests=4)
    assert "Throttling" in r.stderr and "retrying in" in r.stderr
    assert "attempt 4 of 5 succeeded" in r.stderr


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(hook, make_mapping, issuer, sts, env_file, status):
    sts.server_error(times=2, status=status)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_success(r, sts, env_file, before, token, requests=3)
    assert f"HTTP {status}" in r.stderr


def test_idp_communication_error_is_retried(hook, make_mapping, issuer, sts, env_file):
    sts.error("IDPCommunicationError", times=2)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_success(r, sts, env_file, before, token, requests=3)


def test_invalid_identity_token_is_retried_once_aws_can_fetch_the_keys(hook, make_mapping, issuer, sts, env_file):
    sts.error("InvalidIdentityToken", times=2)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_success(r, sts, env_file, before, token, requests=3)


@pytest.mark.parametrize("fault", [
    Fault.reset(), Fault.html_500(), Fault.malformed_xml(), Fault.truncated_xml(),
    Fault.truncated_xml(short_transfer=True), Fault.raw(502, "bad gateway", "text/plain"),
], ids=["reset", "html-500", "malformed-xml", "truncated-xml", "short-transfer", "502-text"])
def test_one_broken_answer_is_ridden_out(hook, make_mapping, issuer, sts, env_file, fault):
    sts.fault(fault)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_success(r, sts, env_file, before, token, requests=2)


def test_a_slow_answer_is_abandoned_and_the_next_attempt_succeeds(hook, make_mapping, issuer, sts, env_file):
    sts.slow(30)
    r, token, before = run(hook, make_mapping, issuer, env_file, request_timeout=1, connect_timeout=1)
    check_success(r, sts, env_file, before, token, requests=2)
    assert "did not answer in time" in r.stderr


# --- given up on after the attempts ------------------------------------------------------------


def test_server_errors_forever_stop_after_max_attempts(hook, make_mapping, issuer, sts, env_file):
    sts.server_error(times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_failure(r, sts, env_file, before, token, 5, "InternalFailure", "HTTP 500", "giving up after 5 attempts")


def test_max_attempts_is_configurable(hook, make_mapping, issuer, sts, env_file):
    sts.throttle(times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file, max_attempts=2)
    check_failure(r, sts, env_file, before, token, 2, "Throttling", "giving up after 2 attempts")


def test_invalid_identity_token_gets_only_three_attempts(hook, make_mapping, issuer, sts, env_file):
    sts.error("InvalidIdentityToken", times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_failure(r, sts, env_file, before, token, 3, "InvalidIdentityToken", "IAM OIDC provider")
    assert "attempt 3 of 5 failed; not retrying" in r.stderr


@pytest.mark.parametrize("fault,keywords", [
    (Fault.reset(), ("connection", "broke")),
    (Fault.html_500(), ("HTTP 500", "an HTML page")),
    (Fault.malformed_xml(), ("HTTP 200", "malformed XML")),
    (Fault.truncated_xml(), ("HTTP 200", "truncated XML")),
    (Fault.truncated_xml(short_transfer=True), ("broke before the whole answer arrived",)),
], ids=["reset", "html-500", "malformed-xml", "truncated-xml", "short-transfer"])
def test_broken_answers_forever_fail_with_a_clear_message(hook, make_mapping, issuer, sts, env_file, fault, keywords):
    sts.fault(fault, times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file, max_attempts=3)
    check_failure(r, sts, env_file, before, token, 3, *keywords, "giving up after 3 attempts")


def test_slow_forever_fails_in_bounded_time_and_says_so(hook, make_mapping, issuer, sts, env_file):
    sts.slow(60, times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file, request_timeout=1, connect_timeout=0.5,
                           max_attempts=2)
    check_failure(r, sts, env_file, before, token, 2, "no complete answer", "within 1 s", "request_timeout")


def test_the_deadline_ends_the_attempts(hook, make_mapping, issuer, sts, env_file):
    sts.slow(60, times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file, request_timeout=1, connect_timeout=0.5,
                           max_attempts=20, deadline=2.5)
    assert_exit(r, 1, "deadline", "did not answer in time")
    attempts = len(attempt_lines(r))
    assert 2 <= attempts <= 4, r.stderr
    # The last attempt may get so little time that its request never reaches the double.
    assert attempts - 1 <= sts.assume_count <= attempts
    env_file.assert_unchanged(before)
    assert_no_secrets(r, token=token)


# --- refused at once ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["AccessDenied", "ExpiredTokenException", "MalformedPolicyDocument",
                                  "ValidationError", "IDPRejectedClaim", "RegionDisabledException"])
def test_client_errors_are_never_retried(hook, make_mapping, issuer, sts, env_file, code):
    sts.error(code, times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_failure(r, sts, env_file, before, token, 1, code, "not retrying")


class _ChunkedOversized(Behaviour):
    """A success document padded past 1 MiB, sent chunked: no Content-Length to judge by."""

    def respond(self, sts, h: QuietHandler, req):
        body = sts._success_body(req, record=False)
        head, tail = body.split(b"\n", 1)
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        try:
            for part in [head + b"\n<!-- "] + [b"x" * 65536] * 24 + [b" -->\n" + tail]:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the hook hung up once it had seen enough
        h.close_connection = True


@pytest.mark.parametrize("fault", [Fault.oversized(2 * 1024 * 1024), _ChunkedOversized()],
                         ids=["content-length", "chunked"])
def test_an_oversized_answer_is_refused_without_retrying(hook, make_mapping, issuer, sts, env_file, fault):
    sts.fault(fault, times=None)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_failure(r, sts, env_file, before, token, 1, "larger than 1024 KiB", "refused")


def test_a_hostile_error_message_cannot_forge_log_lines(hook, make_mapping, issuer, sts, env_file):
    forged = "gitlab-oidc-aws: assumed arn:aws:iam::111122223333:role/admin via rule 1"
    sts.error("AccessDenied", times=None, message="denied\n" + forged + "\r\n" + "x" * 5000)
    r, token, before = run(hook, make_mapping, issuer, env_file)
    check_failure(r, sts, env_file, before, token, 1, "AccessDenied")
    assert not any(line.startswith("gitlab-oidc-aws: assumed") for line in r.stderr.splitlines())
    assert max(len(line) for line in r.stderr.splitlines()) < 2000

