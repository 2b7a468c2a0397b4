"""Job-image root file systems made from Debian packages at test time, for the container bundle.

    packages = DebianPackages(folder)            # apt-get download, once per folder
    root = empty_root(path)                      # no C library, no shell, no /proc
    root = alpine_like_root(path, packages)      # musl's loader at /lib/ld-musl-x86_64.so.1, /bin/sh = busybox
    root = glibc_root(path, packages)            # Debian's libc6 and nothing else
    install_bundle(root, bundle)                 # the bundle at /opt/gitlab-oidc-aws (hard links)
    run_in_root(root, argv, env=...)             # chroot (needs root), no /proc

No root has /proc or /sys, and only the Alpine-like one has a /dev (with /dev/null alone,
which the stage script reads): the bundle must not need them. The packages come from
this machine's apt sources with `apt-get download` (after `apt-get update` when the lists are
missing) and are unpacked with `dpkg-deb -x`, the way a Debian-based image is assembled; a
package that cannot be downloaded fails the test that needs it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

MOUNT_PATH = "/opt/gitlab-oidc-aws"
BUSYBOX_APPLETS = ("sh", "cat", "echo", "env", "grep", "mkdir", "touch", "test", "[", "ls", "sed", "true", "false")


class DebianPackages:
    """Debian packages downloaded into `folder` (each once), by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._updated = False

    def get(self, name: str) -> Path:
        """The .deb file of package `name` for this machine's architecture."""
        found = sorted(self.folder.glob(f"{name}_*.deb"))
        if found:
            return found[-1]
        result = self._download(name)
        if result.returncode != 0 and not self._updated:
            self._updated = True
            subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-qq"], capture_output=True,
                           text=True, timeout=600)
            result = self._download(name)
        found = sorted(self.folder.glob(f"{name}_*.deb"))
        if result.returncode != 0 or not found:
            raise RuntimeError(f"apt-get download {name} failed: {result.stderr.strip()}")
        return found[-1]

    def _download(self, name: str) -> subprocess.CompletedProcess:
        return subprocess.run(["apt-get", "download", "-q", name], cwd=self.folder, capture_output=True, text=True,
                              timeout=600)

    def extract(self, name: str, root: Path) -> None:
        """Unpacks package `name` into `root` (dpkg-deb -x)."""
        subprocess.run(["dpkg-deb", "-x", str(self.get(name)), str(root)], check=True, capture_output=True)


def _skeleton(root: Path) -> Path:
    root = Path(root)
    for folder in ("tmp", "etc", "builds", MOUNT_PATH.lstrip("/")):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    return root


def empty_root(root: Path) -> Path:
    """A root with no C library, no shell and no /proc: only empty folders (a `scratch` image)."""
    return _skeleton(root)


def alpine_like_root(root: Path, packages: DebianPackages) -> Path:
    """musl's dynamic loader and C library at Alpine's paths and busybox as /bin/sh and its
    tools, from Debian's `musl` and `busybox-static` packages; no glibc."""
    root = _skeleton(root)
    packages.extract("musl", root)
    packages.extract("busybox-static", root)
    loader = root / "lib" / "ld-musl-x86_64.so.1"
    if not (loader.exists() or loader.is_symlink()):
        loader.parent.mkdir(parents=True, exist_ok=True)
        loader.symlink_to("/usr/lib/x86_64-linux-musl/libc.so")
    # The runner's stage script reads from /dev/null; container runtimes always provide it.
    (root / "dev").mkdir(exist_ok=True)
    if not (root / "dev" / "null").exists():
        os.mknod(root / "dev" / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        (root / "dev" / "null").chmod(0o666)
    busybox = root / "bin" / "busybox"
    for applet in BUSYBOX_APPLETS:
        link = root / "bin" / applet
        if not (link.exists() or link.is_symlink()):
            link.symlink_to("busybox")
    assert busybox.is_file() and not list(root.rglob("libc.so.6")), "not an Alpine-like root"
    return root


def glibc_root(root: Path, packages: DebianPackages) -> Path:
    """Debian's C library (package libc6) and nothing else: no libcurl, no OpenSSL."""
    root = _skeleton(root)
    packages.extract("libc6", root)
    return root


def install_bundle(root: Path, bundle: Path, mount_path: str = MOUNT_PATH) -> Path:
    """The bundle at `mount_path` in `root`, as hard links to `bundle`'s files (cheap, and as
    good as a read-only bind mount for a process that never writes them). Returns the folder."""
    target = Path(root) / mount_path.lstrip("/")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(bundle), str(target)], check=True)
    return target


def _enter(root: Path, directory: str) -> None:
    os.chroot(root)
    os.chdir(directory)


def run_in_root(root: Path, argv: list[str], *, env: dict[str, str], input: bytes | None = None,
                cwd: str = "/", timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs `argv` (paths inside the root) with `root` as its root directory and exactly `env`
    as its environment; text output."""
    proc = subprocess.run(argv, env=env, input=input, capture_output=True, timeout=timeout,
                          preexec_fn=lambda: _enter(root, cwd))
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))
