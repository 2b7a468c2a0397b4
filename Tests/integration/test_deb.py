"""install.sh --deb: the package is built once per session from the release binary, checked
with lintian (installed by the test command), and unpacked with dpkg-deb -x into an empty root
together with the packages it Depends on (downloaded with apt-get), where its binary runs and
its bundle exchanges a token. The machine's own dpkg database is never touched."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from testkit.hook import pre_build_script
from testkit.mapping import DEFAULT_RULES, mapping_toml
from testkit.roots import empty_root, run_in_root

REPO = Path(__file__).resolve().parents[2]
NAME = "gitlab-oidc-aws"
DEB_MAPPING = "/etc/gitlab-oidc-aws/oidc-aws.toml"


@pytest.fixture(autouse=True)
def _needs_root():
    if os.geteuid() != 0:
        pytest.fail("install.sh --deb and the unpacked root need root: run as root (CI does)")


@pytest.fixture(scope="module")
def deb(release_binary, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    result = subprocess.run([REPO / "install.sh", "--deb", out, "--binary", release_binary],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        pytest.fail(f"install.sh --deb failed:\n{result.stdout}{result.stderr}")
    version = subprocess.run([release_binary, "version"], capture_output=True, text=True).stdout.split()[1]
    path = out / f"{NAME}_{version}_amd64.deb"
    assert path.is_file(), list(out.iterdir())
    return path


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True, check=True).stdout.strip()


def depends(deb: Path) -> dict[str, str | None]:
    """Depends as {package: minimum version or None}."""
    result = {}
    for item in field(deb, "Depends").split(","):
        match = re.fullmatch(r"\s*([\w.+-]+)(?:\s*\(>=\s*([^)]+)\))?\s*", item)
        assert match, item
        result[match.group(1)] = match.group(2)
    return result


def test_lintian_reports_nothing_that_is_not_overridden(deb):
    result = subprocess.run(["lintian", "--fail-on", "error,warning", "--tag-display-limit", "0", deb],
                            capture_output=True, text=True, timeout=600)
    lines = [line for line in result.stdout.splitlines() if re.match(r"^[EWX]: ", line)]
    assert lines == [], result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    shown = subprocess.run(["lintian", "--tag-display-limit", "0", "--show-overrides", deb],
                           capture_output=True, text=True, timeout=600)
    overridden = [line for line in shown.stdout.splitlines() if line.startswith("O: ")]
    assert any("embedded-library" in line for line in overridden), result.stdout
    overrides = (REPO / "packaging" / "lintian-overrides").read_text()
    for block in overrides.strip().split("\n\n")[1:]:
        assert block.startswith("# "), f"an override without its reason:\n{block}"


def test_contents_conffile_and_dependencies(deb, tmp_path):
    root = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", deb, control], check=True)
    assert (control / "conffiles").read_text() == f"{DEB_MAPPING}\n"
    assert (root / DEB_MAPPING.lstrip("/")).read_bytes() == (REPO / "runner-config" / "oidc-aws.toml").read_bytes()
    for path in ("usr/bin/gitlab-oidc-aws", "opt/gitlab-oidc-aws/gitlab-oidc-aws",
                 "opt/gitlab-oidc-aws/lib/ld-linux-x86-64.so.2", "opt/gitlab-oidc-aws/lib/libcurl.so.4",
                 "opt/gitlab-oidc-aws/ca-certificates.crt", "usr/share/doc/gitlab-oidc-aws/copyright",
                 "usr/share/doc/gitlab-oidc-aws/changelog.Debian.gz", "usr/share/man/man1/gitlab-oidc-aws.1.gz"):
        assert (root / path).is_file(), path
    needs = depends(deb)
    assert {"libc6", "libcurl4", "libjansson4", "libssl3"} <= set(needs), needs
    assert subprocess.run(["dpkg", "--compare-versions", needs["libcurl4"], "ge", "7.85.0"]).returncode == 0
    assert field(deb, "Version") in subprocess.run([root / "usr/bin/gitlab-oidc-aws", "version"],
                                                   capture_output=True, text=True).stdout
    man = subprocess.run(["man", "--warnings", "-l", root / "usr/share/man/man1/gitlab-oidc-aws.1.gz"],
                         capture_output=True, text=True, env={**os.environ, "MANWIDTH": "100"})
    if man.returncode == 0:
        assert "hook" in man.stdout and man.stderr == "", man.stderr


def test_readme_debian_shows_the_documented_snippets(deb, tmp_path):
    root = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    text = (root / "usr/share/doc/gitlab-oidc-aws/README.Debian").read_text()
    blocks = [tomllib.loads(b)["runners"][0]["pre_build_script"] for b in re.findall(r"```toml\n(.*?)```", text, re.S)]
    assert blocks == [pre_build_script("/usr/bin/gitlab-oidc-aws", DEB_MAPPING) + "\n",
                      pre_build_script("/opt/gitlab-oidc-aws/gitlab-oidc-aws", DEB_MAPPING) + "\n"]


def test_unpacked_into_an_empty_root_with_its_dependencies(deb, debian_packages, issuer, sts, tmp_path):
    """The package and the packages its Depends names (and theirs), unpacked into an empty
    root without /proc: the binary runs, and the bundle it carries exchanges a token."""
    root = empty_root(tmp_path / "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    wanted, seen = list(depends(deb)), set()
    while wanted:
        package = wanted.pop()
        if package in seen:
            continue
        seen.add(package)
        debian_packages.extract(package, root)
        for item in field(debian_packages.get(package), "Depends").split(","):
            name = item.strip().split(" ")[0].split(":")[0]
            if name and name not in seen and not name.startswith("debconf"):
                wanted.append(name)
        for item in field(debian_packages.get(package), "Pre-Depends").split(","):
            name = item.strip().split(" ")[0].split(":")[0]
            if name and name not in seen:
                wanted.append(name)
    assert (root / "lib64" / "ld-linux-x86-64.so.2").exists() or (root / "usr/lib64/ld-linux-x86-64.so.2").exists()

    version = run_in_root(root, ["/usr/bin/gitlab-oidc-aws", "version"], env={"PATH": "/usr/bin"})
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"{NAME} {field(deb, 'Version')}")

    mapping = mapping_toml(issuer=issuer.url, sts_endpoint=sts.url, cache_dir=None, rules=DEFAULT_RULES)
    (root / "etc/gitlab-oidc-aws/oidc-aws.toml").write_text(mapping)
    env_file = root / "job.env"
    env_file.write_bytes(b"")
    for binary in ("/usr/bin/gitlab-oidc-aws", "/opt/gitlab-oidc-aws/gitlab-oidc-aws"):
        r = run_in_root(root, [binary, "hook", "--config", DEB_MAPPING],
                        env={"PATH": "/usr/bin", "AWS_ID_TOKEN": issuer.mint(), "GITLAB_ENV": "/job.env"})
        assert r.returncode == 0, (binary, r.stderr)
        assert f"AWS_ACCESS_KEY_ID={sts.issued[-1].access_key_id}\n" in env_file.read_text()
