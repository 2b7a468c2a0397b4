"""Real AWS clients (AWS CLI, boto3) run as a job would run them after the hook.

    env = job_environment(base_env, env_file)        # base env + the env file's KEY=VALUE lines
    r = aws(env, "sts", "get-caller-identity", "--endpoint-url", sts.url)
    r = run_boto3(env, BOTO3_SCRIPT, "arg")           # python3 -c script, JSON lines on stdout
    mode(path) -> 0o600 ...

The env file's lines are applied over `base_env` exactly like the runner's
`while read -r line; do export "$line"; done` loop: each line is `KEY=VALUE`, taken
literally, later lines win.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .env import aws_cli


@dataclass
class ClientResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json_lines(self) -> list:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def job_environment(base_env: dict[str, str], env_file: Path | str, **extra: str) -> dict[str, str]:
    """`base_env` plus the env file's variables (as the runner exports them), plus `extra`."""
    env = dict(base_env)
    for line in Path(env_file).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            env[key] = value
    env.update(extra)
    return env


def _run(argv: list[str], env: dict[str, str], timeout: float) -> ClientResult:
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout)
    return ClientResult(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                        proc.stderr.decode("utf-8", "replace"))


def aws(env: dict[str, str], *args: str, timeout: float = 120) -> ClientResult:
    """Run the AWS CLI with `args`."""
    return _run([aws_cli(), *args], env, timeout)


def run_boto3(env: dict[str, str], script: str, *args: str, timeout: float = 120) -> ClientResult:
    """Run `script` with this Python (which has boto3) in `env`; `sys.argv[1:]` = args."""
    return _run([sys.executable, "-c", script, *args], env, timeout)


def caller_arn(result: ClientResult) -> str:
    """The `Arn` printed by `aws sts get-caller-identity --query Arn --output text`."""
    assert result.returncode == 0, result.output
    return result.stdout.strip()


def mode(path: Path | str) -> int:
    """Permission bits of `path`."""
    return stat.S_IMODE(os.stat(path).st_mode)
