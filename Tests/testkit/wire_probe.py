"""The test-only `aws-wire-probe` binary (Tests/AWSWireProbe): the library's SigV4 signer,
session-tag sanitiser, STS AssumeRole and IAM GetRole, driven with JSON.

It is built next to the hook (`swift build` builds every target), so it is found beside the
hook binary, else in `.build/debug`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1].parent


def find_probe(binary: Path | None = None) -> Path:
    """The probe beside `binary` (the hook under test), else in .build/debug."""
    candidates = ([binary.parent / "aws-wire-probe"] if binary else []) + [REPO / ".build" / "debug" / "aws-wire-probe"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"aws-wire-probe not found in {', '.join(map(str, candidates))}: run `swift build`")


@dataclass
class ProbeResult:
    returncode: int
    output: dict
    stderr: str


class WireProbe:
    def __init__(self, path: Path, env: dict | None = None) -> None:
        self.path = path
        self.env = env

    def lines(self, command: str, inputs: list[dict]) -> list[dict]:
        """Runs a line-oriented command (`sign`, `sanitise-tags`) on every input at once."""
        text = "".join(json.dumps(item) + "\n" for item in inputs)
        proc = subprocess.run([str(self.path), command], input=text.encode(), capture_output=True,
                              timeout=300, env=self.env)
        assert proc.returncode == 0, proc.stderr.decode()
        outputs = [json.loads(line) for line in proc.stdout.decode().split("\n") if line]
        assert len(outputs) == len(inputs)
        return outputs

    def call(self, command: str, document: dict, timeout: float = 120) -> ProbeResult:
        """Runs `assume-role` or `get-role` with one input document."""
        proc = subprocess.run([str(self.path), command], input=json.dumps(document).encode(),
                              capture_output=True, timeout=timeout, env=self.env)
        out = proc.stdout.decode().strip()
        return ProbeResult(proc.returncode, json.loads(out) if out else {}, proc.stderr.decode())
