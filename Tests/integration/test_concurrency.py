"""Fifty hooks at once on one runner (fifty jobs), sharing one key-set cache folder: every
one gets its own credentials in its own env file, and the cache is left valid, written
atomically with no temporary files behind."""

from __future__ import annotations

import json
import subprocess

from testkit.hook import EnvFile, assert_credentials_appended, assert_no_secrets

HOOKS = 50


def start_hooks(binary, config, base_env, issuer, tmp_path, first_job: int):
    """Start HOOKS hook processes at once; returns [(process, env file, token)]."""
    started = []
    for n in range(HOOKS):
        env_file = EnvFile(tmp_path / f"job{first_job + n}.tmp" / "gitlab_runner_env")
        env_file.write(b"")
        token = issuer.mint(job_id=str(first_job + n))
        env = dict(base_env, GITLAB_ENV=str(env_file.path), AWS_ID_TOKEN=token)
        process = subprocess.Popen([str(binary), "hook", "--config", str(config)], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append((process, env_file, token))
    return started


def finish(started, sts):
    """Wait for every hook; check each exit, env file and output; return the session names."""
    sessions = []
    for process, env_file, token in started:
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr.decode()
        pairs = assert_credentials_appended(b"", env_file.read())
        assert_no_secrets([stdout.decode(), stderr.decode()], token=token, secrets=sts.secrets())
        sessions.append(next(c.session_name for c in sts.issued if c.access_key_id == pairs["AWS_ACCESS_KEY_ID"]))
    return sessions


def check_cache(cache_dir, issuer) -> None:
    files = sorted(p.name for p in cache_dir.iterdir())
    assert len(files) == 1 and files[0].startswith("jwks-") and files[0].endswith(".json"), files
    cache = json.loads((cache_dir / files[0]).read_text())
    assert cache["issuer"] == issuer.url
    assert [k["kid"] for k in cache["jwks"]["keys"]] == [issuer.key.kid]
    assert (cache_dir / files[0]).stat().st_mode & 0o777 == 0o600


def test_fifty_hooks_at_once_share_one_cache(binary, base_env, make_mapping, issuer, sts, cache_dir, tmp_path):
    config = make_mapping()
    sessions = finish(start_hooks(binary, config, base_env, issuer, tmp_path, first_job=1000), sts)
    assert sorted(sessions) == sorted(f"gitlab-42-{1000 + n}" for n in range(HOOKS))
    assert sts.assume_count == HOOKS
    assert len({c.access_key_id for c in sts.issued}) == HOOKS
    check_cache(cache_dir, issuer)
    fetched = issuer.jwks_count
    assert 1 <= fetched <= HOOKS

    # A second wave finds the cache warm: no hook asks the issuer again.
    finish(start_hooks(binary, config, base_env, issuer, tmp_path, first_job=2000), sts)
    assert issuer.jwks_count == fetched
    assert sts.assume_count == 2 * HOOKS
    check_cache(cache_dir, issuer)
