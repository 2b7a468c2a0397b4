"""install.sh: install, re-install and uninstall into a temporary prefix, the bundle's layout,
and every error it reports. The prebuilt hook binary is installed with --binary, so no test
builds a release binary; one test runs the build step with a stand-in `swift` that fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from testkit.hook import pre_build_script

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "install.sh"
EXAMPLE = REPO / "runner-config" / "oidc-aws.toml"
NAME = "gitlab-oidc-aws"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="install.sh runs as root")


def run_install(*args, env: dict | None = None, user: str | None = None) -> subprocess.CompletedProcess:
    argv = [str(INSTALL), *map(str, args)]
    if user:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd="/",
                          env={**os.environ, **(env or {})})


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path below root: file content, or None for a directory."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in sorted(root.rglob("*"))}


def printed_snippet(stdout: str) -> dict:
    """The [[runners]] snippet install.sh printed, parsed as TOML."""
    match = re.search(r"^\[\[runners\]\]\n.*?\n'''\n", stdout, re.S | re.M)
    assert match, stdout
    return tomllib.loads(match.group(0))


@pytest.fixture
def layout(tmp_path):
    """A prefix that already holds somebody else's tool, and a mapping path that does not exist yet."""
    prefix = tmp_path / "usr-local"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "other-tool").write_text("#!/bin/sh\n")
    return prefix, tmp_path / "etc" / "gitlab-runner" / "oidc-aws.toml"


def test_install_reinstall_uninstall(binary, layout):
    prefix, mapping = layout
    before = tree(prefix)
    target = prefix / "bin" / NAME

    first = run_install("--prefix", prefix, "--mapping", mapping, "--binary", binary)
    assert first.returncode == 0, first.stderr
    assert os.access(target, os.X_OK)
    assert mapping.read_bytes() == EXAMPLE.read_bytes()
    assert mapping.stat().st_mode & 0o777 == 0o644
    assert printed_snippet(first.stdout)["runners"][0]["pre_build_script"] == \
        pre_build_script(target, mapping) + "\n"
    version = subprocess.run([binary, "version"], capture_output=True, text=True).stdout
    assert version in first.stdout  # install.sh ran the installed binary...
    assert f"{mapping}: valid" in first.stdout  # ...and checked the mapping with it

    mapping.write_text(mapping.read_text() + "# the administrator's edit\n")
    edited = mapping.read_bytes()
    again = run_install("--prefix", prefix, "--mapping", mapping, "--binary", binary)
    assert again.returncode == 0, again.stderr
    assert mapping.read_bytes() == edited
    assert "kept the existing mapping" in again.stdout
    assert subprocess.run([target, "version"], capture_output=True, text=True).stdout == version
    manifest = (prefix / "share" / NAME / "installed-files").read_text().splitlines()
    assert len(manifest) == len(set(manifest))

    gone = run_install("--uninstall", "--prefix", prefix)
    assert gone.returncode == 0, gone.stderr
    assert tree(prefix) == before
    assert mapping.read_bytes() == edited

    nothing = run_install("--uninstall", "--prefix", prefix)
    assert nothing.returncode == 0, nothing.stderr
    assert "nothing to uninstall" in nothing.stdout
    assert tree(prefix) == before


def test_uninstall_removes_the_directories_it_created(binary, tmp_path):
    prefix = tmp_path / "opt" / "goa"
    result = run_install("--prefix", prefix, "--mapping", tmp_path / "m.toml", "--binary", binary)
    assert result.returncode == 0, result.stderr
    assert run_install("--uninstall", "--prefix", prefix).returncode == 0
    assert not (tmp_path / "opt").exists()
    assert (tmp_path / "m.toml").exists()


def test_an_invalid_existing_mapping_fails_the_install_but_is_kept(binary, layout):
    prefix, mapping = layout
    mapping.parent.mkdir(parents=True)
    mapping.write_text('issuer = "https://gitlab.example.com"\nregoin = "eu-west-1"\n')
    result = run_install("--prefix", prefix, "--mapping", mapping, "--binary", binary)
    assert result.returncode == 1
    assert "regoin" in result.stderr and "not valid" in result.stderr
    assert mapping.read_text().endswith('regoin = "eu-west-1"\n')
    assert (prefix / "bin" / NAME).exists()


def test_not_root(binary, layout):
    prefix, mapping = layout
    result = run_install("--prefix", prefix, "--mapping", mapping, "--binary", binary, user="65534")
    assert result.returncode == 1
    assert "must run as root" in result.stderr
    assert not (prefix / "bin" / NAME).exists()


