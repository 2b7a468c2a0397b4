"""Golden transcripts: the exact output of an admin command, reviewed by hand and compared
byte for byte.

A transcript is what a terminal shows: a `$ gitlab-oidc-aws ARGS` line, the output (stdout
and stderr as they interleave, from a second run with both on one pipe), then `[exit N]`. The commands run in GOLDEN_DIR, so that the mapping paths in their output are
the short relative names shown in docs/admin-commands.md.

    result = run_golden(binary, env, "check-mapping", ["check", "--config", "mapping.toml"], 0)

`UPDATE_GOLDEN=1 pytest ...` rewrites the files instead of comparing, and fills the marked
blocks of docs/admin-commands.md with them; review the diff by hand before committing it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO / "Tests" / "integration" / "golden"
DOCS = REPO / "docs" / "admin-commands.md"


@dataclass
class AdminResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    cwd: Path
    env: dict[str, str]
    binary: Path | str

    @property
    def transcript(self) -> str:
        """The terminal's view: the command run again with stdout and stderr on one pipe, so
        that their lines keep the order in which the program wrote them."""
        merged = subprocess.run([str(self.binary), *self.args], cwd=self.cwd, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=120)
        assert merged.returncode == self.returncode
        return f"$ gitlab-oidc-aws {shlex.join(self.args)}\n{merged.stdout.decode()}[exit {self.returncode}]\n"


def run_admin(binary: Path | str, env: dict[str, str], args: list[str], cwd: Path = GOLDEN_DIR,
              timeout: float = 120) -> AdminResult:
    """Run `binary ARGS` in `cwd` with stdin from /dev/null; stdout and stderr apart."""
    proc = subprocess.run([str(binary), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    return AdminResult(list(args), proc.returncode, proc.stdout.decode(), proc.stderr.decode(),
                       cwd, env, binary)


def run_golden(binary: Path | str, env: dict[str, str], name: str, args: list[str], code: int) -> AdminResult:
    """Run `binary ARGS` in GOLDEN_DIR; it must exit `code` and print golden transcript `name`."""
    result = run_admin(binary, env, args)
    assert result.returncode == code, result.stdout + result.stderr
    assert_golden(name, result.transcript)
    return result


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.console"


def assert_golden(name: str, transcript: str) -> None:
    """`transcript` equals GOLDEN_DIR/<name>.console exactly (or rewrites it, and the doc's
    blocks, when UPDATE_GOLDEN is set)."""
    path = golden_path(name)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(transcript)
        DOCS.write_text(filled_doc(DOCS.read_text()))
        return
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text()
    assert transcript == expected, (
        f"output differs from {path.name}\n--- expected\n{expected}\n--- actual\n{transcript}")


# --- the admin guide shows the golden transcripts ------------------------------------------

_MARKED_BLOCK = re.compile(r"<!-- (golden|file): (\S+) -->\n```(\w+)\n(.*?)```\n", re.DOTALL)


def _marked_source(kind: str, name: str) -> Path:
    return golden_path(name) if kind == "golden" else REPO / name


def doc_blocks(text: str) -> list[tuple[str, str, str]]:
    """(kind, name, content) of every block the doc marks with `<!-- golden: NAME -->`
    (a transcript) or `<!-- file: PATH -->` (a file of the repository)."""
    return [(m.group(1), m.group(2), m.group(4)) for m in _MARKED_BLOCK.finditer(text)]


def filled_doc(text: str) -> str:
    """`text` with every marked block replaced by what it marks."""
    def fill(m: re.Match) -> str:
        content = _marked_source(m.group(1), m.group(2)).read_text()
        return f"<!-- {m.group(1)}: {m.group(2)} -->\n```{m.group(3)}\n{content}```\n"
    return _MARKED_BLOCK.sub(fill, text)


def assert_doc_shows_golden(doc: Path = DOCS) -> None:
    """Every marked block of `doc` is exactly what it marks (UPDATE_GOLDEN=1 fills them)."""
    text = doc.read_text()
    if os.environ.get("UPDATE_GOLDEN"):
        doc.write_text(filled_doc(text))
        return
    for kind, name, content in doc_blocks(text):
        expected = _marked_source(kind, name).read_text()
        assert content == expected, f"{doc.name}: the block for {kind} {name} differs from it"
