"""runner-config/: the example mapping is valid, and every runner snippet runs the contract's
two-line pre_build_script with read-only mounts for the container executors."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from testkit.hook import pre_build_script

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "runner-config"


def runner(name: str) -> dict:
    (section,) = tomllib.loads((CONFIG / name).read_text())["runners"]
    return section


def test_example_mapping_passes_check(binary):
    result = subprocess.run([binary, "check", "--config", CONFIG / "oidc-aws.toml"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout
    assert "warning" not in (result.stdout + result.stderr).lower()


@pytest.mark.parametrize("claims, role", [
    (["project_path=platform/infra", "project_id=1001", "ref_type=branch", "ref=main", "ref_protected=true",
      "environment=production", "namespace_path=platform", "pipeline_source=push"], "role/infra-prod-deploy"),
    (["project_path=platform/infra", "ref_type=branch", "ref=feature", "ref_protected=false",
      "namespace_path=platform", "pipeline_source=push"], "role/platform-readonly"),
    (["project_path=platform/infra", "ref_type=branch", "ref=feature", "ref_protected=false",
      "namespace_path=platform", "pipeline_source=merge_request_event"], None),
    (["project_path=someone/infra", "ref_type=branch", "ref=main", "ref_protected=true",
      "environment=production", "namespace_path=someone", "pipeline_source=push"], None),
])
def test_example_mapping_means_what_its_comments_say(binary, claims, role):
    argv = [binary, "explain", "--config", CONFIG / "oidc-aws.toml"] + [a for c in claims for a in ("--claim", c)]
    result = subprocess.run(argv, capture_output=True, text=True)
    if role is None:
        assert result.returncode == 1, result.stdout
    else:
        assert result.returncode == 0, result.stdout
        assert role in result.stdout


EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```console\n(.*?)```\n", re.DOTALL)


def test_the_documented_explain_example_prints_what_the_docs_show(binary, base_env):
    """docs/admin-guide.md runs `explain` on the shipped example mapping, installed at the
    default path; on that file the command prints exactly the transcript shown."""
    blocks = EXAMPLE.findall((REPO / "docs" / "admin-guide.md").read_text())
    assert blocks
    for mapping, transcript in blocks:
        first, *output = transcript.splitlines(keepends=True)
        args = shlex.split(first.removeprefix("$ gitlab-oidc-aws "))
        assert "/etc/gitlab-runner/oidc-aws.toml" in args
        args = [str(REPO / mapping) if arg == "/etc/gitlab-runner/oidc-aws.toml" else arg for arg in args]
        r = subprocess.run([binary, *args], capture_output=True, text=True, env=base_env)
        assert "".join(output) == f"{r.stdout}{r.stderr}[exit {r.returncode}]\n"
        assert r.returncode == 0, "the documented example must show a rule that matches"


def test_the_explain_line_of_the_example_mappings_header_matches_its_first_rule(binary, base_env):
    header = (CONFIG / "oidc-aws.toml").read_text().split("\n\n", 1)[0]
    line = re.search(r"#   gitlab-oidc-aws explain --config \.\.\. (.*?)\n#\s+(--claim .*?)\n", header)
    assert line, header
    claims = shlex.split(line.group(1).rstrip(" \\") + " " + line.group(2))
    r = subprocess.run([binary, "explain", "--config", CONFIG / "oidc-aws.toml", *claims], capture_output=True,
                       text=True, env=base_env)
    assert r.returncode == 0 and "rule 1 " in r.stdout and "matches" in r.stdout, r.stdout + r.stderr


INSTALL = (REPO / "install.sh").read_text()
BUNDLE_MOUNT = "/opt/gitlab-oidc-aws"
DEB_MAPPING = "/etc/gitlab-oidc-aws/oidc-aws.toml"


def test_the_paths_are_install_sh_s():
    """The paths the examples use are the ones install.sh installs, bundles and packages."""
    assert "PREFIX=/usr/local\n" in INSTALL and "MAPPING=/etc/gitlab-runner/oidc-aws.toml\n" in INSTALL
    assert "MOUNT_PATH=/opt/$NAME\n" in INSTALL and "NAME=gitlab-oidc-aws\n" in INSTALL
    assert f"DEB_MAPPING={DEB_MAPPING}\n" in INSTALL and 'MOUNT_PATH="/opt/$NAME" make_bundle' in INSTALL


def test_every_example_parses_and_runs_the_documented_snippet():
    files = sorted(CONFIG.glob("config*.toml"))
    assert [f.name for f in files] == ["config.docker.toml", "config.kubernetes.toml",
                                       "config.runner-in-container.toml", "config.toml"]
    for path in files:
        for section in tomllib.loads(path.read_text())["runners"]:
            script = section["pre_build_script"]
            binary, config = script.split(" ")[0], script.split(" ")[3]
            assert script == pre_build_script(binary, config) + "\n", path.name


def test_shell_snippet_is_the_contracts():
    assert runner("config.toml")["pre_build_script"] == pre_build_script(
        "/usr/local/bin/gitlab-oidc-aws", "/etc/gitlab-runner/oidc-aws.toml") + "\n"


def test_docker_snippet_mounts_bundle_mapping_and_ca_folder_read_only():
    section = runner("config.docker.toml")
    assert section["pre_build_script"] == pre_build_script(
        f"{BUNDLE_MOUNT}/gitlab-oidc-aws", "/etc/gitlab-runner/oidc-aws.toml") + "\n"
    volumes = section["docker"]["volumes"]
    assert f"{BUNDLE_MOUNT}:{BUNDLE_MOUNT}:ro" in volumes
    assert "/etc/gitlab-runner/oidc-aws.toml:/etc/gitlab-runner/oidc-aws.toml:ro" in volumes
    assert "/etc/gitlab-runner/oidc-aws-ca:/etc/gitlab-runner/oidc-aws-ca:ro" in volumes
    assert all(v == "/cache" or v.endswith(":ro") for v in volumes), volumes


def test_runner_in_a_container_mounts_host_paths():
    section = runner("config.runner-in-container.toml")
    assert section["executor"] == "docker"
    assert section["pre_build_script"] == pre_build_script(
        f"{BUNDLE_MOUNT}/gitlab-oidc-aws", "/etc/gitlab-runner/oidc-aws.toml") + "\n"
    volumes = section["docker"]["volumes"]
    assert f"{BUNDLE_MOUNT}:{BUNDLE_MOUNT}:ro" in volumes
    (mapping,) = [v for v in volumes if v.endswith(":/etc/gitlab-runner/oidc-aws.toml:ro")]
    assert mapping.startswith("/srv/gitlab-runner/config/")


def test_kubernetes_snippet_mounts_bundle_and_mapping_read_only():
    section = runner("config.kubernetes.toml")
    assert section["pre_build_script"] == pre_build_script(
        f"{BUNDLE_MOUNT}/gitlab-oidc-aws", "/etc/gitlab-oidc-aws/oidc-aws.toml") + "\n"
    volumes = section["kubernetes"]["volumes"]
    (bundle,) = volumes["host_path"]
    assert (bundle["host_path"], bundle["mount_path"], bundle["read_only"]) == (BUNDLE_MOUNT, BUNDLE_MOUNT, True)
    (mapping,) = volumes["config_map"]
    assert mapping["mount_path"] == "/etc/gitlab-oidc-aws" and mapping["read_only"] is True
    assert mapping["items"] == {"oidc-aws.toml": "oidc-aws.toml"}
