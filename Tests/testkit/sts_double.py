"""A local double of AWS STS speaking the real wire format, with settable faults.

Serves, on 127.0.0.1:<random port>, path-independent:
  * AssumeRoleWithWebIdentity: form-encoded POST (or GET query), no signature. Answers STS's
    XML document with fresh credentials (AccessKeyId ASIA..., a secret, a session token and
    `Expiration` = now + DurationSeconds, or `credential_lifetime` when set).
  * AssumeRole (role chaining): SigV4-signed with credentials this double issued in an earlier
    hop. It verifies the request the way STS does: the signature (recomputed with botocore's
    signer for the caller's secret and session token), the access key and session token
    (`InvalidClientTokenId`), their expiry (`ExpiredToken`), the time and credential scope
    (`SignatureDoesNotMatch`), a well-formed `Authorization` (`IncompleteSignature`); then the
    parameters (`ValidationError`: session name, duration, the one-hour cap of a chained
    session, external id, policies, tags), then the role's trust (`AccessDenied`).
  * GetCallerIdentity: SigV4-signed like the AWS CLI sends it, verified the same way; answers
    the assumed-role ARN.

Errors use STS's `ErrorResponse` XML with the HTTP status STS uses for that code.

Faults apply to one action (AssumeRoleWithWebIdentity unless `action="AssumeRole"` is given),
one behaviour per request:
    sts.fault(Fault.error("Throttling"), times=3)   # next 3 requests throttled, then OK
    sts.fault(Fault.server_error(503), times=None)  # every request from now on
    sts.throttle(2); sts.server_error(1, status=500); sts.error("AccessDenied", times=None)
    sts.slow(5)                                     # sleep 5 s, then answer OK
    sts.throttle(1, action="AssumeRole")            # the next chain hop is throttled
Queued behaviours (times=N) are used first, in order; then the default behaviour (OK, or
the last one given with times=None). `clear_faults()` restores plain OK. See `Fault` for
every behaviour.

Other settings: `credential_lifetime` (seconds, overrides DurationSeconds),
`fractional_expiration` (moto-style microseconds), `max_session_duration` (like a role's
MaxSessionDuration; default 43200), `validate` (STS's parameter checks, default on),
`verify_signatures` (default on), `signing_region` (the only region a SigV4 credential scope
may name; default None: any), `clock_skew` (seconds a signature's time may differ from now;
300 like AWS), `trust_sub(patterns, role=None)` (IAM StringLike on the token's `sub`),
`trust_policy(document, role)` (a whole IAM trust policy, enforced as IAM does: for an OIDC
provider, principal, action, StringEquals/StringLike on `<provider>:sub` and `:aud`; for
role chaining, `AWS` principals, `sts:AssumeRole` and `sts:TagSession`, and
StringEquals/StringLike on `sts:ExternalId`, `sts:RoleSessionName`, `aws:RequestTag/K` and
`aws:PrincipalTag/K`), `trust_chain(role, principals, external_id=None)` (a statement added
to `role`'s policy that lets sessions of `principals` assume it). A role without a policy
trusts every caller for AssumeRole unless `strict_chain_trust` is set.

Inspection: `requests` (every request, `STSRequest`, with what the double answered),
`assume_requests`, `chain_requests`, `issued` (`IssuedCredentials`, newest last, each with
its session tags and the credentials that asked for it), `secrets()` (every secret string
handed out).
"""

from __future__ import annotations

import base64
import calendar
import json
import re
import secrets as _secrets
import threading
import time
import unicodedata
import urllib.parse
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .keys import b64url_decode
from .net import LoopbackServer, QuietHandler

XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
DEFAULT_DURATION = 3600
WEB_IDENTITY = "AssumeRoleWithWebIdentity"
ASSUME_ROLE = "AssumeRole"
CHAINED_SESSION_LIMIT = 3600
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                      "Check your AWS Secret Access Key and signing method. Consult the service "
                      "documentation for details.")

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
    "SignatureDoesNotMatch": (403, "Sender", SIGNATURE_MISMATCH),
    "IncompleteSignature": (400, "Sender", "Request is missing a complete AWS4 Authorization header."),
    "MissingAuthenticationToken": (403, "Sender", "Request is missing Authentication Token"),
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
    """One request as the double saw it, and what it answered (`status`, `error_code`)."""

    method: str
    path: str
    headers: dict
    body: bytes
    form_multi: dict[str, list[str]]
    time: float
    monotonic: float
    target: str = ""  # path and query as in the request line
    header_items: list[tuple[str, str]] = field(default_factory=list)  # every header, in order
    caller: "IssuedCredentials | None" = None  # who signed it (AssumeRole, GetCallerIdentity)
    status: int | None = None
    error_code: str | None = None

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

    def _members(self, pattern: str) -> list[str]:
        found = []
        for k, v in self.form.items():
            m = re.fullmatch(pattern, k)
            if m:
                found.append((int(m.group(1)), v))
        return [v for _, v in sorted(found)]

    @property
    def policy_arns(self) -> list[str]:
        """PolicyArns.member.N.arn values ordered by N."""
        return self._members(r"PolicyArns\.member\.(\d+)\.arn")

    @property
    def tags(self) -> list[tuple[str, str]]:
        """(Tags.member.N.Key, Tags.member.N.Value) ordered by N; a missing value is ''."""
        keys, values = {}, {}
        for k, v in self.form.items():
            m = re.fullmatch(r"Tags\.member\.(\d+)\.(Key|Value)", k)
            if m:
                (keys if m.group(2) == "Key" else values)[int(m.group(1))] = v
        return [(keys[n], values.get(n, "")) for n in sorted(keys)]

    @property
    def transitive_tag_keys(self) -> list[str]:
        """TransitiveTagKeys.member.N ordered by N."""
        return self._members(r"TransitiveTagKeys\.member\.(\d+)")

    @property
    def external_id(self) -> str | None:
        return self.form.get("ExternalId")

    @property
    def authorization(self) -> dict | None:
        """The parsed SigV4 `Authorization` header (`credential`, `signed_headers`,
        `signature`), or None."""
        return parse_authorization(self.header("Authorization") or "")

    @property
    def access_key(self) -> str | None:
        auth = self.authorization
        return auth["credential"].split("/")[0] if auth and auth.get("credential") else None

    def header(self, name: str) -> str | None:
        """The first header of that name (any case)."""
        return next((v for k, v in self.header_items if k.lower() == name.lower()), None)

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
    action: str = WEB_IDENTITY
    tags: dict[str, str] = field(default_factory=dict)  # session tags, incoming transitive ones included
    transitive_tag_keys: list[str] = field(default_factory=list)
    source: "IssuedCredentials | None" = None  # the credentials that signed the AssumeRole
    external_id: str | None = None
    duration: int | None = None

    @property
    def chain(self) -> list["IssuedCredentials"]:
        """Every hop that led here, the web-identity hop first."""
        hops, current = [], self
        while current is not None:
            hops.append(current)
            current = current.source
        return hops[::-1]

    @property
    def transitive_tags(self) -> dict[str, str]:
        """The session tags that pass on to the next hop."""
        keys = {k.lower() for k in self.transitive_tag_keys}
        return {k: v for k, v in self.tags.items() if k.lower() in keys}


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


def role_name(role_arn: str) -> str:
    """The role's name without its path (as in an assumed-role ARN)."""
    return role_arn.rsplit("/", 1)[-1]


def arn_account(arn: str, default: str = "111122223333") -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) >= 6 and parts[4] else default


# --- session tags ------------------------------------------------------------------------


def tag_character_allowed(ch: str) -> bool:
    """AWS's tag characters: `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`."""
    return unicodedata.category(ch)[0] in "LZN" or ch in "_.:/=+-@"


def tag_problem(tags: list[tuple[str, str]], transitive: list[str], incoming: dict[str, str]) -> str | None:
    """What AWS refuses in a hop's tags, as a ValidationError message, or None."""
    if len(tags) > 50:
        return ("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member "
                "must have length less than or equal to 50")
    for n, (key, value) in enumerate(tags, 1):
        if not 1 <= len(key) <= 128:
            return (f"1 validation error detected: Value '{key}' at 'tags.{n}.member.key' failed to "
                    "satisfy constraint: Member must have length between 1 and 128")
        if len(value) > 256:
            return (f"1 validation error detected: Value at 'tags.{n}.member.value' failed to "
                    "satisfy constraint: Member must have length less than or equal to 256")
        for what, text in (("key", key), ("value", value)):
            if not all(tag_character_allowed(ch) for ch in text):
                return (f"1 validation error detected: Value '{text}' at 'tags.{n}.member.{what}' "
                        "failed to satisfy constraint: Member must satisfy regular expression "
                        "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]" + ("+" if what == "key" else "*"))
    lowered = [k.lower() for k, _ in tags]
    if len(set(lowered)) != len(lowered):
        return "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    if len(transitive) > 50:
        return ("1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy "
                "constraint: Member must have length less than or equal to 50")
    for key in transitive:
        if key.lower() not in lowered:
            return f"The transitive tag key {key} is not among the session tags of the request."
    overridden = sorted({k for k in incoming if k.lower() in lowered})
    if overridden:
        return ("The request tries to set the transitive session tags "
                f"{', '.join(overridden)} that the calling session passes on; they cannot be overridden.")
    return None


