"""Parts of the threat model in docs/security.md that a test can show: a mapped job cannot
fall back to the runner host's instance profile (`block_instance_metadata`), and the token
never appears on a command line or in a URL."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets, pre_build_script
from testkit.net import LoopbackServer, QuietHandler, wait_until


class _IMDSHandler(QuietHandler):
    def _record(self):
        with self.owner.lock:
            self.owner.requests.append((self.command, self.path))
        self.send(404, b"", "text/plain")

    do_GET = do_PUT = _record


class FakeInstanceMetadata(LoopbackServer):
    """Stands in for the EC2 instance metadata service (169.254.169.254) on loopback, which
    botocore uses when AWS_EC2_METADATA_SERVICE_ENDPOINT points here; records every request
    and has no credentials to give."""

    handler_class = _IMDSHandler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []


@pytest.fixture
def imds():
    with FakeInstanceMetadata() as server:
        yield server


def test_metadata_is_not_blocked_by_default(hook, make_mapping, issuer, sts, env_file):
    r = hook(make_mapping(), token=issuer.mint())
    assert_exit(r, 0)
    assert "AWS_EC2_METADATA_DISABLED" not in env_file.values()


def test_block_instance_metadata_writes_the_switch_with_the_credentials(hook, make_mapping, issuer, sts, env_file):
    token = issuer.mint()
    r = hook(make_mapping(block_instance_metadata=True), token=token)
    assert_exit(r, 0)
    pairs = assert_credentials_appended(b"", env_file.read())
    assert pairs["AWS_EC2_METADATA_DISABLED"] == "true"
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_block_instance_metadata_writes_nothing_when_the_job_is_refused(hook, make_mapping, issuer, sts, env_file):
    sts.error("AccessDenied", times=None)
    before = env_file.write(b"")
    r = hook(make_mapping(block_instance_metadata=True), token=issuer.mint())
    assert_exit(r, 1, "AccessDenied")
    env_file.assert_unchanged(before)


@pytest.mark.parametrize("block", [True, False], ids=["blocked", "not-blocked"])
def test_a_mapped_job_cannot_fall_back_to_the_instance_profile(job, binary, make_mapping, issuer, sts, imds, block):
    """The job drops the hook's keys (or they expired) and asks the AWS CLI for credentials:
    with block_instance_metadata the CLI never asks the instance metadata service."""
    config = make_mapping(block_instance_metadata=block)
    job.variables.update(AWS_ID_TOKEN=issuer.mint(), AWS_EC2_METADATA_DISABLED="false",
                         AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url + "/")
    r = job.step_script(["true"], pre_build_script(binary, config))
    assert r.returncode == 0, r.output
    after = job.after_script([
        "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
        f"aws sts get-caller-identity --endpoint-url {sts.url} || echo no-credentials",
    ])
    assert "no-credentials" in after.stdout, after.output
    if block:
        assert imds.requests == []
    else:
        assert imds.requests, "the control run never asked the metadata service"


def test_the_token_is_never_on_a_command_line(binary, make_mapping, issuer, sts, env_file, base_env, tmp_path):
    """While the hook runs (held up by a slow STS), no process's command line holds the token."""
    sts.slow(5)
    token = issuer.mint()
    env = dict(base_env, GITLAB_ENV=str(env_file.path), AWS_ID_TOKEN=token)
    process = subprocess.Popen([str(binary), "hook", "--config", str(make_mapping())], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: sts.assume_count > 0, timeout=60), "the hook never reached STS"
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            assert token.encode() not in cmdline, f"process {pid} has the token in its arguments"
    finally:
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    (request,) = sts.assume_requests
    assert "?" not in request.path and request.token == token
    assert_no_secrets([stdout.decode(), stderr.decode()], token=token, secrets=sts.secrets())
