"""A later hook run in the same job (GitLab runs pre_build_script once per user step) reuses
what the first one wrote: no STS request, no new lines, no rewritten files; it renews only
what is stale."""

from __future__ import annotations

import os

import pytest

from testkit.aws_clients import aws, caller_arn, job_environment
from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets
from testkit.mapping import PROJECT_ROLE, role_name

OUTPUTS = ["env", "web-identity", "profile"]
SESSION = "gitlab-42-1001"


def folder_of(env_file):
    return env_file.path.parent / "gitlab-oidc-aws"


def inodes(folder) -> dict[str, int]:
    """File name -> inode: an atomic replacement (temp + rename) changes the inode."""
    return {p.name: p.stat().st_ino for p in folder.iterdir()} if folder.exists() else {}


@pytest.mark.parametrize("output", OUTPUTS)
def test_second_run_in_the_same_job_changes_nothing(hook, make_mapping, issuer, sts, env_file, base_env, output):
    config = make_mapping(output=output)
    token = issuer.mint()  # GitLab gives every step of a job the same token
    first = hook(config, token=token)
    assert_exit(first, 0)
    # The job uses the credentials between the two steps.
    who = aws(job_environment(base_env, env_file.path), "sts", "get-caller-identity", "--endpoint-url", sts.url,
              "--query", "Arn", "--output", "text")
    assert caller_arn(who).endswith(f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}")
    written, files, calls = env_file.read(), inodes(folder_of(env_file)), sts.assume_count
    assert calls == 1

    second = hook(config, token=token)
    assert_exit(second, 0, "reusing")
    assert env_file.read() == written, "no line may be added twice"
    assert inodes(folder_of(env_file)) == files, "no file may be rewritten"
    assert sts.assume_count == calls, "a later step must not call STS again"

    who = aws(job_environment(base_env, env_file.path), "sts", "get-caller-identity", "--endpoint-url", sts.url,
              "--query", "Arn", "--output", "text")
    assert caller_arn(who).endswith(f"assumed-role/{role_name(PROJECT_ROLE)}/{SESSION}")
    if output == "profile":
        assert sts.assume_count == calls, "credential-process must answer from its cache"
    assert_no_secrets([first, second, who], token=token, secrets=sts.secrets())


def test_env_credentials_close_to_expiry_are_renewed(hook, make_mapping, issuer, sts, env_file):
    sts.credential_lifetime = 15 * 60  # not more than 15 minutes left at the second run
    config = make_mapping()
    token = issuer.mint()
    assert_exit(hook(config, token=token), 0)
    written = env_file.read()
    r = hook(config, token=token)
    assert_exit(r, 0)
    assert sts.assume_count == 2
    pairs = assert_credentials_appended(written, env_file.read())
    assert pairs["AWS_ACCESS_KEY_ID"] == sts.issued[-1].access_key_id
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.mark.parametrize("output", ["web-identity", "profile"])
def test_a_new_token_replaces_the_token_file_in_place(hook, make_mapping, issuer, sts, env_file, output):
    config = make_mapping(output=output)
    assert_exit(hook(config, token=issuer.mint(jti="first")), 0)
    written = env_file.read()
    token_file = folder_of(env_file) / "AWS_ID_TOKEN.jwt"
    before = token_file.stat().st_ino
    newer = issuer.mint(jti="second")
    r = hook(config, token=newer)
    assert_exit(r, 0)
    assert token_file.read_text() == newer
    assert token_file.stat().st_ino != before, "the token file must be replaced atomically (rename)"
    assert oct(token_file.stat().st_mode & 0o777) == oct(0o600)
    assert env_file.read() == written
    assert [p.name for p in folder_of(env_file).iterdir() if ".tmp-" in p.name] == []
    assert sts.assume_count == 0
    assert_no_secrets(r, token=newer)


@pytest.mark.parametrize("output", ["web-identity", "profile"])
def test_deleted_files_are_written_again(hook, make_mapping, issuer, env_file, output):
    config = make_mapping(output=output)
    token = issuer.mint()
    assert_exit(hook(config, token=token), 0)
    written = env_file.read()
    folder = folder_of(env_file)
    names = sorted(p.name for p in folder.iterdir())
    for path in folder.iterdir():
        os.unlink(path)
    assert_exit(hook(config, token=token), 0)
    assert sorted(p.name for p in folder.iterdir()) == names
    assert env_file.read() == written