# --- SigV4 -------------------------------------------------------------------------------


def parse_authorization(header: str) -> dict | None:
    """`AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` as a dict with the
    parts it has (`credential`, `signed_headers`, `signature`); None if not SigV4."""
    if not header.startswith("AWS4-HMAC-SHA256 "):
        return None
    parts = {}
    for item in header[len("AWS4-HMAC-SHA256 "):].split(","):
        name, _, value = item.strip().partition("=")
        parts[{"Credential": "credential", "SignedHeaders": "signed_headers",
               "Signature": "signature"}.get(name, name)] = value
    return parts


def expected_signature(method: str, target: str, header_items: list[tuple[str, str]], body: bytes,
                       signed_headers: list[str], access_key: str, secret_key: str, token: str | None,
                       timestamp: str, region: str, service: str) -> tuple[str, str]:
    """(signature, canonical request) of a request as botocore's SigV4 signer computes it
    over the headers named in `signed_headers`. The query is given to botocore decoded, so it
    encodes it canonically as AWS does."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    path, _, query = target.partition("?")
    wanted = set(signed_headers)
    host = next((v for k, v in header_items if k.lower() == "host"), "localhost")
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body)
    for name, value in header_items:
        if name.lower() in wanted:
            request.headers.add_header(name, value)
    if query:
        request.params = [(urllib.parse.unquote(k), urllib.parse.unquote(v))
                          for k, _, v in (p.partition("=") for p in query.split("&"))]
    request.context["timestamp"] = timestamp
    auth = SigV4Auth(Credentials(access_key, secret_key, token), service, region)
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request), canonical


# --- trust policies ----------------------------------------------------------------------


class TrustPolicy:
    """An IAM role trust policy, evaluated like IAM does: statements for an OIDC provider
    (`Federated`, `sts:AssumeRoleWithWebIdentity`, conditions on `<provider>:sub` and `:aud`)
    and statements for role chaining (`AWS` principals: role ARNs, assumed-role session
    ARNs, `arn:...:root`, account ids or `*`; `sts:AssumeRole`, plus `sts:TagSession` when
    tags are set or passed on; conditions on `sts:ExternalId`, `sts:RoleSessionName`,
    `aws:RequestTag/K`, `aws:PrincipalTag/K`). Anything this double does not model (Deny,
    other operators, principals or keys) raises ValueError when the policy is given, so a
    test cannot pass by being ignored."""

    OPERATORS = {"StringEquals": lambda pattern, value: pattern == value, "StringLike": iam_like}
    CHAIN_KEYS = ("sts:externalid", "sts:rolesessionname")
    CHAIN_KEY_PREFIXES = ("aws:requesttag/", "aws:principaltag/")

    def __init__(self, document: dict | str) -> None:
        doc = json.loads(document) if isinstance(document, str) else document
        statements = doc["Statement"]
        self.statements = statements if isinstance(statements, list) else [statements]
        for st in self.statements:
            if st.get("Effect") != "Allow":
                raise ValueError(f"only Allow statements are modelled: {st}")
            principal = st["Principal"]
            if set(principal) == {"Federated"}:
                federated = principal["Federated"]
                if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:oidc-provider/.+", federated):
                    raise ValueError(f"not an OIDC provider ARN: {federated}")
                host = federated.split(":oidc-provider/", 1)[1]
                allowed = lambda key, host=host: key in (f"{host}:sub", f"{host}:aud")  # noqa: E731
            elif set(principal) == {"AWS"}:
                allowed = lambda key: key.lower() in self.CHAIN_KEYS or key.lower().startswith(  # noqa: E731
                    self.CHAIN_KEY_PREFIXES)
            else:
                raise ValueError(f"only Federated or AWS principals are modelled: {principal}")
            for operator, keys in st.get("Condition", {}).items():
                if operator not in self.OPERATORS:
                    raise ValueError(f"operator {operator} is not modelled")
                for key in keys:
                    if not allowed(key):
                        raise ValueError(f"condition key {key} is not modelled for {set(principal)}")

    @staticmethod
    def _list(value) -> list:
        return value if isinstance(value, list) else [value]

    def _actions(self, st: dict) -> list[str]:
        return [a.lower() for a in self._list(st["Action"])]

    def allows(self, action: str, claims: dict) -> bool:
        """Whether a web identity with `claims` may call `action` (AssumeRoleWithWebIdentity)."""
        return any(self._statement_allows(st, action, claims) for st in self.statements
                   if "Federated" in st["Principal"])

    @classmethod
    def _statement_allows(cls, st: dict, action: str, claims: dict) -> bool:
        actions = [a.lower() for a in cls._list(st["Action"])]
        if action.lower() not in actions:
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

    def chain_denial(self, caller: IssuedCredentials, req: STSRequest, tagging: bool) -> str | None:
        """None when a statement lets `caller` assume the role with this request (and tag the
        session when `tagging`); else the action that is not allowed."""
        allowed_assume = False
        for st in self.statements:
            if "AWS" not in st["Principal"] or not self._principal_matches(st, caller):
                continue
            if not self._conditions_hold(st, caller, req):
                continue
            actions = self._actions(st)
            if any(iam_like(a, "sts:assumerole") for a in actions):
                allowed_assume = True
        if not allowed_assume:
            return "sts:AssumeRole"
        if tagging and not any(
                "AWS" in st["Principal"] and self._principal_matches(st, caller)
                and self._conditions_hold(st, caller, req)
                and any(iam_like(a, "sts:tagsession") for a in self._actions(st))
                for st in self.statements):
            return "sts:TagSession"
        return None

    def _principal_matches(self, st: dict, caller: IssuedCredentials) -> bool:
        for principal in self._list(st["Principal"]["AWS"]):
            if principal in ("*", caller.account, caller.role_arn, caller.assumed_role_arn):
                return True
            if re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", principal) and \
                    principal.split(":")[4] == caller.account:
                return True
        return False

    def _conditions_hold(self, st: dict, caller: IssuedCredentials, req: STSRequest) -> bool:
        request_tags = {k.lower(): v for k, v in req.tags}
        caller_tags = {k.lower(): v for k, v in caller.tags.items()}
        for operator, keys in st.get("Condition", {}).items():
            test = self.OPERATORS[operator]
            for key, wanted in keys.items():
                lowered = key.lower()
                if lowered == "sts:externalid":
                    actual = req.external_id
                elif lowered == "sts:rolesessionname":
                    actual = req.form.get("RoleSessionName")
                elif lowered.startswith("aws:requesttag/"):
                    actual = request_tags.get(lowered.split("/", 1)[1])
                else:
                    actual = caller_tags.get(lowered.split("/", 1)[1])
                if actual is None or not any(test(v, actual) for v in self._list(wanted)):
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
    """How the double answers one AssumeRoleWithWebIdentity or AssumeRole request."""

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
    FAULT_ACTIONS = (WEB_IDENTITY, ASSUME_ROLE)

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[STSRequest] = []
        self.issued: list[IssuedCredentials] = []
        self.credential_lifetime: int | None = None
        self.fractional_expiration = False
        self.max_session_duration = 43200
        self.validate = True
        self.verify_signatures = True
        self.signing_region: str | None = None
        self.clock_skew = 300
        self.strict_chain_trust = False
        self._queues: dict[str, list[Behaviour]] = {a: [] for a in self.FAULT_ACTIONS}
        self._defaults: dict[str, Behaviour] = {a: _OK() for a in self.FAULT_ACTIONS}
        self._trust: list[tuple[list[str], str | None]] = []
        self._policies: dict[str, TrustPolicy] = {}
        self._lock = threading.Lock()

    # --- controls ----------------------------------------------------------------

    def fault(self, behaviour: Behaviour, times: int | None = 1, action: str = WEB_IDENTITY) -> None:
        """Use `behaviour` for the next `times` requests of `action` (queued after earlier
        ones), or, with times=None, for every such request once the queue is empty."""
        if action not in self.FAULT_ACTIONS:
            raise ValueError(f"faults apply to {self.FAULT_ACTIONS}, not {action}")
        with self._lock:
            if times is None:
                self._defaults[action] = behaviour
            else:
                self._queues[action].extend([behaviour] * times)

    def clear_faults(self) -> None:
        with self._lock:
            for action in self.FAULT_ACTIONS:
                self._queues[action].clear()
                self._defaults[action] = _OK()

    def throttle(self, times: int | None = 1, action: str = WEB_IDENTITY) -> None:
        self.fault(Fault.error("Throttling"), times, action)

    def server_error(self, times: int | None = 1, status: int = 500, action: str = WEB_IDENTITY) -> None:
        self.fault(Fault.server_error(status), times, action)

    def error(self, code: str, times: int | None = 1, message: str | None = None,
              status: int | None = None, action: str = WEB_IDENTITY) -> None:
        self.fault(Fault.error(code, message, status), times, action)

    def slow(self, seconds: float, times: int | None = 1, action: str = WEB_IDENTITY) -> None:
        self.fault(Fault.slow(seconds), times, action)

    def trust_sub(self, patterns: str | list[str], role: str | None = None) -> None:
        """Refuse (AccessDenied) tokens whose `sub` matches none of `patterns` (IAM
        StringLike), for `role` (an IAM role ARN) or every role. Several calls add
        conditions that must all hold."""
        with self._lock:
            self._trust.append(([patterns] if isinstance(patterns, str) else list(patterns), role))

    def trust_policy(self, document: dict | str, role: str) -> None:
        """Give `role` (an IAM role ARN) this trust policy: AssumeRoleWithWebIdentity and
        AssumeRole for it are refused (AccessDenied) unless the policy allows them. Roles
        without a policy are not checked (AssumeRole: unless `strict_chain_trust`)."""
        policy = TrustPolicy(document)
        with self._lock:
            self._policies[role] = policy

    def trust_chain(self, role: str, principals: str | list[str], external_id: str | None = None,
                    tag_session: bool = True) -> None:
        """Add to `role`'s trust policy a statement letting sessions of `principals` (role
        ARNs, account ids, `arn:aws:iam::<account>:root`) assume it with AssumeRole, with
        `sts:TagSession` unless `tag_session` is false, and, with `external_id`, only when the
        request's ExternalId equals it."""
        statement = {"Effect": "Allow", "Principal": {"AWS": principals},
                     "Action": ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"}
        if external_id is not None:
            statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
        with self._lock:
            existing = self._policies.get(role)
            statements = (existing.statements if existing else []) + [statement]
            self._policies[role] = TrustPolicy({"Version": "2012-10-17", "Statement": statements})

    # --- inspection --------------------------------------------------------------

    @property
    def assume_requests(self) -> list[STSRequest]:
        """AssumeRoleWithWebIdentity requests."""
        with self._lock:
            return [r for r in self.requests if r.action == WEB_IDENTITY]

    @property
    def chain_requests(self) -> list[STSRequest]:
        """AssumeRole requests."""
        with self._lock:
            return [r for r in self.requests if r.action == ASSUME_ROLE]

    @property
    def assume_count(self) -> int:
        return len(self.assume_requests)

    def secrets(self) -> list[str]:
        """Every secret access key and session token handed out so far."""
        with self._lock:
            return [s for c in self.issued for s in (c.secret_access_key, c.session_token)]

    def issued_for(self, access_key_id: str) -> IssuedCredentials | None:
        with self._lock:
            return next((c for c in self.issued if c.access_key_id == access_key_id), None)

    # --- serving -----------------------------------------------------------------

    def _handle(self, h: QuietHandler, body: bytes) -> None:
        path, _, query = h.path.partition("?")
        text = body.decode("utf-8", "replace") if body else query
        req = STSRequest(h.command, path, dict(h.headers), body,
                         urllib.parse.parse_qs(text, keep_blank_values=True),
                         time.time(), time.monotonic(), target=h.path, header_items=list(h.headers.items()))
        h.sts_request = req
        with self._lock:
            self.requests.append(req)
        action = req.action
        if action in self.FAULT_ACTIONS:
            with self._lock:
                queue = self._queues[action]
                behaviour = queue.pop(0) if queue else self._defaults[action]
            behaviour.respond(self, h, req)
        elif action == "GetCallerIdentity":
            self._caller_identity(h, req)
        else:
            self._send_error(h, "InvalidAction",
                             f"Could not find operation {action} for version 2011-06-15")

    def _send_error(self, h, code, message=None, status=None, type_=None) -> None:
        d_status, d_type, d_message = ERRORS.get(code, (400, "Sender", code))
        rid = str(uuid.uuid4())
        req = getattr(h, "sts_request", None)
        if req is not None:
            req.status, req.error_code = status or d_status, code
        h.send(status or d_status, error_xml(code, message or d_message, type_ or d_type, rid),
               "text/xml", {"x-amzn-RequestId": rid})

    def _send_ok(self, h, body: bytes) -> None:
        req = getattr(h, "sts_request", None)
        if req is not None:
            req.status = 200
        h.send(200, body, "text/xml", {"x-amzn-RequestId": str(uuid.uuid4())})

    @staticmethod
    def _invalid(what, value, constraint) -> tuple[str, str]:
        shown = "null" if value is None else f"'{value}'"
        return ("ValidationError", f"1 validation error detected: Value {shown} at '{what}' "
                f"failed to satisfy constraint: {constraint}")

    def _check_common(self, req: STSRequest, chained: bool) -> tuple[str, str] | None:
        """The parameter checks AssumeRoleWithWebIdentity and AssumeRole share."""
        f, invalid = req.form, self._invalid
        name = f["RoleSessionName"]
        if not 20 <= len(f["RoleArn"]) <= 2048:
            return invalid("roleArn", f["RoleArn"], "Member must have length between 20 and 2048")
        if not 2 <= len(name) <= 64:
            return invalid("roleSessionName", name, "Member must have length between 2 and 64")
        if not re.fullmatch(r"[\w+=,.@-]*", name, re.ASCII):
            return invalid("roleSessionName", name,
                           "Member must satisfy regular expression pattern: [\\w+=,.@-]*")
        if "DurationSeconds" in f:
            try:
                d = int(f["DurationSeconds"])
            except ValueError:
                return invalid("durationSeconds", f["DurationSeconds"], "Member must be a number")
            if not 900 <= d <= 43200:
                return invalid("durationSeconds", d, "Member must have value between 900 and 43200")
            if chained and d > CHAINED_SESSION_LIMIT:
                return ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session "
                        "limit for roles assumed by role chaining.")
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
        return None

    def _check(self, req: STSRequest) -> tuple[str, str] | None:
        """AssumeRoleWithWebIdentity: STS's parameter validation and trust policy."""
        f = req.form
        if self.validate:
            for param, what in (("RoleArn", "roleArn"), ("RoleSessionName", "roleSessionName"),
                                ("WebIdentityToken", "webIdentityToken")):
                if f.get(param) is None:
                    return self._invalid(what, None, "Member must not be null")
            if not 4 <= len(f["WebIdentityToken"]) <= 20000:
                return self._invalid("webIdentityToken", "***", "Member must have length between 4 and 20000")
            problem = self._check_common(req, chained=False)
            if problem:
                return problem
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

    def _authenticate(self, req: STSRequest, service: str = "sts") -> tuple[IssuedCredentials | None, tuple | None]:
        """Verifies the request's SigV4 signature like STS: (the credentials that signed it,
        None), or (None, (code, message))."""
        header = req.header("Authorization")
        if header is None:
            return None, ("MissingAuthenticationToken", None)
        auth = parse_authorization(header)
        if auth is None:
            return None, ("IncompleteSignature", f"Unsupported Authorization Type")
        missing = [n for n, k in (("Credential", "credential"), ("SignedHeaders", "signed_headers"),
                                  ("Signature", "signature")) if not auth.get(k)]
        if missing:
            return None, ("IncompleteSignature", " ".join(
                f"Authorization header requires '{n}' parameter." for n in missing))
        stamp = req.header("X-Amz-Date")
        if stamp is None:
            return None, ("IncompleteSignature", "Authorization header requires existence of either a "
                          "'X-Amz-Date' or a 'Date' header.")
        scope = auth["credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            return None, ("IncompleteSignature", f"Credential should be scoped to a valid region, not "
                          f"'{scope[2] if len(scope) > 2 else ''}'. Credential should be scoped with a "
                          "valid terminator: 'aws4_request'.")
        key, day, region, scoped_service, _ = scope
        with self._lock:
            creds = next((c for c in self.issued if c.access_key_id == key), None)
        token = req.header("X-Amz-Security-Token")
        if creds is None or token != creds.session_token:
            return None, ("InvalidClientTokenId", None)
        if time.time() >= creds.expiration:
            return None, ("ExpiredToken", None)
        if not self.verify_signatures:
            return creds, None
        try:
            signed_at = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return None, ("IncompleteSignature", f"Date must be in ISO-8601 'basic format'. Got '{stamp}'.")
        now = time.time()
        now_text = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        if signed_at < now - self.clock_skew:
            earliest = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - self.clock_skew))
            return None, ("SignatureDoesNotMatch", f"Signature expired: {stamp} is now earlier than "
                          f"{earliest} ({now_text} - 5 min.)")
        if signed_at > now + self.clock_skew:
            latest = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now + self.clock_skew))
            return None, ("SignatureDoesNotMatch", f"Signature not yet current: {stamp} is still later "
                          f"than {latest} ({now_text} + 5 min.)")
        if day != stamp[:8]:
            return None, ("SignatureDoesNotMatch", f"Date in Credential scope does not match YYYYMMDD "
                          f"from ISO-8601 version of date from HTTP: '{day}' != '{stamp[:8]}', from "
                          f"'{stamp}'.")
        if scoped_service != service:
            return None, ("SignatureDoesNotMatch", f"Credential should be scoped to correct service: "
                          f"'{service}'. ")
        if self.signing_region is not None and region != self.signing_region:
            return None, ("SignatureDoesNotMatch", f"Credential should be scoped to a valid region, "
                          f"not '{region}'. ")
        signed = auth["signed_headers"].split(";")
        if "host" not in signed:
            return None, ("SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader' "
                          "in the AWS Authorization.")
        expected, _ = expected_signature(req.method, req.target, req.header_items, req.body, signed, key,
                                         creds.secret_access_key, token, stamp, region, service)
        if expected != auth["signature"]:
            return None, ("SignatureDoesNotMatch", None)
        return creds, None

    def _check_chain(self, req: STSRequest, caller: IssuedCredentials) -> tuple[str, str] | None:
        """AssumeRole: STS's parameter validation, tag rules and the role's trust."""
        f = req.form
        if self.validate:
            for param, what in (("RoleArn", "roleArn"), ("RoleSessionName", "roleSessionName")):
                if f.get(param) is None:
                    return self._invalid(what, None, "Member must not be null")
            problem = self._check_common(req, chained=True)
            if problem:
                return problem
            external_id = req.external_id
            if external_id is not None:
                if not 2 <= len(external_id) <= 1224:
                    return self._invalid("externalId", external_id, "Member must have length between 2 and 1224")
                if not re.fullmatch(r"[\w+=,.@:/-]*", external_id, re.ASCII):
                    return self._invalid("externalId", external_id,
                                         "Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*")
            message = tag_problem(req.tags, req.transitive_tag_keys, caller.transitive_tags)
            if message:
                return ("ValidationError", message)
        role = f.get("RoleArn", "")
        with self._lock:
            policy = self._policies.get(role)
        if policy is None and not self.strict_chain_trust:
            return None
        tagging = bool(req.tags or req.transitive_tag_keys or caller.transitive_tags)
        denied = policy.chain_denial(caller, req, tagging) if policy is not None else "sts:AssumeRole"
        if denied:
            return ("AccessDenied", f"User: {caller.assumed_role_arn} is not authorized to perform: "
                    f"{denied} on resource: {role}")
        return None

    def _new_credentials(self, req: STSRequest, lifetime: int | None) -> IssuedCredentials:
        f = req.form
        role_arn = f.get("RoleArn", "arn:aws:iam::111122223333:role/unknown")
        session = f.get("RoleSessionName", "session")
        account = arn_account(role_arn)
        if lifetime is None:
            lifetime = self.credential_lifetime
        if lifetime is None:
            lifetime = int(f.get("DurationSeconds") or DEFAULT_DURATION)
        return IssuedCredentials(
            access_key_id="ASIA" + "".join(_secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                           for _ in range(16)),
            secret_access_key=base64.b64encode(_secrets.token_bytes(30)).decode(),
            session_token="IQoJb3JpZ2luX2VjE" + base64.b64encode(_secrets.token_bytes(420)).decode(),
            expiration=time.time() + lifetime,
            role_arn=role_arn,
            session_name=session,
            account=account,
            assumed_role_arn=f"arn:aws:sts::{account}:assumed-role/{role_name(role_arn)}/{session}",
            assumed_role_id="AROA" + _secrets.token_hex(8).upper() + ":" + session,
            action=f.get("Action", WEB_IDENTITY),
            duration=int(f["DurationSeconds"]) if f.get("DurationSeconds", "").isdigit() else None,
            external_id=f.get("ExternalId"),
        )

    def _credentials_xml(self, creds: IssuedCredentials) -> list:
        return [("AccessKeyId", creds.access_key_id), ("SecretAccessKey", creds.secret_access_key),
                ("SessionToken", creds.session_token),
                ("Expiration", format_expiration(creds.expiration, self.fractional_expiration))]

    def _success_body(self, req: STSRequest, omit=(), lifetime=None, record=True) -> bytes:
        if req.action == ASSUME_ROLE:
            return self._chain_body(req, req.caller or self._signer_of(req), omit, lifetime, record)
        f = req.form
        claims = req.claims or {}
        creds = self._new_credentials(req, lifetime)
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
            ("Credentials", self._credentials_xml(creds)),
        ]
        if "Policy" in f or req.policy_arns:
            result.append(("PackedPolicySize", 6))
        result.append(("Provider", f"arn:aws:iam::{creds.account}:oidc-provider/{iss}"))
        result = _drop(result, set(omit))
        return response_xml(WEB_IDENTITY, result, str(uuid.uuid4()))

    def _signer_of(self, req: STSRequest) -> IssuedCredentials | None:
        """The issued credentials whose access key signed `req`, unverified (for faults)."""
        return self.issued_for(req.access_key or "")

    def _chain_body(self, req: STSRequest, caller: IssuedCredentials | None, omit=(), lifetime=None,
                    record=True) -> bytes:
        creds = self._new_credentials(req, lifetime)
        creds.source = caller
        incoming = caller.transitive_tags if caller else {}
        creds.tags = {**incoming, **dict(req.tags)}
        keys = list((caller.transitive_tag_keys if caller else [])) + req.transitive_tag_keys
        creds.transitive_tag_keys = [k for i, k in enumerate(keys) if k.lower() not in {x.lower() for x in keys[:i]}]
        if record:
            with self._lock:
                self.issued.append(creds)
        result = [
            ("Credentials", self._credentials_xml(creds)),
            ("AssumedRoleUser", [("AssumedRoleId", creds.assumed_role_id), ("Arn", creds.assumed_role_arn)]),
        ]
        if "Policy" in req.form or req.policy_arns or req.tags:
            result.append(("PackedPolicySize", 6 + len(req.tags)))
        return response_xml(ASSUME_ROLE, _drop(result, set(omit)), str(uuid.uuid4()))

    def _assume(self, h, req, omit=(), lifetime=None) -> None:
        """A normal answer to the request's action (what `Fault.ok` does)."""
        if req.action == ASSUME_ROLE:
            self._assume_role(h, req, omit, lifetime)
            return
        problem = self._check(req)
        if problem:
            self._send_error(h, *problem)
            return
        self._send_ok(h, self._success_body(req, omit, lifetime))

    def _assume_role(self, h, req, omit=(), lifetime=None) -> None:
        caller, problem = self._authenticate(req)
        req.caller = caller
        if problem is None:
            problem = self._check_chain(req, caller)
        if problem:
            self._send_error(h, *problem)
            return
        self._send_ok(h, self._chain_body(req, caller, omit, lifetime))

    def _caller_identity(self, h, req: STSRequest) -> None:
        creds, problem = self._authenticate(req)
        req.caller = creds
        if problem:
            self._send_error(h, *problem)
            return
        result = [("Arn", creds.assumed_role_arn), ("UserId", creds.assumed_role_id),
                  ("Account", creds.account)]
        self._send_ok(h, response_xml("GetCallerIdentity", result, str(uuid.uuid4())))


def _drop(pairs, names: set) -> list:
    out = []
    for name, value in pairs:
        if name in names:
            continue
        out.append((name, _drop(value, names) if isinstance(value, list) else value))
    return out
