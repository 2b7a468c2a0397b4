"""A local double of AWS STS speaking the real wire format, with settable faults.

Serves, on 127.0.0.1:<random port>, path-independent:
  * AssumeRoleWithWebIdentity: form-encoded POST (or GET query), no signature. Answers STS's
    XML document with fresh credentials (AccessKeyId ASIA..., a secret, a session token and
    `Expiration` = now + DurationSeconds, or `credential_lifetime` when set).
  * GetCallerIdentity: SigV4-signed like the AWS CLI sends it; the access key in the
    `Authorization` header (and `X-Amz-Security-Token`) must be one this double issued.
    Answers the assumed-role ARN (signatures are not checked).

Errors use STS's `ErrorResponse` XML with the HTTP status STS uses for that code.

Faults apply to AssumeRoleWithWebIdentity requests only, one behaviour per request:
    sts.fault(Fault.error("Throttling"), times=3)   # next 3 requests throttled, then OK
    sts.fault(Fault.server_error(503), times=None)  # every request from now on
    sts.throttle(2); sts.server_error(1, status=500); sts.error("AccessDenied", times=None)
    sts.slow(5)                                     # sleep 5 s, then answer OK
Queued behaviours (times=N) are used first, in order; then the default behaviour (OK, or
the last one given with times=None). `clear_faults()` restores plain OK. See `Fault` for
every behaviour.

Other settings: `credential_lifetime` (seconds, overrides DurationSeconds),
`fractional_expiration` (moto-style microseconds), `max_session_duration` (like a role's
MaxSessionDuration; default 43200), `validate` (STS's parameter checks, default on),
`trust_sub(patterns, role=None)` (IAM StringLike on the token's `sub`),
`trust_policy(document, role)` (a whole IAM trust policy, enforced as IAM does for an OIDC
provider: principal, action, StringEquals/StringLike on `<provider>:sub` and `:aud`).

Inspection: `requests` (every request, `STSRequest`), `assume_requests`, `issued`
(`IssuedCredentials`, newest last), `secrets()` (every secret string handed out).
"""

from __future__ import annotations

import base64
import json
import re
import secrets as _secrets
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .keys import b64url_decode
from .net import LoopbackServer, QuietHandler

XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
DEFAULT_DURATION = 3600

