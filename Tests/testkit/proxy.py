"""A small HTTP proxy on 127.0.0.1, as a corporate proxy would sit between runner and AWS.

    with ConnectProxy() as proxy:
        env["HTTPS_PROXY"] = proxy.url            # http://127.0.0.1:<port>
        ...
        proxy.connects        # ["127.0.0.1:40123", ...]: CONNECT targets, in order
        proxy.forwarded       # ["http://127.0.0.1:40200/.well-known/...", ...]: plain requests
    proxy.refuse(403)         # answer CONNECT with 403 from now on (407, 502, ...)

CONNECT opens a TCP tunnel (only to 127.0.0.1; anything else gets 403) and relays bytes both
ways until one side closes. A request in absolute form (`GET http://host:port/path`, what a
client sends through `http_proxy`) is forwarded with `Connection: close` and its answer
relayed. Nothing is ever sent to a non-loopback address.
"""

from __future__ import annotations

import select
import socket
import threading
import urllib.parse

from .net import LOOPBACK, LoopbackServer, QuietHandler


def _relay(a: socket.socket, b: socket.socket, stopping: threading.Event) -> None:
    """Copy bytes both ways until either side closes or the proxy stops."""
    sockets = [a, b]
    while not stopping.is_set():
        readable, _, _ = select.select(sockets, [], [], 0.1)
        for s in readable:
            try:
                data = s.recv(65536)
            except OSError:
                return
            if not data:
                return
            (b if s is a else a).sendall(data)


class _Handler(QuietHandler):
    def do_CONNECT(self):  # noqa: N802
        proxy = self.owner
        with proxy.lock:
            proxy.connects.append(self.path)
            status = proxy.refusal
        host, _, port = self.path.rpartition(":")
        if status is None and host != LOOPBACK:
            status = 403
        if status is not None:
            self.send(status, b"refused by the test proxy\n", "text/plain")
            self.close_connection = True
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            self.send(502, b"upstream unreachable\n", "text/plain")
            self.close_connection = True
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            _relay(self.connection, upstream, proxy._stopping)
        finally:
            upstream.close()
            self.close_connection = True

    def _forward(self):
        proxy = self.owner
        with proxy.lock:
            proxy.forwarded.append(self.path)
        target = urllib.parse.urlsplit(self.path)
        if target.scheme != "http" or target.hostname != LOOPBACK:
            self.send(403, b"only http://127.0.0.1 is forwarded\n", "text/plain")
            return
        body = self.read_body()
        headers = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items()
                          if k.lower() not in ("connection", "proxy-connection", "keep-alive"))
        path = target.path + (f"?{target.query}" if target.query else "")
        request = f"{self.command} {path or '/'} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n".encode()
        with socket.create_connection((target.hostname, target.port or 80), timeout=10) as upstream:
            upstream.sendall(request + body)
            while chunk := upstream.recv(65536):
                self.wfile.write(chunk)
        self.close_connection = True

    do_GET = do_POST = _forward


class ConnectProxy(LoopbackServer):
    """See the module docstring."""

    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.connects: list[str] = []
        self.forwarded: list[str] = []
        self.refusal: int | None = None

    def refuse(self, status: int | None) -> None:
        """Answer every CONNECT with `status` (None: tunnel again)."""
        with self.lock:
            self.refusal = status
