"""demo/demo.py (what demo/run.sh runs): one job end to end against the local issuer and moto."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_a_job_end_to_end(binary):
    result = subprocess.run([sys.executable, REPO / "demo" / "demo.py", binary], capture_output=True, text=True,
                            timeout=180, env={**os.environ, "PYTHONPATH": str(REPO / "Tests")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "arn:aws:sts::123456789012:assumed-role/demo-app-deploy/" in result.stdout
    assert "eyJ" not in result.stdout + result.stderr  # no token (JWT header) printed
