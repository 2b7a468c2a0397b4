"""The documented pre_build_script: every copy of it is the same (README.md, docs/,
runner-config/, install.sh's printout; the Debian package's README.Debian in test_deb.py), and
in the runner's stage script under bash, dash and busybox sh (errexit on) it never fails a job
without an ID token, even when the binary cannot start, while a job with a token stops with a
clear line."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
import tomllib
from pathlib import Path

import pytest

from testkit.hook import PRE_BUILD_TEMPLATE, pre_build_script
from testkit.mapping import DEFAULT_RULES, mapping_toml
from testkit.runner_stage import run_stage

REPO = Path(__file__).resolve().parents[2]
BINARIES = {"/usr/local/bin/gitlab-oidc-aws", "/usr/bin/gitlab-oidc-aws", "/opt/gitlab-oidc-aws/gitlab-oidc-aws"}
MAPPINGS = {"/etc/gitlab-runner/oidc-aws.toml", "/etc/gitlab-oidc-aws/oidc-aws.toml"}
FIRST_LINE = re.compile(r"^(\S+) hook --config (\S+) ")


def documented_scripts() -> list[tuple[str, str]]:
    """(where, pre_build_script) for every TOML block in the README and docs, and every
    runner-config file."""
    found = []
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for indent, block in re.findall(r"^( *)```toml\n(.*?)^ *```", path.read_text(), re.S | re.M):
            block = textwrap.dedent(indent + block)
            if "pre_build_script" in block:
                for runner in tomllib.loads(block)["runners"]:
                    found.append((path.name, runner["pre_build_script"]))
    for path in sorted((REPO / "runner-config").glob("config*.toml")):
        for runner in tomllib.loads(path.read_text())["runners"]:
            found.append((path.name, runner["pre_build_script"]))
    return found


def assert_is_the_snippet(where: str, script: str) -> None:
    match = FIRST_LINE.match(script)
    assert match, (where, script)
    binary, mapping = match.groups()
    assert binary in BINARIES and mapping in MAPPINGS, (where, binary, mapping)
    assert script == pre_build_script(binary, mapping) + "\n", where


def test_every_documented_copy_is_the_same():
    scripts = documented_scripts()
    assert {where for where, _ in scripts} >= {"README.md", "admin-guide.md", "config.toml", "config.docker.toml",
                                               "config.kubernetes.toml", "config.runner-in-container.toml"}
    for where, script in scripts:
        assert_is_the_snippet(where, script)


def test_install_sh_prints_the_same():
    shell = ('eval "$(sed -n "/^runner_snippet() {/,/^}/p" install.sh)"; '
             'runner_snippet /usr/local/bin/gitlab-oidc-aws /etc/gitlab-runner/oidc-aws.toml')
    printed = subprocess.run(["bash", "-c", shell], cwd=REPO, capture_output=True, text=True, check=True).stdout
    (runner,) = tomllib.loads(printed)["runners"]
    assert_is_the_snippet("install.sh", runner["pre_build_script"])


def test_the_contract_lines_are_in_it():
    """The contract's two lines stay: the hook line starts the first, the env-file loop is the last."""
    lines = PRE_BUILD_TEMPLATE.splitlines()
    assert lines[0].startswith("{binary} hook --config {config}")
    assert lines[-1] == 'while read -r line; do export "$line"; done < "$GITLAB_ENV"'


# --- in the stage script ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def busybox(debian_packages, tmp_path_factory) -> Path:
    """busybox from Debian's busybox-static package, unpacked (not installed)."""
    folder = tmp_path_factory.mktemp("busybox")
    debian_packages.extract("busybox-static", folder)
    return folder / "bin" / "busybox"


@pytest.fixture
def unstartable(binary, tmp_path) -> Path:
    """A copy of the hook whose program interpreter (dynamic loader) does not exist, as when a
    binary built for glibc meets an image without it."""
    copy = tmp_path / "gitlab-oidc-aws"
    shutil.copy2(binary, copy)
    subprocess.run(["patchelf", "--set-interpreter", "/nonexistent/ld-linux-x86-64.so.2", copy], check=True)
    return copy


