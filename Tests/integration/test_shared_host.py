"""One job attacks, the next one is the victim (issue 14): on a shell executor every job runs
as the runner's user with the same `$HOME`, so any job can rewrite the hook's key-set cache
in `$HOME/.cache/gitlab-oidc-aws/`. The cache is a hint, never an authority: whatever the
attacking job leaves there, the next job on the runner gets its credentials.

Both jobs run in reproduced stage scripts (`RunnerJob`, bash) with the documented
`pre_build_script`; the mapping sets no `cache_dir`, so the hook uses the default cache under
the runner's `$HOME`. The attacking job first runs the hook itself (which fills the cache),
then its script rewrites the cache file with `ATTACK`. The victim job is another project's,
with its own token; it must exit 0 with credentials in its env file, without hanging
(`HANG_LIMIT`)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from testkit.hook import assert_credentials_appended, assert_no_secrets, pre_build_script
from testkit.keys import b64url
from testkit.mapping import DEFAULT_RULES, PROJECT_ROLE, mapping_toml, write_mapping
from testkit.runner_stage import RunnerJob

HANG_LIMIT = 60

# Run by the attacking job's script: python3 attack.py KIND [ARGUMENT]. Rewrites every cached
# key set under $HOME/.cache/gitlab-oidc-aws the way KIND says.
ATTACK = r'''
import glob, json, os, sys, time
kind = sys.argv[1]
argument = sys.argv[2] if len(sys.argv) > 2 else ""
files = glob.glob(os.path.expanduser("~/.cache/gitlab-oidc-aws/jwks-*.json"))
assert files, "the attacker's own hook run cached no key set"
for path in files:
    with open(path) as f:
        cache = json.load(f)
    key = cache["jwks"]["keys"][0]
    def rewrite():
        os.unlink(path)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, json.dumps(cache).encode())
        os.close(fd)
    if kind == "fetched-at":
        cache["fetched_at"] = json.loads(argument)
        rewrite()
    elif kind == "modulus":
        key["n"] = argument
        cache["fetched_at"] = int(time.time())
        rewrite()
    elif kind == "exponent":
        key["e"] = argument
        cache["fetched_at"] = int(time.time())
        rewrite()
    elif kind == "fifo":
        os.unlink(path)
        os.mkfifo(path, 0o600)
    elif kind == "symlink-to-fifo":
        os.unlink(path)
        os.mkfifo(path + ".fifo", 0o600)
        os.symlink(path + ".fifo", path)
    elif kind == "directory":
        os.unlink(path)
        os.mkdir(path, 0o700)
    elif kind == "huge":
        with open(path, "r+b") as f:
            f.truncate(8 << 30)
    elif kind == "keys":
        cache["jwks"]["keys"] = [dict(key, kid=str(i)) for i in range(int(argument))] + [key]
        rewrite()
    else:
        raise SystemExit("unknown attack " + kind)
print("attacked", len(files), "cache file(s):", kind)
'''


def jwk_number(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


# id -> (kind, argument from the session's key pool). The first three are the issue's.
ATTACKS = {
    "fetched-at-int64-min": ("fetched-at", lambda keys: str(-(2**63))),
    "fifo": ("fifo", lambda keys: ""),
    "modulus-swapped-kid-kept": ("modulus", lambda keys: jwk_number(keys.take().n)),
    "fetched-at-int64-max": ("fetched-at", lambda keys: str(2**63 - 1)),
    "fetched-at-1e300": ("fetched-at", lambda keys: "1e300"),
    "fetched-at-string": ("fetched-at", lambda keys: '"1800000000"'),
    "modulus-512-bits": ("modulus", lambda keys: jwk_number((1 << 511) | 1)),
    "exponent-one": ("exponent", lambda keys: jwk_number(1)),
    "symlink-to-fifo": ("symlink-to-fifo", lambda keys: ""),
    "directory": ("directory", lambda keys: ""),
    "huge-sparse-file": ("huge", lambda keys: ""),
    "ten-thousand-keys": ("keys", lambda keys: "10000"),
}


def release_fifos(cache_dir: Path) -> None:
    """Opens every FIFO in the cache read-write and closes it: a hook blocked opening one
    (the bug this file tests for) then reads an empty file and ends, instead of hanging on
    after the test."""
    if not cache_dir.is_dir():
        return
    for path in cache_dir.iterdir():
        if path.exists() and stat.S_ISFIFO(path.stat().st_mode):
            os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))


@pytest.fixture
def runner(tmp_path, base_env, issuer, sts):
    """The runner host: its mapping (default cache folder), the attack script, and the
    cache folder under the runner user's $HOME."""
    config = write_mapping(tmp_path, mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None,
                                                  rules=DEFAULT_RULES))
    script = tmp_path / "attack.py"
    script.write_text(ATTACK)
    cache_dir = Path(base_env["HOME"]) / ".cache" / "gitlab-oidc-aws"
    yield config, script, cache_dir
    release_fifos(cache_dir)


