"""`hook` arguments: the plain forms run without ArgumentParser, every other form through it;
both must behave the same."""

from __future__ import annotations

import subprocess

import pytest

from testkit.hook import assert_credentials_appended, assert_exit, assert_no_secrets


def run(binary, *args, env, token=None):
    penv = dict(env)
    if token is not None:
        penv["AWS_ID_TOKEN"] = token
    proc = subprocess.run([str(binary), "hook", *map(str, args)], capture_output=True, env=penv,
                          stdin=subprocess.DEVNULL, cwd=env["HOME"], timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.mark.parametrize("form", ["split", "equals", "reversed", "mixed"])
def test_plain_forms(binary, base_env, make_mapping, issuer, sts, env_file, form):
    config, target = make_mapping(), env_file.path
    args = {
        "split": ["--config", config, "--env-file", target],
        "equals": [f"--config={config}", f"--env-file={target}"],
        "reversed": ["--env-file", target, "--config", config],
        "mixed": [f"--env-file={target}", "--config", config],
    }[form]
    token = issuer.mint()
    r = run(binary, *args, env=base_env, token=token)
    assert_exit(r, 0)
    assert_credentials_appended(b"", env_file.read())
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.mark.parametrize("args,code,keyword", [
    (["--config"], 64, "config"),
    (["--config", "a", "--config", "b"], 2, ""),
    (["--unknown", "x"], 64, "unknown"),
    (["--help"], 0, ""),
    (["--config="], 64, "missing value"),
])
def test_other_forms_go_through_argument_parser(binary, base_env, env_file, args, code, keyword):
    # A job holding a token (any non-empty AWS_ID_TOKEN counts), so that a missing mapping matters.
    r = run(binary, *args, env=dict(base_env, GITLAB_ENV=str(env_file.path)), token="not-a-jwt")
    assert r.returncode == code, r.stdout + r.stderr
    assert keyword.lower() in (r.stdout + r.stderr).lower()
    assert env_file.read() == b""


def test_missing_mapping_fails_the_same_both_ways(binary, base_env, tmp_path, env_file):
    missing = tmp_path / "nope.toml"
    env = dict(base_env, GITLAB_ENV=str(env_file.path))
    plain = run(binary, "--config", missing, env=env, token="not-a-jwt")
    # A repeated option is not plain: ArgumentParser takes the last one.
    parsed = run(binary, "--config", tmp_path / "other.toml", "--config", missing, env=env, token="not-a-jwt")
    assert plain.returncode == parsed.returncode == 2
    assert plain.stderr == parsed.stderr
    assert "the runner's configuration, not the pipeline's" in plain.stderr


def test_a_tokenless_job_is_left_alone_both_ways(binary, base_env, tmp_path, env_file):
    missing = tmp_path / "nope.toml"
    env = dict(base_env, GITLAB_ENV=str(env_file.path))
    plain = run(binary, "--config", missing, env=env)
    parsed = run(binary, "--config", tmp_path / "other.toml", "--config", missing, env=env)
    for r in (plain, parsed):
        assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
