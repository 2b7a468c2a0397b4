"""moto's server (a real STS implementation) as a subprocess on 127.0.0.1.

moto accepts any web identity token without checking it, answers XML, adds microseconds
to `Expiration`, remembers the credentials it issued (so GetCallerIdentity with them answers
the assumed-role ARN), and answers malformed requests with an HTML 500 page.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from .net import LOOPBACK, free_port, http_get, http_post, wait_until


def _die_with_parent() -> None:
    """Linux: SIGTERM the server if the test process dies without tearing down."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except Exception:
        pass


class MotoServer:
    """`python3 -m moto.server -H 127.0.0.1 -p PORT`, started by `start()`, killed by `stop()`."""

    def __init__(self) -> None:
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _alive(self) -> bool:
        try:
            status, _ = http_get(f"{self.url}/moto-api/data.json", timeout=1)
            return status == 200
        except OSError:
            return False

    def start(self, attempts: int = 3, timeout: float = 60.0) -> "MotoServer":
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                   NO_PROXY="*", no_proxy="*")
        last_log = ""
        for _ in range(attempts):
            self.port = free_port()
            self._log = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                cwd=tempfile.gettempdir(), preexec_fn=_die_with_parent,
            )
            if wait_until(lambda: self.proc.poll() is not None or self._alive(), timeout, 0.1) \
                    and self.proc.poll() is None:
                return self
            last_log = self.output()
            self.stop()
        raise RuntimeError(f"moto server did not start:\n{last_log}")

    def output(self) -> str:
        """What the server printed so far."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def reset(self) -> None:
        """Forget every resource and credential (moto's reset API)."""
        http_post(f"{self.url}/moto-api/reset", b"")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
