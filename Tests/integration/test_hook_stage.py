"""The hook as the runner's pre_build_script, in reproduced bash and dash stage scripts,
with the real AWS CLI as the consumer of the credentials."""

from __future__ import annotations

import pytest

from testkit.hook import EnvFile, assert_credentials_appended, assert_no_secrets, pre_build_script
from testkit.mapping import PRIVILEGED_ROLE, PROJECT_ROLE, role_name

SESSION = "gitlab-42-1001"


def caller_identity(endpoint: str) -> str:
    return f"aws sts get-caller-identity --endpoint-url {endpoint} --query Arn --output text"


def stage_secrets(job) -> list[str]:
    values = EnvFile(job.env_file).values()
    return [values.get("AWS_SECRET_ACCESS_KEY"), values.get("AWS_SESSION_TOKEN")]


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_with_moto_and_aws_cli(job, binary, make_mapping, issuer, moto_sts, shell):
    config = make_mapping(sts_endpoint=moto_sts.url)
    token = issuer.mint()
    job.variables["AWS_ID_TOKEN"] = token
    r = job.step_script([caller_identity(moto_sts.url)], pre_build_script(binary, config), shell=shell)
    assert r.returncode == 0, r.output
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}" in r.stdout
    pairs = assert_credentials_appended(b"", job.env_file.read_bytes())
    assert pairs["GITLAB_OIDC_AWS_ROLE_ARN"] == PROJECT_ROLE

    after = job.after_script(['test -n "$AWS_ACCESS_KEY_ID"', caller_identity(moto_sts.url)], shell=shell)
    assert after.returncode == 0, after.output
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}" in after.stdout
    assert_no_secrets([r, after], token=token, secrets=stage_secrets(job))


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_spoofed_ci_variables_do_not_change_the_role(job, binary, make_mapping, issuer, sts, shell):
    """Job variables claiming to be the privileged project do not matter: claims do."""
    config = make_mapping()
    token = issuer.mint()  # group/project, main, protected
    job.variables.update(AWS_ID_TOKEN=token, CI_PROJECT_PATH="platform/infra", CI_PROJECT_ID="1",
                         CI_COMMIT_REF_NAME="main", CI_COMMIT_REF_PROTECTED="true",
                         CI_PROJECT_NAMESPACE="platform")
    r = job.step_script(['echo "pretending to be $CI_PROJECT_PATH"', caller_identity(sts.url)],
                        pre_build_script(binary, config), shell=shell)
    assert r.returncode == 0, r.output
    assert "pretending to be platform/infra" in r.stdout
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}" in r.stdout
    assert [req.form["RoleArn"] for req in sts.assume_requests] == [PROJECT_ROLE]
    assert PRIVILEGED_ROLE not in job.env_file.read_text()
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_failing_hook_fails_the_stage(job, binary, make_mapping, issuer, sts, shell):
    """errexit: a refused exchange stops the job before the user script runs."""
    sts.error("AccessDenied", times=None)
    job.env_file.parent.mkdir(parents=True, exist_ok=True)
    job.env_file.write_bytes(b"EARLIER=1\n")
    token = issuer.mint()
    job.variables["AWS_ID_TOKEN"] = token
    r = job.step_script(["echo user-script-ran"], pre_build_script(binary, make_mapping()), shell=shell)
    assert r.returncode == 1, r.output
    assert "user-script-ran\n" not in r.stdout
    assert job.env_file.read_bytes() == b"EARLIER=1\n"
    assert_no_secrets(r, token=token)


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_job_without_id_token_runs_on(job, binary, make_mapping, sts, shell):
    r = job.step_script(['echo "key=${AWS_ACCESS_KEY_ID:-none}"'], pre_build_script(binary, make_mapping()),
                        shell=shell)
    assert r.returncode == 0, r.output
    assert "key=none" in r.stdout
    assert job.env_file.read_bytes() == b""
    assert sts.assume_count == 0


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_debug_trace_only_the_shell_trace_shows_secrets(job, binary, make_mapping, issuer, sts, shell):
    """With CI_DEBUG_TRACE the runner's own xtrace prints every exported variable (GitLab
    documents that). Everything else, the hook's output included, stays clean."""
    token = issuer.mint()
    job.variables.update(AWS_ID_TOKEN=token, CI_DEBUG_TRACE="true")
    r = job.step_script([caller_identity(sts.url)], pre_build_script(binary, make_mapping()), shell=shell)
    assert r.returncode == 0, r.output
    assert "+ " in r.stderr, "xtrace is on"
    # Trace lines start with "+"; `eval`'s traced argument continues over the body's lines.
    body = set(r.body.splitlines())
    untraced = [line for line in r.output.splitlines() if not line.startswith("+") and line not in body]
    assert_no_secrets("\n".join(untraced), token=token, secrets=sts.secrets())