SHELLS = ["bash", "dash", "busybox"]


def stage(shell: str, busybox: Path, script: str, variables: dict, job, commands=None):
    return run_stage(shell, script, commands or ['echo "the job script ran"'], variables,
                     project_dir=job.project_dir, base_env=job.base_env, predefined=job.predefined,
                     shell_argv=[str(busybox), "sh"] if shell == "busybox" else None)


@pytest.mark.parametrize("shell", SHELLS)
def test_a_tokenless_job_runs_on_when_the_binary_cannot_start(shell, busybox, unstartable, job, tmp_path):
    r = stage(shell, busybox, pre_build_script(unstartable, tmp_path / "oidc-aws.toml"), {}, job)
    assert r.returncode == 0, r.output
    assert "the job script ran" in r.stdout
    assert "gitlab-oidc-aws: cannot start" not in r.output


@pytest.mark.parametrize("shell", SHELLS)
def test_a_job_with_a_token_stops_with_a_clear_line(shell, busybox, unstartable, job, tmp_path):
    r = stage(shell, busybox, pre_build_script(unstartable, tmp_path / "oidc-aws.toml"),
              {"AWS_ID_TOKEN": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}, job)
    assert r.returncode >= 126, r.output
    assert "the job script ran" not in r.stdout
    assert f"gitlab-oidc-aws: cannot start the hook (exit {r.returncode}): tell the runner administrator" \
        in r.stderr, r.stderr
    assert "eyJhbGciOiJSUzI1NiJ9" not in r.output


@pytest.mark.parametrize("shell", SHELLS)
def test_a_missing_binary_counts_as_cannot_start(shell, busybox, job, tmp_path):
    script = pre_build_script(tmp_path / "not-installed" / "gitlab-oidc-aws", tmp_path / "oidc-aws.toml")
    assert stage(shell, busybox, script, {}, job).returncode == 0
    with_token = stage(shell, busybox, script, {"AWS_ID_TOKEN": "x"}, job)
    assert with_token.returncode == 127 and "exit 127" in with_token.stderr, with_token.output


@pytest.mark.parametrize("shell", SHELLS)
def test_the_hooks_own_failures_still_fail_the_job(shell, busybox, binary, issuer, sts, job, tmp_path):
    """Exit 1 (a token that fails verification) and 2 (a broken mapping, token present) keep
    their status and their own message; the snippet adds no line."""
    mapping = tmp_path / "oidc-aws.toml"
    mapping.write_text(mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None, rules=DEFAULT_RULES))
    bad_token = stage(shell, busybox, pre_build_script(binary, mapping), {"AWS_ID_TOKEN": "not-a-jwt"}, job)
    assert bad_token.returncode == 1, bad_token.output
    broken = tmp_path / "broken.toml"
    broken.write_text('issuer = "https://gitlab.example.com"\nregoin = "x"\n')
    bad_mapping = stage(shell, busybox, pre_build_script(binary, broken), {"AWS_ID_TOKEN": issuer.mint()}, job)
    assert bad_mapping.returncode == 2, bad_mapping.output
    for r in (bad_token, bad_mapping):
        assert "the job script ran" not in r.stdout
        assert "cannot start the hook" not in r.output


@pytest.mark.parametrize("shell", SHELLS)
def test_credentials_reach_the_job_script(shell, busybox, binary, issuer, sts, job, tmp_path):
    mapping = tmp_path / "oidc-aws.toml"
    mapping.write_text(mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None, rules=DEFAULT_RULES))
    r = stage(shell, busybox, pre_build_script(binary, mapping), {"AWS_ID_TOKEN": issuer.mint()}, job,
              commands=['echo "key: $AWS_ACCESS_KEY_ID"'])
    assert r.returncode == 0, r.output
    assert f"key: {sts.issued[-1].access_key_id}\n" in r.stdout
