"""A local double of AWS IAM `GetRole` (and STS `GetCallerIdentity`) for the answers moto
cannot give: refusals (`AccessDenied`), throttling, and answers that are not IAM's.

Serves, on 127.0.0.1:<random port>, form-encoded POSTs signed with SigV4 by the one key pair
the double knows (`access_key`, `secret_key`, optional `session_token`). It verifies each
request as AWS does: the signature (recomputed with botocore's signer), the key and token
(`InvalidClientTokenId`), the time (5 minutes of skew), and the credential scope (service
`iam` for GetRole, `sts` for GetCallerIdentity; region `us-east-1`), else answers
`SignatureDoesNotMatch`.

    iam = IAMDouble(account="111122223333")          # the account the credentials act in
    iam.put_role("deploy", {...policy...}, path="/ci/", max_session_duration=3600)
    iam.deny("deploy")                                 # AccessDenied for GetRole of deploy
    iam.fault("deploy", status=400, code="Throttling", times=2)
    iam.fault("deploy", status=200, body=b"<html>...", times=None)   # every request from now on

Roles not put answer `NoSuchEntity`. Requests are recorded in `requests` (`IAMRequest`: the
action, the role name, the key that signed, and the verdict of the signature check).
"""

from __future__ import annotations

import calendar
import json
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

from .net import LoopbackServer, QuietHandler
from .sts_double import expected_signature, parse_authorization

IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
SKEW = 300


@dataclass
class IAMRequest:
    action: str | None
    role_name: str | None
    access_key: str | None
    signature_ok: bool
    status: int = 0
    error_code: str | None = None


@dataclass
class _Role:
    arn: str
    name: str
    path: str
    policy: str
    max_session_duration: int


@dataclass
class _Fault:
    status: int
    body: bytes
    content_type: str = "text/xml"
    times: int | None = 1


