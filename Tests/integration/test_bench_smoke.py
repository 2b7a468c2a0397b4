"""The benchmark (bench/bench.py) still runs: one round, no files written. Nothing is timed
or compared here; docs/performance.md has the numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_runs_one_round(binary):
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench.py"), "--binary", str(binary), "--rounds", "1",
         "--rules", "10", "--no-write"],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "Tests")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for label in ("hook (2 rules)", "AWS CLI recipe", "bare curl POST", "hook, job without token",
                  "hook, 10 rules", "at most 1.15x bare curl's wall time", "at most curl's + 6 MB"):
        assert label in proc.stdout, proc.stdout
