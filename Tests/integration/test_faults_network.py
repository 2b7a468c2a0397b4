"""Network faults below HTTP: a server that never answers, a TCP handshake that hangs, a
port nobody listens on, a libcurl that cannot be loaded. The hook must end each in bounded time (connect_timeout,
request_timeout, max_attempts), name the cause and the setting, and change nothing."""

from __future__ import annotations

import os
import subprocess

import pytest

from testkit.blackhole import FullBacklog, SilentServer
from testkit.hook import assert_exit, assert_no_secrets, run_hook
from testkit.net import free_port
from test_faults_sts import attempt_lines

FAST = dict(connect_timeout=0.5, request_timeout=1, max_attempts=2)


def test_a_black_hole_that_accepts_and_never_answers(hook, make_mapping, issuer, env_file):
    before = env_file.write(b"EXISTING=1\n")
    token = issuer.mint()
    with SilentServer() as hole:
        r = hook(make_mapping(sts_endpoint=hole.url, **FAST), token=token)
        accepted = hole.accepted
    assert_exit(r, 1, "cannot reach STS", "no complete answer", "within 1 s", "request_timeout",
                "giving up after 2 attempts")
    assert accepted == 2
    assert len(attempt_lines(r)) == 2
    env_file.assert_unchanged(before)
    assert_no_secrets(r, token=token)


def test_a_handshake_that_never_completes_hits_the_connect_timeout(hook, make_mapping, issuer, env_file):
    before = env_file.write(b"")
    token = issuer.mint()
    with FullBacklog() as backlog:
        if not backlog.hangs:
            pytest.skip("this kernel completed a connect to a full accept queue")
        r = hook(make_mapping(sts_endpoint=backlog.url, **FAST), token=token)
    assert_exit(r, 1, "could not connect", "within 0.5 s", "connect_timeout", "giving up after 2 attempts")
    env_file.assert_unchanged(before)
    assert_no_secrets(r, token=token)


def test_connection_refused_is_retried_then_reported(hook, make_mapping, issuer, env_file):
    before = env_file.write(b"")
    token = issuer.mint()
    r = hook(make_mapping(sts_endpoint=f"http://127.0.0.1:{free_port()}/", max_attempts=3), token=token)
    assert_exit(r, 1, "cannot connect", "giving up after 3 attempts")
    assert len(attempt_lines(r)) == 3
    env_file.assert_unchanged(before)


def test_a_black_holed_key_set_fails_in_bounded_time(hook, make_mapping, issuer, sts, env_file):
    before = env_file.write(b"")
    with SilentServer() as hole:
        r = hook(make_mapping(jwks_url=hole.url, **FAST), token=issuer.mint())
        accepted = hole.accepted
    assert_exit(r, 1, "signing keys", "no complete answer", "request_timeout")
    assert accepted == 2
    assert sts.assume_count == 0
    env_file.assert_unchanged(before)


def libcurl_path() -> str | None:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return next((line.split("=> ")[-1] for line in out.splitlines() if line.strip().startswith("libcurl.so.4 ")), None)


def test_a_libcurl_that_cannot_be_loaded(binary, base_env, env_file, make_mapping, issuer, tmp_path):
    """A job image with a broken libcurl (here: an empty file bind-mounted over it in a private
    mount namespace). libcurl is loaded only for the first request, so a job without a token
    is still skipped; a job with one fails with what to install, and nothing is written."""
    library = libcurl_path()
    if os.geteuid() != 0 or library is None or subprocess.run(["unshare", "--mount", "true"]).returncode != 0:
        pytest.skip("needs root, libcurl.so.4 and mount namespaces")
    empty = tmp_path / "empty.so"
    empty.write_bytes(b"")
    wrapper = tmp_path / "without-libcurl"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"exec unshare --mount sh -c 'mount --bind {empty} {library} && exec {binary} \"$@\"' sh \"$@\"\n")
    wrapper.chmod(0o755)
    config = make_mapping()
    before = env_file.write(b"EXISTING=1\n")

    skipped = run_hook(wrapper, config, env=base_env, env_file=env_file.path)
    assert_exit(skipped, 0)
    assert skipped.stderr == "", "a tokenless job gets no line"
    token = issuer.mint()
    r = run_hook(wrapper, config, env=base_env, env_file=env_file.path, token=token)
    assert_exit(r, 1, "cannot load libcurl (libcurl.so.4), which every request needs",
                "apt-get install libcurl4", "install.sh --bundle")
    env_file.assert_unchanged(before)
    assert_no_secrets(r, token=token)
