"""Golden transcripts: the exact output of an admin command, reviewed by hand and compared
byte for byte.

A transcript is what a terminal shows: a `$ gitlab-oidc-aws ARGS` line, stdout, stderr, then
`[exit N]`. The commands run in GOLDEN_DIR, so that the mapping paths in their output are
the short relative names shown in docs/admin-commands.md.

    result = run_admin(binary, env, ["check", "--config", "mapping.toml"])
    assert_golden("check-mapping", result)

`UPDATE_GOLDEN=1 pytest ...` rewrites the files instead of comparing; review the diff by hand
before committing it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "admin-commands.md"


@dataclass
class AdminResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def transcript(self) -> str:
        out = f"$ gitlab-oidc-aws {shlex.join(self.args)}\n{self.stdout}{self.stderr}"
        return f"{out}[exit {self.returncode}]\n"


def run_admin(binary: Path | str, env: dict[str, str], args: list[str], cwd: Path = GOLDEN_DIR,
              timeout: float = 120) -> AdminResult:
    """Run `binary ARGS` in `cwd` with stdin from /dev/null."""
    proc = subprocess.run([str(binary), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return AdminResult(list(args), proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.console"


def assert_golden(name: str, result: AdminResult) -> None:
    """The transcript equals GOLDEN_DIR/<name>.console exactly (or rewrites it when
    UPDATE_GOLDEN is set)."""
    path = golden_path(name)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(result.transcript)
        return
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text()
    assert result.transcript == expected, (
        f"output differs from {path.name}\n--- expected\n{expected}\n--- actual\n{result.transcript}")
