"""`output = "web-identity"`: the hook leaves the token in a 0600 file and points every AWS
SDK at it; boto3 and the AWS CLI assume the role themselves (against the STS double via
AWS_ENDPOINT_URL_STS) and assume it again when the credentials near their expiry."""

from __future__ import annotations

import re

import pytest

from testkit.aws_clients import aws, caller_arn, job_environment, mode, run_boto3
from testkit.hook import assert_exit, assert_no_secrets, pre_build_script, run_hook
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml, role_name, write_mapping

SESSION = "gitlab-42-1001"
STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")

# Two get-caller-identity calls through one boto3 client (one credential provider, which
# keeps the credentials in memory and refreshes them when they near their expiry).
BOTO3_TWO_CALLS = """
import json, boto3
sts = boto3.Session().client("sts")
for _ in range(2):
    print(json.dumps(sts.get_caller_identity()["Arn"]))
"""


def sts_calls(sts) -> list[str]:
    """The double's requests in order: "assume", or the access key a GetCallerIdentity call
    was signed with."""
    out = []
    for req in sts.requests:
        if req.action == "AssumeRoleWithWebIdentity":
            out.append("assume")
        else:
            out.append(re.search(r"Credential=([A-Z0-9]+)/", req.headers.get("Authorization", "")).group(1))
    return out


def web_identity_mapping(make_mapping, **settings):
    return make_mapping(output="web-identity", **settings)


def test_hook_writes_token_file_and_sdk_variables(hook, make_mapping, issuer, sts, env_file):
    token = issuer.mint()
    r = hook(web_identity_mapping(make_mapping, region="eu-west-1"), token=token)
    assert_exit(r, 0)
    assert sts.assume_count == 0, "the hook itself must not call STS"

    values = env_file.values()
    folder = env_file.path.parent / "gitlab-oidc-aws"  # RUNNER_TEMP_PROJECT_DIR unset: the env file's folder
    token_file = folder / "AWS_ID_TOKEN.jwt"
    assert values == {
        "AWS_ROLE_ARN": PROJECT_ROLE,
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_SESSION_NAME": SESSION,
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_STS": sts.url,
        "GITLAB_OIDC_AWS_ROLE_ARN": PROJECT_ROLE,
    }
    assert not any(k in values for k in STATIC_KEYS)
    assert token_file.read_text() == token  # exactly the token: SDKs send the file as it is
    assert mode(token_file) == 0o600
    assert mode(folder) == 0o700
    assert_no_secrets(r, token=token)


def test_token_folder_follows_runner_temp_project_dir(hook, make_mapping, issuer, env_file, tmp_path):
    temp = tmp_path / "builds" / "group" / "project.tmp"
    temp.mkdir(parents=True)
    token = issuer.mint()
    r = hook(web_identity_mapping(make_mapping, block_instance_metadata=True), token=token,
             extra_env={"RUNNER_TEMP_PROJECT_DIR": str(temp)})
    assert_exit(r, 0)
    values = env_file.values()
    assert values["AWS_WEB_IDENTITY_TOKEN_FILE"] == str(temp / "gitlab-oidc-aws" / "AWS_ID_TOKEN.jwt")
    assert values["AWS_EC2_METADATA_DISABLED"] == "true"
    assert (temp / "gitlab-oidc-aws" / "AWS_ID_TOKEN.jwt").read_text() == token
    assert not (env_file.path.parent / "gitlab-oidc-aws").exists()


def test_no_sts_endpoint_line_without_sts_endpoint(binary, base_env, issuer, sts, env_file, tmp_path, cache_dir):
    config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=None, cache_dir=cache_dir,
                                                  rules=DEFAULT_RULES, output="web-identity"))
    r = run_hook(binary, config, env=base_env, env_file=env_file.path, token=issuer.mint())
    assert_exit(r, 0)
    assert "AWS_ENDPOINT_URL_STS" not in env_file.values()
    assert env_file.values()["AWS_ROLE_ARN"] == PROJECT_ROLE


