"""Loopback-only HTTP plumbing shared by the test servers.

Every server binds 127.0.0.1 on a port chosen by the kernel at run time, serves from a
daemon thread and is stopped by `stop()` (fixtures call it in teardown).
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from typing import Callable

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port that was free a moment ago (for subprocesses that must be given one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET a loopback URL without any proxy; returns (status, body), HTTP errors included."""
    assert url.startswith(f"http://{LOOPBACK}:"), url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_post(url: str, body: bytes, headers: dict | None = None, timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """POST to a loopback URL without any proxy; returns (status, headers, body)."""
    assert url.startswith(f"http://{LOOPBACK}:"), url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, handler_cls, owner):
        self.owner = owner
        super().__init__(address, handler_cls)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """Request handler base: HTTP/1.1 keep-alive, no console logging, `owner` shortcut."""

    protocol_version = "HTTP/1.1"
    server_version = "harness"
    sys_version = ""

    @property
    def owner(self):
        return self.server.owner

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        """Send a complete response with Content-Length."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset_connection(self) -> None:
        """Abort the TCP connection with RST (SO_LINGER 0), answering nothing."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass
        # Let StreamRequestHandler.finish() work on harmless buffers.
        self.wfile = _NullWriter()


class _NullWriter:
    closed = False

    def write(self, data):
        return len(data)

    def flush(self):
        pass

    def close(self):
        pass


class LoopbackServer:
    """An HTTP server on 127.0.0.1:<random port> served from a daemon thread.

    Subclasses set `handler_class`. `start()` binds (the same port again after a `stop()`),
    `stop()` shuts it down and wakes any handler sleeping in `sleep()`.
    """

    handler_class: type[QuietHandler] = QuietHandler

    def __init__(self) -> None:
        self.port: int = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """Base URL without trailing slash, e.g. http://127.0.0.1:40123."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self):
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _Server((LOOPBACK, self.port), self.handler_class, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (connections are then refused)."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def sleep(self, seconds: float) -> None:
        """Sleep in a handler; returns early when the server is stopped."""
        self._stopping.wait(seconds)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
