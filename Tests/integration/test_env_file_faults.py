"""An env file that cannot take the whole append: read-only, disk full, a file-size limit,
its folder removed, or something that is not a regular file. The hook must exit 1 and leave
the file byte-for-byte as it was: never a partial line the runner would export."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from testkit.hook import EnvFile, assert_credentials_appended, assert_exit, assert_no_secrets, run_hook



def page_filler(size: int) -> bytes:
    """Env-file content of exactly `size` bytes, in whole lines."""
    frame = b"EXISTING=\nLAST=1\n"
    return b"EXISTING=" + b"x" * (size - len(frame)) + b"\nLAST=1\n"


# On tmpfs a file takes whole 4 KiB pages: an append to a file of 4090 bytes fits 6 bytes
# in its last page and needs a new page for the rest; one of 4096 bytes needs a new page
# for its first byte.
NEARLY_A_PAGE = page_filler(4090)
A_FULL_PAGE = page_filler(4096)


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A small tmpfs at `path` (root only); skips the test where mounting is not allowed."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> None:
    """Write a filler file until the file system is full."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def check_untouched(result, env_file: EnvFile, before: bytes, token: str, *keywords: str) -> None:
    assert_exit(result, 1, *keywords)
    env_file.assert_unchanged(before)
    assert_no_secrets(result, token=token)


def test_read_only_env_file(hook, make_mapping, issuer, sts, tmp_path):
    token = issuer.mint()
    if os.geteuid() != 0:
        env_file = EnvFile(tmp_path / "env")
        before = env_file.write(b"EXISTING=1\n")
        env_file.path.chmod(0o444)
        r = hook(make_mapping(), token=token, env_file=env_file.path)
        check_untouched(r, env_file, before, token, "nothing was written")
        return
    with tmpfs(tmp_path / "ro", "64k") as folder:  # root ignores file modes, not a read-only mount
        env_file = EnvFile(folder / "env")
        before = env_file.write(b"EXISTING=1\n")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        r = hook(make_mapping(), token=token, env_file=env_file.path)
        check_untouched(r, env_file, before, token, "Read-only file system", "nothing was written")


@pytest.mark.parametrize("content,keywords", [
    (NEARLY_A_PAGE, ("disk full", "taken back")),
    (A_FULL_PAGE, ("No space left on device", "nothing was written")),
], ids=["mid-write", "before-the-write"])
def test_disk_full(hook, make_mapping, issuer, sts, tmp_path, content, keywords):
    token = issuer.mint()
    with tmpfs(tmp_path / "full", "64k") as folder:
        env_file = EnvFile(folder / "env")
        before = env_file.write(content)
        fill(folder)
        r = hook(make_mapping(), token=token, env_file=env_file.path)
        check_untouched(r, env_file, before, token, *keywords)
        assert env_file.path.stat().st_size == len(before)
    assert sts.assume_count == 1
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def limited(binary: Path, folder: Path, max_bytes: int) -> Path:
    """A wrapper that runs the hook with a file-size limit (`ulimit -f`, in bytes)."""
    wrapper = folder / "limited-hook"
    wrapper.write_text(f'#!/bin/sh\nexec prlimit --fsize={max_bytes}:{max_bytes} -- {binary} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.parametrize("room", [40, 0], ids=["partial-write", "no-room"])
def test_a_file_size_limit_never_leaves_a_partial_line(binary, base_env, make_mapping, issuer, sts, env_file,
                                                       tmp_path, room):
    before = env_file.write(b"EXISTING=1\nSPACES=a b\n")
    token = issuer.mint()
    wrapper = limited(binary, tmp_path, len(before) + room)
    r = run_hook(wrapper, make_mapping(), env=base_env, env_file=env_file.path, token=token)
    keywords = ("taken back",) if room else ("File too large", "nothing was written")
    check_untouched(r, env_file, before, token, *keywords)
    assert sts.assume_count == 1


def test_removed_job_folder(hook, make_mapping, issuer, sts, tmp_path):
    folder = tmp_path / "job.tmp"
    folder.mkdir()
    folder.rmdir()
    token = issuer.mint()
    r = hook(make_mapping(), token=token, env_file=folder / "gitlab_runner_env")
    assert_exit(r, 1, "No such file or directory", "nothing was written")
    assert not folder.exists()
    assert_no_secrets(r, token=token, secrets=sts.secrets())


@pytest.mark.parametrize("kind", ["directory", "dev-full", "fifo"])
def test_not_a_regular_file(hook, make_mapping, issuer, sts, tmp_path, kind):
    if kind == "directory":
        target = tmp_path / "envdir"
        target.mkdir()
    elif kind == "dev-full":
        target = Path("/dev/full")
    else:
        target = tmp_path / "envfifo"
        os.mkfifo(target)
    token = issuer.mint()
    r = hook(make_mapping(), token=token, env_file=target, timeout=60)
    assert_exit(r, 1)
    assert any(word in r.stderr for word in ("not a regular file", "Is a directory", "No such device")), r.stderr
    assert_no_secrets(r, token=token, secrets=sts.secrets())


def test_a_normal_append_after_all_that(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(NEARLY_A_PAGE)
    r = hook(make_mapping(), token=issuer.mint())
    assert_exit(r, 0)
    assert_credentials_appended(before, env_file.read())