def test_session_policy_is_refused_for_web_identity(hook, make_mapping, issuer, sts, env_file):
    rules = [{"role": PROJECT_ROLE, "session_policy": '{"Version":"2012-10-17","Statement":[]}',
              "match": {"project_path": "group/project"}}]
    before = env_file.snapshot()
    r = hook(make_mapping(rules=rules, output="web-identity"), token=issuer.mint())
    assert_exit(r, 2, "session_policy", "web-identity")
    env_file.assert_unchanged(before)
    assert not (env_file.path.parent / "gitlab-oidc-aws").exists()


def test_boto3_assumes_the_role_itself(hook, make_mapping, issuer, sts, env_file, base_env):
    """Long-lived credentials: boto3 assumes once and signs both calls with them."""
    token = issuer.mint()
    assert_exit(hook(web_identity_mapping(make_mapping), token=token), 0)
    r = run_boto3(job_environment(base_env, env_file.path), BOTO3_TWO_CALLS)
    assert r.returncode == 0, r.output
    assert r.json_lines() == [f"arn:aws:sts::111122223333:assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}"] * 2
    key = sts.issued[0].access_key_id
    assert sts_calls(sts) == ["assume", key, key]
    (req,) = sts.assume_requests
    assert req.form["RoleArn"] == PROJECT_ROLE
    assert req.form["RoleSessionName"] == SESSION
    assert req.token == token  # read from the token file
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_boto3_refreshes_credentials_near_expiry(hook, make_mapping, issuer, sts, env_file, base_env):
    """Credentials that expire within botocore's refresh window (60 s here) are replaced
    before the next call: boto3 asks STS again with the token file and signs with new keys."""
    sts.credential_lifetime = 60
    token = issuer.mint()
    assert_exit(hook(web_identity_mapping(make_mapping), token=token), 0)
    r = run_boto3(job_environment(base_env, env_file.path), BOTO3_TWO_CALLS)
    assert r.returncode == 0, r.output
    first, second = (c.access_key_id for c in sts.issued)
    assert sts_calls(sts) == ["assume", first, "assume", second]
    assert all(req.token == token and req.form["RoleArn"] == PROJECT_ROLE for req in sts.assume_requests)
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_aws_cli_uses_web_identity_without_endpoint_flag(hook, make_mapping, issuer, sts, env_file, base_env):
    token = issuer.mint()
    assert_exit(hook(web_identity_mapping(make_mapping), token=token), 0)
    r = aws(job_environment(base_env, env_file.path), "sts", "get-caller-identity", "--query", "Arn",
            "--output", "text")
    assert caller_arn(r).endswith(f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}")
    assert sts.assume_count == 1
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_stage_scripts_with_web_identity(job, binary, make_mapping, issuer, sts, shell):
    """Two user steps and after_script in reproduced stage scripts: the second step's hook
    run adds nothing; every stage's AWS CLI assumes the role from the token file."""
    config = web_identity_mapping(make_mapping)
    token = issuer.mint()
    job.variables["AWS_ID_TOKEN"] = token
    who = "aws sts get-caller-identity --query Arn --output text"
    first = job.step_script([who], pre_build_script(binary, config), shell=shell)
    assert first.returncode == 0, first.output
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}" in first.stdout
    written = job.env_file.read_bytes()
    assert b"AWS_WEB_IDENTITY_TOKEN_FILE=" + str(job.tmp_dir / "gitlab-oidc-aws" / "AWS_ID_TOKEN.jwt").encode() in written

    second = job.step_script([who], pre_build_script(binary, config), shell=shell)
    assert second.returncode == 0, second.output
    assert "reusing" in second.stderr
    assert job.env_file.read_bytes() == written

    after = job.after_script([who], shell=shell)
    assert after.returncode == 0, after.output
    assert f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}" in after.stdout
    # The hook never calls STS; the AWS CLI assumed the role once and kept the credentials
    # in its own cache (~/.aws/cli/cache) for the later stages.
    assert sts.assume_count == 1
    assert_no_secrets([first, second, after], token=token, secrets=sts.secrets())