# code -> (HTTP status, Type, default message)
ERRORS: dict[str, tuple[int, str, str]] = {
    "AccessDenied": (403, "Sender", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "Throttling": (400, "Sender", "Rate exceeded"),
    "ValidationError": (400, "Sender", "1 validation error detected"),
    "InvalidIdentityToken": (400, "Sender", "Couldn't retrieve verification key from your identity "
                             "provider,  please reference AssumeRoleWithWebIdentity documentation "
                             "for requirements"),
    "ExpiredTokenException": (400, "Sender", "Token expired: current date/time must be before "
                              "the expiration date/time"),
    "IDPCommunicationError": (400, "Sender", "Couldn't retrieve verification key from your "
                              "identity provider"),
    "IDPRejectedClaim": (403, "Sender", "Identity provider rejected the claim"),
    "MalformedPolicyDocument": (400, "Sender", "The policy is not in the valid JSON format."),
    "PackedPolicyTooLarge": (400, "Sender", "Packed policy consumes 120% of allotted space"),
    "RegionDisabledException": (403, "Sender", "STS is not activated in this region for "
                                "account:111122223333."),
    "InvalidAction": (400, "Sender", "Could not find operation for version 2011-06-15"),
    "InvalidClientTokenId": (403, "Sender", "The security token included in the request is invalid."),
    "ExpiredToken": (400, "Sender", "The security token included in the request is expired"),
    "InternalFailure": (500, "Receiver", "An internal error has occurred"),
    "ServiceUnavailable": (503, "Receiver", "Service Unavailable"),
}

MOTO_HTML_500 = (
    b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    b"<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was "
    b"unable to complete your request. Either the server is overloaded or there is an error "
    b"in the application.</p>\n"
)


# --- records -----------------------------------------------------------------------------


@dataclass
class STSRequest:
    """One request as the double saw it."""

    method: str
    path: str
    headers: dict
    body: bytes
    form_multi: dict[str, list[str]]
    time: float
    monotonic: float

    @property
    def form(self) -> dict[str, str]:
        """Form/query fields, last value wins."""
        return {k: v[-1] for k, v in self.form_multi.items()}

    @property
    def action(self) -> str | None:
        return self.form.get("Action")

    @property
    def token(self) -> str | None:
        return self.form.get("WebIdentityToken")

    @property
    def policy_arns(self) -> list[str]:
        """PolicyArns.member.N.arn values ordered by N."""
        found = []
        for k, v in self.form.items():
            m = re.fullmatch(r"PolicyArns\.member\.(\d+)\.arn", k)
            if m:
                found.append((int(m.group(1)), v))
        return [v for _, v in sorted(found)]

    @property
    def claims(self) -> dict | None:
        """The token's payload decoded without verification, or None."""
        return decode_claims(self.token)


@dataclass
class IssuedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float  # epoch seconds
    role_arn: str
    session_name: str
    account: str
    assumed_role_arn: str
    assumed_role_id: str


def decode_claims(token: str | None) -> dict | None:
    try:
        payload = json.loads(b64url_decode(token.split(".")[1]))
        return payload if isinstance(payload, dict) else None
    except Exception:
        return None


def iam_like(pattern: str, value: str) -> bool:
    """IAM `StringLike`: `*` any run of characters (including `/`), `?` exactly one;
    `${*}`, `${?}` and `${$}` are the literal characters."""
    parts = re.split(r"(\$\{[*?$]\}|[*?])", pattern)
    rx = "".join(".*" if p == "*" else "." if p == "?" else re.escape(p[2] if p.startswith("${") else p)
                 for p in parts)
    return re.fullmatch(rx, value, re.DOTALL) is not None


def provider_host(issuer: str) -> str:
    """How IAM names an OIDC provider: the issuer URL without scheme and trailing slash."""
    return issuer.split("://", 1)[-1].rstrip("/")


class TrustPolicy:
    """An IAM role trust policy for web identities, evaluated like IAM does for an OIDC
    provider. Anything this double does not model (Deny, other operators or keys) raises
    ValueError when the policy is given, so a test cannot pass by being ignored."""

    OPERATORS = {"StringEquals": lambda pattern, value: pattern == value, "StringLike": iam_like}

    def __init__(self, document: dict | str) -> None:
        doc = json.loads(document) if isinstance(document, str) else document
        statements = doc["Statement"]
        self.statements = statements if isinstance(statements, list) else [statements]
        for st in self.statements:
            if st.get("Effect") != "Allow":
                raise ValueError(f"only Allow statements are modelled: {st}")
            federated = st["Principal"]["Federated"]
            if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:oidc-provider/.+", federated):
                raise ValueError(f"not an OIDC provider ARN: {federated}")
            host = federated.split(":oidc-provider/", 1)[1]
            for operator, keys in st.get("Condition", {}).items():
                if operator not in self.OPERATORS:
                    raise ValueError(f"operator {operator} is not modelled")
                for key in keys:
                    if key not in (f"{host}:sub", f"{host}:aud"):
                        raise ValueError(f"condition key {key}: AWS tests only {host}:sub and :aud")

    def allows(self, action: str, claims: dict) -> bool:
        return any(self._statement_allows(st, action, claims) for st in self.statements)

    @classmethod
    def _statement_allows(cls, st: dict, action: str, claims: dict) -> bool:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if action not in actions:
            return False
        if st["Principal"]["Federated"].split(":oidc-provider/", 1)[1] != provider_host(str(claims.get("iss", ""))):
            return False
        for operator, keys in st.get("Condition", {}).items():
            test = cls.OPERATORS[operator]
            for key, wanted in keys.items():
                values = wanted if isinstance(wanted, list) else [wanted]
                actual = str(claims.get(key.rsplit(":", 1)[1], ""))
                if not any(test(v, actual) for v in values):
                    return False
        return True


def format_expiration(epoch: float, fractional: bool = False) -> str:
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
    if fractional:
        return f"{base}.{int((epoch % 1) * 1_000_000):06d}Z"
    return base + "Z"


def error_xml(code: str, message: str, type_: str, request_id: str) -> bytes:
    return (
        f'<ErrorResponse xmlns="{XMLNS}">\n'
        f"  <Error>\n    <Type>{escape(type_)}</Type>\n    <Code>{escape(code)}</Code>\n"
        f"    <Message>{escape(message)}</Message>\n  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n"
    ).encode()


def _xml_elems(pairs, indent: int) -> str:
    pad = "  " * indent
    out = []
    for name, value in pairs:
        if isinstance(value, list):
            out.append(f"{pad}<{name}>\n{_xml_elems(value, indent + 1)}{pad}</{name}>\n")
        else:
            out.append(f"{pad}<{name}>{escape(str(value))}</{name}>\n")
    return "".join(out)


def response_xml(action: str, result: list, request_id: str) -> bytes:
    """`<{action}Response>` document with `<{action}Result>` built from (name, value) pairs
    (a list value nests)."""
    return (
        f'<{action}Response xmlns="{XMLNS}">\n'
        f"  <{action}Result>\n{_xml_elems(result, 2)}  </{action}Result>\n"
        f"  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n"
        f"</{action}Response>\n"
    ).encode()


# --- behaviours --------------------------------------------------------------------------


class Behaviour:
    """How the double answers one AssumeRoleWithWebIdentity request."""

    def respond(self, sts: "STSDouble", h: QuietHandler, req: STSRequest) -> None:
        raise NotImplementedError


@dataclass
class _OK(Behaviour):
    omit: tuple = ()
    lifetime: int | None = None

    def respond(self, sts, h, req):
        sts._assume(h, req, omit=self.omit, lifetime=self.lifetime)


@dataclass
class _Error(Behaviour):
    code: str
    message: str | None = None
    status: int | None = None
    type: str | None = None

    def respond(self, sts, h, req):
        sts._send_error(h, self.code, self.message, self.status, self.type)


@dataclass
class _Slow(Behaviour):
    seconds: float
    then: Behaviour = field(default_factory=_OK)

    def respond(self, sts, h, req):
        sts.sleep(self.seconds)
        self.then.respond(sts, h, req)


class _Reset(Behaviour):
    def respond(self, sts, h, req):
        h.reset_connection()


@dataclass
class _Raw(Behaviour):
    status: int
    body: bytes
    content_type: str = "text/xml"
    headers: dict | None = None

    def respond(self, sts, h, req):
        h.send(self.status, self.body, self.content_type, self.headers)


@dataclass
class _Truncated(Behaviour):
    short_transfer: bool = False

    def respond(self, sts, h, req):
        body = sts._success_body(req, record=False)
        cut = body[: len(body) // 2]
        if not self.short_transfer:
            h.send(200, cut, "text/xml")
            return
        # Promise the whole body, send half, then drop the connection.
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(cut)
        h.wfile.flush()
        h.reset_connection()


@dataclass
class _Oversized(Behaviour):
    size: int

    def respond(self, sts, h, req):
        body = sts._success_body(req)
        pad = max(0, self.size - len(body))
        head, tail = body.split(b"\n", 1)
        body = head + b"\n<!-- " + b"x" * pad + b" -->\n" + tail
        h.send(200, body, "text/xml")


class Fault:
    """Constructors for behaviours (pass them to `STSDouble.fault`)."""

    @staticmethod
    def ok(omit: tuple | list = (), lifetime: int | None = None) -> Behaviour:
        """Normal answer; `omit` drops elements by name (e.g. ("SessionToken",)),
        `lifetime` forces the credentials' lifetime in seconds."""
        return _OK(tuple(omit), lifetime)

    @staticmethod
    def error(code: str, message: str | None = None, status: int | None = None,
              type: str | None = None) -> Behaviour:  # noqa: A002
        """STS error document; status/type/message default from `ERRORS` (else 400/Sender)."""
        return _Error(code, message, status, type)

    @staticmethod
    def server_error(status: int = 500) -> Behaviour:
        """InternalFailure (500) or ServiceUnavailable (503, or any other 5xx) as STS XML."""
        return _Error("InternalFailure" if status == 500 else "ServiceUnavailable", None, status, "Receiver")

    @staticmethod
    def slow(seconds: float, then: Behaviour | None = None) -> Behaviour:
        """Sleep `seconds` (woken early by stop()), then behave like `then` (default OK)."""
        return _Slow(seconds, then or _OK())

    @staticmethod
    def reset() -> Behaviour:
        """Read the request, then close the connection with a TCP RST, answering nothing."""
        return _Reset()

    @staticmethod
    def malformed_xml(status: int = 200) -> Behaviour:
        """A body that is not well-formed XML."""
        return _Raw(status, b'<AssumeRoleWithWebIdentityResponse xmlns="' + XMLNS.encode()
                    + b'"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA'
                    b"</Credentials></Oops>&&<<\n")

    @staticmethod
    def truncated_xml(short_transfer: bool = False) -> Behaviour:
        """The success document cut in half. Content-Length matches the cut body, or, with
        `short_transfer`, announces the whole body and the connection is reset midway."""
        return _Truncated(short_transfer)

    @staticmethod
    def html_500() -> Behaviour:
        """moto's (werkzeug's) HTML 500 page."""
        return _Raw(500, MOTO_HTML_500, "text/html; charset=utf-8")

    @staticmethod
    def oversized(size: int = 2 * 1024 * 1024) -> Behaviour:
        """A well-formed success document padded to about `size` bytes with a comment."""
        return _Oversized(size)

    @staticmethod
    def raw(status: int, body: bytes | str, content_type: str = "text/xml",
            headers: dict | None = None) -> Behaviour:
        """Any status and body."""
        return _Raw(status, body.encode() if isinstance(body, str) else body, content_type, headers)


# --- server ------------------------------------------------------------------------------


class _Handler(QuietHandler):
    def do_POST(self):  # noqa: N802
        self.owner._handle(self, self.read_body())

    def do_GET(self):  # noqa: N802
        self.owner._handle(self, b"")


class STSDouble(LoopbackServer):
    """See the module docstring."""

    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[STSRequest] = []
        self.issued: list[IssuedCredentials] = []
        self.credential_lifetime: int | None = None
        self.fractional_expiration = False
        self.max_session_duration = 43200
        self.validate = True
        self._queue: list[Behaviour] = []
        self._default: Behaviour = _OK()
        self._trust: list[tuple[list[str], str | None]] = []
        self._policies: dict[str, TrustPolicy] = {}
        self._lock = threading.Lock()

    # --- controls ----------------------------------------------------------------

    def fault(self, behaviour: Behaviour, times: int | None = 1) -> None:
        """Use `behaviour` for the next `times` requests (queued after earlier ones), or,
        with times=None, for every request once the queue is empty."""
        with self._lock:
            if times is None:
                self._default = behaviour
            else:
                self._queue.extend([behaviour] * times)

    def clear_faults(self) -> None:
        with self._lock:
            self._queue.clear()
            self._default = _OK()

    def throttle(self, times: int | None = 1) -> None:
        self.fault(Fault.error("Throttling"), times)

    def server_error(self, times: int | None = 1, status: int = 500) -> None:
        self.fault(Fault.server_error(status), times)

    def error(self, code: str, times: int | None = 1, message: str | None = None,
              status: int | None = None) -> None:
        self.fault(Fault.error(code, message, status), times)

    def slow(self, seconds: float, times: int | None = 1) -> None:
        self.fault(Fault.slow(seconds), times)

    def trust_sub(self, patterns: str | list[str], role: str | None = None) -> None:
        """Refuse (AccessDenied) tokens whose `sub` matches none of `patterns` (IAM
        StringLike), for `role` (an IAM role ARN) or every role. Several calls add
        conditions that must all hold."""
        with self._lock:
            self._trust.append(([patterns] if isinstance(patterns, str) else list(patterns), role))

    def trust_policy(self, document: dict | str, role: str) -> None:
        """Give `role` (an IAM role ARN) this trust policy: AssumeRoleWithWebIdentity for it
        is refused (AccessDenied) unless the policy allows the token. Roles without a policy
        are not checked."""
        policy = TrustPolicy(document)
        with self._lock:
            self._policies[role] = policy

    # --- inspection --------------------------------------------------------------

    @property
    def assume_requests(self) -> list[STSRequest]:
        with self._lock:
            return [r for r in self.requests if r.action == "AssumeRoleWithWebIdentity"]

    @property
    def assume_count(self) -> int:
        return len(self.assume_requests)

    def secrets(self) -> list[str]:
        """Every secret access key and session token handed out so far."""
        with self._lock:
            return [s for c in self.issued for s in (c.secret_access_key, c.session_token)]

    # --- serving -----------------------------------------------------------------

    def _handle(self, h: QuietHandler, body: bytes) -> None:
        path, _, query = h.path.partition("?")
        text = body.decode("utf-8", "replace") if body else query
        req = STSRequest(h.command, path, dict(h.headers), body,
                         urllib.parse.parse_qs(text, keep_blank_values=True),
                         time.time(), time.monotonic())
        with self._lock:
            self.requests.append(req)
        action = req.action
        if action == "AssumeRoleWithWebIdentity":
            with self._lock:
                behaviour = self._queue.pop(0) if self._queue else self._default
            behaviour.respond(self, h, req)
        elif action == "GetCallerIdentity":
            self._caller_identity(h, req)
        else:
            self._send_error(h, "InvalidAction",
                             f"Could not find operation {action} for version 2011-06-15")

    def _send_error(self, h, code, message=None, status=None, type_=None) -> None:
        d_status, d_type, d_message = ERRORS.get(code, (400, "Sender", code))
        rid = str(uuid.uuid4())
        h.send(status or d_status, error_xml(code, message or d_message, type_ or d_type, rid),
               "text/xml", {"x-amzn-RequestId": rid})

    def _check(self, req: STSRequest) -> tuple[str, str] | None:
        """STS's parameter validation and trust policy: (code, message) or None."""
        f = req.form

        def invalid(what, value, constraint):
            shown = "null" if value is None else f"'{value}'"
            return ("ValidationError", f"1 validation error detected: Value {shown} at '{what}' "
                    f"failed to satisfy constraint: {constraint}")

        if self.validate:
            for param, what in (("RoleArn", "roleArn"), ("RoleSessionName", "roleSessionName"),
                                ("WebIdentityToken", "webIdentityToken")):
                if f.get(param) is None:
                    return invalid(what, None, "Member must not be null")
            name, token = f["RoleSessionName"], f["WebIdentityToken"]
            if not 20 <= len(f["RoleArn"]) <= 2048:
                return invalid("roleArn", f["RoleArn"], "Member must have length between 20 and 2048")
            if not 2 <= len(name) <= 64:
                return invalid("roleSessionName", name, "Member must have length between 2 and 64")
            if not re.fullmatch(r"[\w+=,.@-]*", name, re.ASCII):
                return invalid("roleSessionName", name,
                               "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
            if not 4 <= len(token) <= 20000:
                return invalid("webIdentityToken", "***", "Member must have length between 4 and 20000")
            if "DurationSeconds" in f:
                try:
                    d = int(f["DurationSeconds"])
                except ValueError:
                    return invalid("durationSeconds", f["DurationSeconds"], "Member must be a number")
                if not 900 <= d <= 43200:
                    return invalid("durationSeconds", d,
                                   "Member must have value between 900 and 43200")
                if d > self.max_session_duration:
                    return ("ValidationError", "The requested DurationSeconds exceeds the "
                            "MaxSessionDuration set for this role.")
            if "Policy" in f:
                if len(f["Policy"]) > 2048:
                    return invalid("policy", "***", "Member must have length less than or equal to 2048")
                try:
                    json.loads(f["Policy"])
                except ValueError:
                    return ("MalformedPolicyDocument", "The policy is not in the valid JSON format.")
            if len(req.policy_arns) > 10:
                return invalid("policyArns", "***", "Member must have length less than or equal to 10")
        with self._lock:
            trust = list(self._trust)
            policy = self._policies.get(f.get("RoleArn", ""))
        if policy is not None and not policy.allows("sts:AssumeRoleWithWebIdentity", req.claims or {}):
            return ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if trust:
            claims = req.claims
            if claims is None:
                return ("InvalidIdentityToken", "The ID Token provided is not a valid JWT.")
            for patterns, role in trust:
                if role is not None and role != f.get("RoleArn"):
                    continue
                if not any(iam_like(p, str(claims.get("sub", ""))) for p in patterns):
                    return ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        return None

    def _success_body(self, req: STSRequest, omit=(), lifetime=None, record=True) -> bytes:
        f = req.form
        role_arn = f.get("RoleArn", "arn:aws:iam::111122223333:role/unknown")
        session = f.get("RoleSessionName", "session")
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else "111122223333"
        role_name = role_arn.rsplit("/", 1)[-1]
        claims = req.claims or {}
        if lifetime is None:
            lifetime = self.credential_lifetime
        if lifetime is None:
            lifetime = int(f.get("DurationSeconds") or DEFAULT_DURATION)
        creds = IssuedCredentials(
            access_key_id="ASIA" + "".join(_secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                           for _ in range(16)),
            secret_access_key=base64.b64encode(_secrets.token_bytes(30)).decode(),
            session_token="IQoJb3JpZ2luX2VjE" + base64.b64encode(_secrets.token_bytes(420)).decode(),
            expiration=time.time() + lifetime,
            role_arn=role_arn,
            session_name=session,
            account=account,
            assumed_role_arn=f"arn:aws:sts::{account}:assumed-role/{role_name}/{session}",
            assumed_role_id="AROA" + _secrets.token_hex(8).upper() + ":" + session,
        )
        if record:
            with self._lock:
                self.issued.append(creds)
        aud = claims.get("aud", "")
        if isinstance(aud, list):
            aud = aud[0] if aud else ""
        iss = str(claims.get("iss", "")).split("://", 1)[-1]
        result = [
            ("SubjectFromWebIdentityToken", claims.get("sub", "")),
            ("Audience", aud),
            ("AssumedRoleUser", [("Arn", creds.assumed_role_arn),
                                 ("AssumedRoleId", creds.assumed_role_id)]),
            ("Credentials", [("AccessKeyId", creds.access_key_id),
                             ("SecretAccessKey", creds.secret_access_key),
                             ("SessionToken", creds.session_token),
                             ("Expiration", format_expiration(creds.expiration,
                                                              self.fractional_expiration))]),
        ]
        if "Policy" in f or req.policy_arns:
            result.append(("PackedPolicySize", 6))
        result.append(("Provider", f"arn:aws:iam::{account}:oidc-provider/{iss}"))
        result = _drop(result, set(omit))
        return response_xml("AssumeRoleWithWebIdentity", result, str(uuid.uuid4()))

    def _assume(self, h, req, omit=(), lifetime=None) -> None:
        problem = self._check(req)
        if problem:
            self._send_error(h, *problem)
            return
        h.send(200, self._success_body(req, omit, lifetime), "text/xml",
               {"x-amzn-RequestId": str(uuid.uuid4())})

    def _caller_identity(self, h, req: STSRequest) -> None:
        auth = req.headers.get("Authorization", "")
        m = re.search(r"Credential=([A-Z0-9]+)/", auth)
        key = m.group(1) if m else req.form.get("X-Amz-Credential", "").split("/")[0]
        token = req.headers.get("X-Amz-Security-Token") or req.form.get("X-Amz-Security-Token")
        with self._lock:
            creds = next((c for c in self.issued if c.access_key_id == key), None)
        if creds is None or token != creds.session_token:
            self._send_error(h, "InvalidClientTokenId")
            return
        if time.time() >= creds.expiration:
            self._send_error(h, "ExpiredToken")
            return
        result = [("Arn", creds.assumed_role_arn), ("UserId", creds.assumed_role_id),
                  ("Account", creds.account)]
        h.send(200, response_xml("GetCallerIdentity", result, str(uuid.uuid4())), "text/xml")


def _drop(pairs, names: set) -> list:
    out = []
    for name, value in pairs:
        if name in names:
            continue
        out.append((name, _drop(value, names) if isinstance(value, list) else value))
    return out