def error_xml(code: str, message: str) -> bytes:
    return (f'<ErrorResponse xmlns="{IAM_XMLNS}"><Error><Type>Sender</Type><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>").encode()


class _Handler(QuietHandler):
    def do_POST(self):  # noqa: N802
        self.owner._handle(self, self.read_body())


class IAMDouble(LoopbackServer):
    """See the module docstring."""

    handler_class = _Handler

    def __init__(self, account: str = "111122223333", access_key: str = "AKIDAUDITOR",
                 secret_key: str = "auditor/secret+key", session_token: str | None = "auditor-session-token",
                 caller: str = "assumed-role/auditor/ci") -> None:
        super().__init__()
        self.account = account
        self.access_key, self.secret_key, self.session_token = access_key, secret_key, session_token
        self.caller_arn = f"arn:aws:sts::{account}:{caller}"
        self.requests: list[IAMRequest] = []
        self._roles: dict[str, _Role] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._lock = threading.Lock()

    @property
    def environment(self) -> dict[str, str]:
        """The AWS_* variables that hold the double's credentials."""
        env = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env

    # --- controls ----------------------------------------------------------------

    def put_role(self, name: str, policy: dict | str, path: str = "/", max_session_duration: int = 3600) -> str:
        """Create or replace role `name` of the double's account; returns its ARN."""
        text = policy if isinstance(policy, str) else json.dumps(policy)
        arn = f"arn:aws:iam::{self.account}:role{path}{name}"
        with self._lock:
            self._roles[name] = _Role(arn, name, path, text, max_session_duration)
        return arn

    def fault(self, name: str, status: int, code: str | None = None, message: str = "refused",
              body: bytes | None = None, times: int | None = 1) -> None:
        """Answer the next `times` GetRole requests for `name` (every one with None) with an
        IAM error `code`, or with `body` as it is."""
        payload = body if body is not None else error_xml(code or "ServiceFailure", message)
        with self._lock:
            self._faults.setdefault(name, []).append(_Fault(status, payload, times=times))

    def deny(self, name: str) -> None:
        self.fault(name, 403, "AccessDenied", f"User: {self.caller_arn} is not authorized to perform: "
                   f"iam:GetRole on resource: role {name} because no identity-based policy allows the "
                   "iam:GetRole action", times=None)

    @property
    def get_role_requests(self) -> list[IAMRequest]:
        with self._lock:
            return [r for r in self.requests if r.action == "GetRole"]

    # --- serving -----------------------------------------------------------------

    def _handle(self, h: QuietHandler, body: bytes) -> None:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                           keep_blank_values=True).items()}
        action = form.get("Action")
        service = "sts" if action == "GetCallerIdentity" else "iam"
        problem, key = self._authenticate(h, body, service)
        record = IAMRequest(action, form.get("RoleName"), key, problem is None)
        with self._lock:
            self.requests.append(record)
        if problem is not None:
            return self._send(h, record, 403, error_xml(*problem), problem[0])
        if action == "GetCallerIdentity":
            return self._send(h, record, 200, (
                f'<GetCallerIdentityResponse xmlns="{STS_XMLNS}"><GetCallerIdentityResult>'
                f"<Arn>{self.caller_arn}</Arn><UserId>AROAEXAMPLE:ci</UserId><Account>{self.account}</Account>"
                f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
                "</ResponseMetadata></GetCallerIdentityResponse>").encode())
        if action != "GetRole" or form.get("Version") != "2010-05-08":
            return self._send(h, record, 400, error_xml("InvalidAction", f"Could not find operation {action}"),
                              "InvalidAction")
        name = form.get("RoleName", "")
        with self._lock:
            queue = self._faults.get(name, [])
            fault = queue[0] if queue else None
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times == 0:
                    queue.pop(0)
            role = self._roles.get(name)
        if fault is not None:
            return self._send(h, record, fault.status, fault.body, None, fault.content_type)
        if role is None:
            return self._send(h, record, 404, error_xml("NoSuchEntity", f"The role with name {name} cannot be found."),
                              "NoSuchEntity")
        document = urllib.parse.quote(role.policy, safe="")
        return self._send(h, record, 200, (
            f'<GetRoleResponse xmlns="{IAM_XMLNS}"><GetRoleResult><Role><Path>{escape(role.path)}</Path>'
            f"<RoleName>{escape(role.name)}</RoleName><RoleId>AROAEXAMPLE{len(role.name)}</RoleId>"
            f"<Arn>{escape(role.arn)}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
            f"<AssumeRolePolicyDocument>{document}</AssumeRolePolicyDocument>"
            f"<MaxSessionDuration>{role.max_session_duration}</MaxSessionDuration></Role></GetRoleResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></GetRoleResponse>").encode())

    def _send(self, h, record: IAMRequest, status: int, body: bytes, code: str | None = None,
              content_type: str = "text/xml") -> None:
        record.status, record.error_code = status, code
        h.send(status, body, content_type, {"x-amzn-RequestId": str(uuid.uuid4())})

    def _authenticate(self, h: QuietHandler, body: bytes, service: str) -> tuple[tuple[str, str] | None, str | None]:
        """(None, key) when the request is signed as AWS wants it, else ((code, message), key)."""
        auth = parse_authorization(h.headers.get("Authorization") or "")
        if auth is None or not all(auth.get(k) for k in ("credential", "signed_headers", "signature")):
            return ("MissingAuthenticationToken", "Request is missing Authentication Token"), None
        scope = auth["credential"].split("/")
        key = scope[0]
        token = h.headers.get("X-Amz-Security-Token")
        if key != self.access_key or token != self.session_token:
            return ("InvalidClientTokenId", "The security token included in the request is invalid."), key
        stamp = h.headers.get("X-Amz-Date") or ""
        try:
            signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return ("IncompleteSignature", f"Date must be in ISO-8601 'basic format'. Got '{stamp}'."), key
        if abs(signed_at - time.time()) > SKEW:
            return ("SignatureDoesNotMatch", "Signature expired or not yet current"), key
        if len(scope) != 5 or scope[1] != stamp[:8] or scope[2] != "us-east-1" or scope[3] != service \
                or scope[4] != "aws4_request":
            return ("SignatureDoesNotMatch", f"Credential should be scoped to {service} in us-east-1"), key
        signed = auth["signed_headers"].split(";")
        if "host" not in signed:
            return ("SignatureDoesNotMatch", "'Host' must be a 'SignedHeader' in the AWS Authorization."), key
        expected, _ = expected_signature(h.command, h.path, list(h.headers.items()), body, signed, key,
                                         self.secret_key, token, stamp, scope[2], service)
        if expected != auth["signature"]:
            return ("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                    "signature you provided."), key
        return None, key
