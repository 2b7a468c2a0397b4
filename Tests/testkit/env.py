"""Process environments for everything the tests start (hook, stage shells, AWS CLI).

Starts from a few harmless variables of the test process and never passes on the
machine's AWS_*, CI_*, GITLAB_* or proxy variables. AWS config/credential files point at
files that do not exist, `HOME` is a fresh directory, and `AWS_EC2_METADATA_DISABLED`
keeps the AWS CLI from ever asking the instance metadata address for credentials: the only
traffic is to the loopback servers the test names.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

# The sanitizer settings reach an instrumented hook binary (scripts/asan-test.sh).
_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "SHELL", "TERM",
         "ASAN_OPTIONS", "LSAN_OPTIONS")


def aws_cli() -> str:
    """Absolute path of the `aws` command of this Python installation."""
    candidate = Path(sysconfig.get_path("scripts")) / "aws"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("aws")
    if not found:
        raise RuntimeError("the AWS CLI (PyPI awscli) is not installed")
    return found


def isolated_env(root: Path) -> dict[str, str]:
    """A clean environment rooted at `root` (HOME and AWS file paths live below it)."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: os.environ[k] for k in _KEEP if k in os.environ}
    env["PATH"] = os.pathsep.join([str(Path(aws_cli()).parent), env.get("PATH", "/usr/bin:/bin")])
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    return env
