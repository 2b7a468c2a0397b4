"""GitLab-shaped ID tokens (JWS compact form) and hostile variants.

`gitlab_claims()` builds the claim set GitLab puts in a CI job's ID token; `encode()` signs
it with a `keys.TestKey`. The hostile helpers take a good token (or key + claims) and break
it in one specific way each.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from .keys import TestKey, b64url, b64url_decode

OMIT = object()
"""Pass as a claim value to `gitlab_claims`/`mint` to leave the claim out."""

DEFAULT_AUDIENCE = "sts.amazonaws.com"


def _s(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def gitlab_claims(
    issuer: str,
    *,
    project_path: str = "group/project",
    project_id: int | str = 42,
    namespace_id: int | str = 7,
    ref: str = "main",
    ref_type: str = "branch",
    ref_protected: bool | str = True,
    job_id: int | str = 1001,
    pipeline_id: int | str = 501,
    environment: str | None = None,
    lifetime: int = 300,
    now: int | None = None,
    **overrides,
) -> dict:
    """The full claim set of a GitLab CI ID token.

    Strings everywhere except `exp`/`nbf`/`iat`/`runner_id` (ints); booleans as
    "true"/"false". `sub` is derived from project_path/ref_type/ref unless overridden.
    Passing `environment` adds `environment`, `environment_protected` ("false"),
    `deployment_tier` ("other") and `environment_action` ("start"); override any of them
    with keyword arguments. Any claim can be overridden or added via `overrides`; a value
    of `OMIT` removes the claim.
    """
    now = int(time.time() if now is None else now)
    namespace_path = project_path.rsplit("/", 1)[0] if "/" in project_path else project_path
    ref_path = f"refs/heads/{ref}" if ref_type == "branch" else f"refs/tags/{ref}"
    sha = hashlib.sha1(f"{project_path}@{ref}".encode()).hexdigest()
    claims: dict = {
        "namespace_id": _s(namespace_id),
        "namespace_path": namespace_path,
        "project_id": _s(project_id),
        "project_path": project_path,
        "user_id": "17",
        "user_login": "alice",
        "user_email": "alice@example.com",
        "user_access_level": "developer",
        "pipeline_id": _s(pipeline_id),
        "pipeline_source": "push",
        "job_id": _s(job_id),
        "ref": ref,
        "ref_type": ref_type,
        "ref_path": ref_path,
        "ref_protected": _s(ref_protected),
        "runner_id": 3,
        "runner_environment": "self-hosted",
        "sha": sha,
        "project_visibility": "private",
        "ci_config_ref_uri": f"gitlab.example.com/{project_path}//.gitlab-ci.yml@{ref_path}",
        "ci_config_sha": sha,
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime,
        "sub": f"project_path:{project_path}:ref_type:{ref_type}:ref:{ref}",
        "aud": DEFAULT_AUDIENCE,
    }
    if environment is not None:
        claims.update(environment=environment, environment_protected="false",
                      deployment_tier="other", environment_action="start")
    for key, value in overrides.items():
        if value is OMIT:
            claims.pop(key, None)
        elif isinstance(value, bool):
            claims[key] = _s(value)
        else:
            claims[key] = value
    return claims


def _json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def encode(claims: dict, key: TestKey, alg: str = "RS256", header_overrides: dict | None = None) -> str:
    """Sign `claims` as a compact JWS. Header: {"kid", "typ": "JWT", "alg"} + overrides
    (a value of OMIT removes a header field). `alg` must be RS256/RS384/RS512; for other
    algorithms use the hostile helpers."""
    header = {"kid": key.kid, "typ": "JWT", "alg": alg}
    for k, v in (header_overrides or {}).items():
        if v is OMIT:
            header.pop(k, None)
        else:
            header[k] = v
    signing_input = f"{b64url(_json(header))}.{b64url(_json(claims))}"
    return f"{signing_input}.{b64url(key.sign(signing_input.encode(), alg))}"


def decode_unverified(token: str) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS, without verifying anything."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


def segments(token: str) -> list[str]:
    return token.split(".")


# --- hostile tokens ------------------------------------------------------------------


def alg_none(claims: dict, kid: str | None = None) -> str:
    """`alg: none` with an empty signature (the classic bypass)."""
    header = {"typ": "JWT", "alg": "none"}
    if kid:
        header["kid"] = kid
    return f"{b64url(_json(header))}.{b64url(_json(claims))}."


def hs256_with_public_key(claims: dict, key: TestKey, alg: str = "HS256") -> str:
    """HMAC-signed with the RSA public key PEM as the secret (algorithm confusion)."""
    hashes = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
    header = {"kid": key.kid, "typ": "JWT", "alg": alg}
    signing_input = f"{b64url(_json(header))}.{b64url(_json(claims))}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashes[alg]).digest()
    return f"{signing_input}.{b64url(mac)}"


def tampered_payload(token: str, **changes) -> str:
    """Same header and signature, payload with claims changed (OMIT removes one)."""
    h, p, s = token.split(".")
    payload = json.loads(b64url_decode(p))
    for k, v in changes.items():
        if v is OMIT:
            payload.pop(k, None)
        else:
            payload[k] = v
    return f"{h}.{b64url(_json(payload))}.{s}"


def bad_signature(token: str) -> str:
    """Flip bits in the middle of the signature (still valid base64url, right length)."""
    h, p, s = token.split(".")
    sig = bytearray(b64url_decode(s))
    sig[len(sig) // 2] ^= 0xFF
    return f"{h}.{p}.{b64url(bytes(sig))}"


def malformed(kind: str = "base64") -> str:
    """Tokens that are not a parseable JWS.

    kind: "base64" (illegal base64url characters), "json" (segments decode, not JSON),
    "segments" (two segments only), "garbage" (no dots at all), "empty_parts" ("..").
    """
    if kind == "base64":
        return "eyJhbGciOiJSUzI1NiJ9!!.e30$$*.c2ln@@"
    if kind == "json":
        return f"{b64url(b'{not json')}.{b64url(b'[1,2')}.{b64url(b'sig')}"
    if kind == "segments":
        return f"{b64url(_json({'alg': 'RS256'}))}.{b64url(_json({'sub': 'x'}))}"
    if kind == "garbage":
        return "this-is-not-a-jwt"
    if kind == "empty_parts":
        return ".."
    raise ValueError(kind)


def oversized(claims: dict, key: TestKey, length: int = 20001) -> str:
    """A correctly signed token longer than `length` chars (STS limit: 20000), padded by an
    extra claim."""
    claims = dict(claims, padding="")
    base = len(encode(claims, key))
    claims["padding"] = "x" * max(0, (length - base) * 3 // 4 + 8)
    token = encode(claims, key)
    assert len(token) >= length, len(token)
    return token

