"""A local OIDC issuer that looks like GitLab's to a relying party.

Serves `/.well-known/openid-configuration` and the JWKS at `/oauth/discovery/keys` on
127.0.0.1:<random port>, and mints GitLab-shaped ID tokens signed with its current key.

Controls (all take effect on the next request):
  rotate(keep_old=False)   new signing key with a new kid; JWKS lists the new key
                           (and the old one too with keep_old=True)
  set_jwks(obj|bytes|None) serve this JWKS document instead (None: back to normal)
  set_discovery(dict|None) serve this discovery document instead
  fail(status=500, path=None, times=None)
                           answer `status` for `path` (None: every path), `times` times
                           or forever; `recover()` undoes it
  delay = seconds          sleep before every answer
  stop() / start()         take it down (connection refused) / bring it back, same port
  count(path) / requests   requests seen per path / list of (method, path, headers, time)
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from . import tokens
from .keys import KeyPool, TestKey
from .net import LoopbackServer, QuietHandler

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth/discovery/keys"


@dataclass
class IssuerRequest:
    method: str
    path: str
    headers: dict
    time: float


class _Handler(QuietHandler):
    def do_GET(self):  # noqa: N802
        self.owner._handle(self)

    do_HEAD = do_GET


class OIDCIssuer(LoopbackServer):
    """GitLab-like OIDC issuer. `url` is both the base URL and the `iss` claim."""

    handler_class = _Handler

    def __init__(self, keys: KeyPool) -> None:
        super().__init__()
        self._pool = keys
        self.key: TestKey = keys.take()
        self.published: list[TestKey] = [self.key]
        self.requests: list[IssuerRequest] = []
        self.delay: float = 0.0
        self._jwks_override: bytes | None = None
        self._discovery_override: bytes | None = None
        self._failures: list[tuple[str | None, int, int | None]] = []  # (path, status, times left)
        self._lock = threading.Lock()

    # --- documents ---------------------------------------------------------------

    def discovery(self) -> dict:
        """The discovery document served when not overridden (a subset of GitLab's)."""
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/oauth/authorize",
            "token_endpoint": f"{self.url}/oauth/token",
            "userinfo_endpoint": f"{self.url}/oauth/userinfo",
            "jwks_uri": f"{self.url}{JWKS_PATH}",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf"],
        }

    def jwks(self) -> dict:
        """The JWKS served when not overridden: every published key."""
        return {"keys": [k.jwk() for k in self.published]}

    @property
    def jwks_url(self) -> str:
        return f"{self.url}{JWKS_PATH}"

    # --- controls ----------------------------------------------------------------

    def rotate(self, keep_old: bool = False) -> TestKey:
        """Switch to a fresh signing key (new kid) and publish it. Returns the new key."""
        with self._lock:
            new = self._pool.take()
            self.published = [new] + (self.published if keep_old else [])
            self.key = new
            return new

    def set_jwks(self, document: dict | list | bytes | str | None) -> None:
        """Serve `document` (JSON-encoded unless bytes/str) at the JWKS path; None resets."""
        self._jwks_override = _as_bytes(document)

    def set_discovery(self, document: dict | bytes | str | None) -> None:
        """Serve `document` at the discovery path; None resets."""
        self._discovery_override = _as_bytes(document)

    def fail(self, status: int = 500, path: str | None = None, times: int | None = None) -> None:
        """Answer `status` (plain-text body) for `path` or every path, `times` times or forever."""
        with self._lock:
            self._failures.append((path, status, times))

    def recover(self) -> None:
        """Forget every `fail()`."""
        with self._lock:
            self._failures.clear()

    def count(self, path: str | None = None) -> int:
        """Requests seen for `path` (every path when None)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    @property
    def discovery_count(self) -> int:
        return self.count(DISCOVERY_PATH)

    @property
    def jwks_count(self) -> int:
        return self.count(JWKS_PATH)

    # --- tokens ------------------------------------------------------------------

    def claims(self, **overrides) -> dict:
        """`tokens.gitlab_claims` with `iss` = this issuer."""
        return tokens.gitlab_claims(self.url, **overrides)

    def mint(self, *, header_overrides: dict | None = None, key: TestKey | None = None,
             alg: str = "RS256", **claim_overrides) -> str:
        """A signed GitLab ID token. Keyword arguments are claims (see `tokens.gitlab_claims`:
        project_path, ref, ref_type, ref_protected, environment, lifetime, now, any claim,
        OMIT to drop one). `key` defaults to the current signing key."""
        return tokens.encode(self.claims(**claim_overrides), key or self.key, alg, header_overrides)

    # --- serving -----------------------------------------------------------------

    def _handle(self, h: QuietHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(IssuerRequest(h.command, path, dict(h.headers), time.time()))
            failure = self._take_failure(path)
        if self.delay:
            self.sleep(self.delay)
        if failure is not None:
            h.send(failure, f"error {failure}\n".encode(), "text/plain")
            return
        if path == DISCOVERY_PATH:
            body = self._discovery_override or _as_bytes(self.discovery())
        elif path == JWKS_PATH:
            body = self._jwks_override or _as_bytes(self.jwks())
        else:
            h.send(404, b'{"error":"404 Not Found"}', "application/json")
            return
        h.send(200, body, "application/json; charset=utf-8",
               {"Cache-Control": "max-age=0, private, must-revalidate"})

    def _take_failure(self, path: str) -> int | None:
        for i, (fpath, status, times) in enumerate(self._failures):
            if fpath is None or fpath == path:
                if times is not None:
                    if times <= 1:
                        self._failures.pop(i)
                    else:
                        self._failures[i] = (fpath, status, times - 1)
                return status
        return None


def _as_bytes(document) -> bytes | None:
    if document is None:
        return None
    if isinstance(document, bytes):
        return document
    if isinstance(document, str):
        return document.encode()
    return json.dumps(document).encode()