@pytest.mark.parametrize("attack_id", list(ATTACKS))
def test_a_job_cannot_break_the_next_jobs_hook_through_the_key_set_cache(attack_id, runner, tmp_path, base_env,
                                                                          binary, issuer, sts, key_pool):
    config, script, cache_dir = runner
    kind, make_argument = ATTACKS[attack_id]
    argument = make_argument(key_pool)
    prebuild = pre_build_script(binary, config)

    attacker = RunnerJob(tmp_path / "attacker", base_env, project_path="evil/project",
                         variables={"AWS_ID_TOKEN": issuer.mint(project_path="evil/project", job_id="1001")})
    attack = attacker.step_script([f"python3 {script} {kind} '{argument}'"], prebuild, timeout=HANG_LIMIT)
    assert attack.returncode == 0 and "attacked 1 cache file(s)" in attack.stdout, attack.output
    assert issuer.jwks_count == 1

    token = issuer.mint(job_id="2002")
    victim = RunnerJob(tmp_path / "victim", base_env, variables={"AWS_ID_TOKEN": token})
    try:
        result = victim.step_script(['echo "role=$GITLAB_OIDC_AWS_ROLE_ARN"'], prebuild, timeout=HANG_LIMIT)
    finally:
        release_fifos(cache_dir)
    assert result.returncode == 0, result.output
    assert f"role={PROJECT_ROLE}" in result.stdout
    assert_credentials_appended(b"", victim.env_file.read_bytes())
    assert sts.assume_count == 1 and sts.assume_requests[-1].token == token
    assert_no_secrets(result, token=token, secrets=sts.secrets())
    if kind != "directory":
        (cached,) = cache_dir.glob("jwks-*.json")
        assert json.loads(cached.read_text())["jwks"] == issuer.jwks(), "the victim's hook repaired the cache"


def test_a_swapped_cached_key_costs_one_fetch_per_job(runner, tmp_path, base_env, binary, issuer, sts, key_pool):
    """The refetch repairs the cache, so the attack costs the next job one key-set fetch and
    the jobs after it nothing."""
    config, script, cache_dir = runner
    prebuild = pre_build_script(binary, config)
    attacker = RunnerJob(tmp_path / "attacker", base_env, project_path="evil/project",
                         variables={"AWS_ID_TOKEN": issuer.mint(project_path="evil/project")})
    attack = attacker.step_script([f"python3 {script} modulus {jwk_number(key_pool.take().n)}"], prebuild)
    assert attack.returncode == 0, attack.output
    for job_id in ("2002", "2003", "2004"):
        job = RunnerJob(tmp_path / job_id, base_env, variables={"AWS_ID_TOKEN": issuer.mint(job_id=job_id)})
        assert job.step_script(["true"], prebuild, timeout=HANG_LIMIT).returncode == 0
    assert issuer.jwks_count == 2 and sts.assume_count == 3
