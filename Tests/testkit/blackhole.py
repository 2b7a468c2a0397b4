"""Endpoints that never answer, on 127.0.0.1 only (no packet leaves the machine).

    with SilentServer() as s:     # accepts every connection, reads the request, never answers
        s.url, s.accepted         # http://127.0.0.1:<port>/, connections accepted so far
    with FullBacklog() as b:      # a listener whose accept queue is full: connects hang
        b.url                     # (the kernel drops the SYN, so the client's connect times out)

`SilentServer` is the black hole a dead load balancer or a firewall that lets the connection
through but swallows the request looks like: the client's per-request timeout must end it.
`FullBacklog` makes the TCP handshake itself hang without any non-loopback address: it
listens with a backlog of 0, never accepts, and fills the queue with its own connections;
`FullBacklog.hangs` says whether a probe connect really timed out (the test skips if not).
"""

from __future__ import annotations

import socket
import threading

from .net import LOOPBACK


class SilentServer:
    """Accepts connections and never answers them; closes them all on stop()."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"SilentServer:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self._held)

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with self._lock:
                self._held.append(connection)

    def __enter__(self) -> "SilentServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for connection in self._held:
                connection.close()


class FullBacklog:
    """A listener that never accepts, with its accept queue filled by its own connections."""

    def __init__(self, probe_timeout: float = 0.5) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(0)
        self.port = self._listener.getsockname()[1]
        self._fillers: list[socket.socket] = []
        self.hangs = False
        # Linux queues backlog + 1 connections; a few more make sure, then one must hang.
        for _ in range(8):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((LOOPBACK, self.port))
            self._fillers.append(filler)
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.settimeout(probe_timeout)
        try:
            probe.connect((LOOPBACK, self.port))
        except (TimeoutError, socket.timeout):
            self.hangs = True
        except OSError:
            pass
        finally:
            probe.close()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def __enter__(self) -> "FullBacklog":
        return self

    def __exit__(self, *exc) -> None:
        for filler in self._fillers:
            filler.close()
        self._listener.close()