def test_unsupported_distribution(binary, layout, tmp_path):
    prefix, mapping = layout
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=fedora\nPRETTY_NAME="Fedora Linux 40"\n')
    result = run_install("--prefix", prefix, "--mapping", mapping, "--binary", binary,
                         env={"OS_RELEASE_FILE": str(os_release)})
    assert result.returncode == 1
    assert "unsupported distribution: Fedora Linux 40" in result.stderr
    assert not (prefix / "bin" / NAME).exists()


def test_build_failure(layout, tmp_path):
    prefix, mapping = layout
    fake = tmp_path / "swift"
    fake.write_text("#!/bin/sh\necho 'error: no such module CCurl' >&2\nexit 1\n")
    fake.chmod(0o755)
    result = run_install("--prefix", prefix, "--mapping", mapping, env={"SWIFT": str(fake)})
    assert result.returncode == 1
    assert "no such module CCurl" in result.stderr
    assert "release build failed" in result.stderr
    assert not (prefix / "bin" / NAME).exists() and not mapping.exists()


def test_swift_missing(layout):
    prefix, mapping = layout
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    if shutil.which("swift", path=env["PATH"]):
        pytest.skip("swift is in a system directory here")
    result = run_install("--prefix", prefix, "--mapping", mapping, env={**env, "SWIFT": ""})
    assert result.returncode == 1
    assert "swift not found on PATH" in result.stderr


def test_usage():
    assert run_install("--help").returncode == 0
    for args in (["--bogus"], ["--prefix"], ["--bundle", "/x", "--uninstall"], ["--deb", "/x", "--bundle", "/y"]):
        result = run_install(*args)
        assert result.returncode == 64, args
        assert "--help" in result.stderr


def test_bundle_layout(bundle, release_binary, tmp_path):
    """The bundle: a static launcher, the program with Debian's loader, C library and every
    library it loads (libcurl's tree included) in lib/, no search path written into any of
    them, the loader's copy blind to /etc/ld.so.preload, Debian's CA file, the packages'
    licences, BUNDLE-INFO; a second run replaces a bundle; an unrelated directory is refused."""
    headers = subprocess.run(["readelf", "-l", "-d", bundle / NAME], capture_output=True, text=True).stdout
    assert "INTERP" not in headers and "no dynamic section" in headers, headers
    assert (bundle / NAME).stat().st_size < 64 * 1024
    libs = {p.name for p in (bundle / "lib").iterdir()}
    assert {NAME, "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libcurl.so.4", "libjansson.so.4",
            "libcrypto.so.3", "libssl.so.3", "libnghttp2.so.14", "libstdc++.so.6"} <= libs, libs
    for path in (bundle / "lib").iterdir():
        dynamic = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
        assert "RPATH" not in dynamic and "RUNPATH" not in dynamic, path
    loader = (bundle / "lib" / "ld-linux-x86-64.so.2").read_bytes()
    assert b"/etc/ld.so.preload" not in loader and b"/etc/ld.so.cache" in loader
    assert (bundle / "ca-certificates.crt").read_bytes() == Path("/etc/ssl/certs/ca-certificates.crt").read_bytes()
    assert (bundle / "licenses" / "libcurl4").is_file() and (bundle / "licenses" / "libc6").is_file()
    info = (bundle / "BUNDLE-INFO").read_text()
    assert "libcurl.so.4 (libcurl4 " in info and "any x86_64 Linux image" in info
    clean = subprocess.run([bundle / NAME, "version"], capture_output=True, text=True, env={})
    assert clean.returncode == 0 and clean.stdout.startswith(NAME), clean.stderr

    again_dir = tmp_path / "bundle"
    first = run_install("--bundle", again_dir, "--binary", release_binary, "--mount-path", "/srv/goa")
    assert first.returncode == 0, first.stderr
    assert printed_snippet(first.stdout)["runners"][0]["pre_build_script"] == \
        pre_build_script("/srv/goa/gitlab-oidc-aws", "/etc/gitlab-runner/oidc-aws.toml") + "\n"
    (again_dir / "stale-file").write_text("x")
    again = run_install("--bundle", again_dir, "--binary", release_binary)
    assert again.returncode == 0, again.stderr
    assert not (again_dir / "stale-file").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left over

    other = tmp_path / "somebody-elses"
    other.mkdir()
    (other / "data").write_text("keep")
    refused = run_install("--bundle", other, "--binary", release_binary)
    assert refused.returncode == 1
    assert "not a bundle" in refused.stderr
    assert (other / "data").read_text() == "keep"
    bad = run_install("--bundle", tmp_path / "x", "--mount-path", "relative/path")
    assert bad.returncode == 64 and "absolute" in bad.stderr
