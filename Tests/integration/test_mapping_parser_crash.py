"""Mapping files on which the TOML parser inside TOMLKit (toml++ 3.4) aborts (found by
fuzzing): `check` must exit 2 with the line and leave no process behind (the Swift crash
handler of a dying child would start a backtracer that never ends); `hook`, which parses in
its own process with an abort handler instead of forking per job, must exit 2 pointing at
`check`, print none of the parser's assertion text, and change nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from testkit.hook import assert_exit, assert_no_secrets

CRASHERS = {
    "date-time": ('issuer = "https://gitlab.example.com"\n# a comment\nstarted = 1979-05-27T:\n', 3,
                  "the TOML parser stopped on this line"),
    "header": ('issuer = "https://gitlab.example.com"\n\n[.rule]\n', 3,
               'a table header must start with a key (letters, digits, _ and -, or a quoted key), found "." (column 2)'),
}


def processes_in(folder: Path) -> list[str]:
    """Command lines of the processes whose working directory is `folder`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder):
                found.append(open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


@pytest.mark.parametrize("case", sorted(CRASHERS))
def test_check_reports_the_line_and_leaves_nothing_running(binary, base_env, tmp_path, case):
    text, line, message = CRASHERS[case]
    config = tmp_path / "mapping.toml"
    config.write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    r = subprocess.run([str(binary), "check", "--config", str(config)], cwd=work, env=base_env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert_exit(r, 2, f"{config}:{line}: error: not valid TOML", message)
    assert "Assertion" not in r.stderr and "crashed" not in r.stderr
    assert processes_in(work) == []


def test_the_hook_exits_2_and_writes_nothing(hook, issuer, sts, env_file, tmp_path):
    config = tmp_path / "mapping.toml"
    config.write_text(CRASHERS["date-time"][0])
    before = env_file.write(b"EXISTING=1\n")
    token = issuer.mint()
    r = hook(config, token=token, cwd=tmp_path)
    assert_exit(r, 2, f"{config}: not valid TOML: the TOML parser stopped without saying why",
                f"run `gitlab-oidc-aws check --config {config}` to find the line")
    assert "Assertion" not in r.output and "toml" + "++" not in r.output and "crashed" not in r.output
    env_file.assert_unchanged(before)
    assert sts.assume_count == 0
    assert_no_secrets(r, token=token)
    assert processes_in(tmp_path) == []
