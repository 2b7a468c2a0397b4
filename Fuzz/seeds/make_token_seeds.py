#!/usr/bin/env python3
"""Makes the signed seed tokens of the `token` fuzz target and the key set they verify with.

    python3 Fuzz/seeds/make_token_seeds.py

Generates a fresh RSA key with Python's `cryptography` (a different implementation than the
libcrypto calls that verify), signs GitLab-shaped ID tokens whose dates sit at the edges of
their types (`exp` = 2**63 - 1, `nbf` = -2**63, `exp` = 1e300, ...), writes each to
`Fuzz/corpus/token/seed-signed-*`, and writes the public key to
`Tests/FuzzTargets/SeedKeySet.swift` with the valid token. The private key is thrown away: run the script again
to change the claims, and commit all the files it rewrites together.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "Fuzz" / "corpus" / "token"
SWIFT = ROOT / "Tests" / "FuzzTargets" / "SeedKeySet.swift"

ISSUER = "https://gitlab.example.com"
NOW = 1_800_000_000  # FuzzTargets.now
KID = "fuzz-seed-key"
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
HASHES = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def number(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def claims(**changes) -> dict:
    out = {
        "namespace_id": "7", "namespace_path": "group", "project_id": "42", "project_path": "group/project",
        "user_id": "17", "user_login": "alice", "user_email": "alice@example.com", "user_access_level": "developer",
        "pipeline_id": "900", "pipeline_source": "push", "job_id": "1001", "ref": "main", "ref_type": "branch",
        "ref_path": "refs/heads/main", "ref_protected": "true", "runner_id": 3, "runner_environment": "self-hosted",
        "sha": hashlib.sha1(b"seed").hexdigest(), "project_visibility": "private", "jti": "seed",
        "iss": ISSUER, "iat": NOW, "nbf": NOW - 5, "exp": NOW + 300,
        "sub": "project_path:group/project:ref_type:branch:ref:main", "aud": "sts.amazonaws.com",
    }
    out.update(changes)
    return out


def sign(key, payload: dict, alg: str = "RS256", kid: str | None = KID) -> str:
    header = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), HASHES[alg])
    return f"{signing_input}.{b64url(signature)}"


SEEDS = {
    "valid": {},
    "valid-rs384": {"alg": "RS384"},
    "valid-rs512": {"alg": "RS512"},
    "valid-no-kid": {"kid": None},
    "valid-fractional-exp": {"exp": NOW + 300.75, "nbf": 0},
    "valid-environment": {"environment": "production", "environment_protected": "true"},
    "exp-int64-max": {"exp": INT64_MAX},
    "exp-int64-min": {"exp": INT64_MIN},
    "nbf-int64-min": {"nbf": INT64_MIN},
    "nbf-int64-max": {"nbf": INT64_MAX},
    "iat-int64-max": {"iat": INT64_MAX},
    "exp-1e300": {"exp": 1e300},
    "exp-minus-1e300": {"exp": -1e300},
    "exp-just-past-int64": {"exp": 9.3e18},
    "exp-year-9999": {"exp": 253402300799},
    "exp-year-10000": {"exp": 253402300800},
    "exp-string": {"exp": "1800000300"},
    "exp-null": {"exp": None},
    "expired": {"exp": NOW - 61, "nbf": NOW - 400, "iat": NOW - 400},
    "not-yet-valid": {"nbf": NOW + 61},
    "unknown-kid": {"kid": "rotated-away"},
    "other-issuer": {"iss": "https://gitlab.evil.example"},
    "aud-list": {"aud": ["other", "sts.amazonaws.com"]},
}


def main() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_numbers()
    CORPUS.mkdir(parents=True, exist_ok=True)
    for old in CORPUS.glob("seed-signed-*"):
        old.unlink()
    tokens = {}
    for name, spec in SEEDS.items():
        spec = dict(spec)
        alg = spec.pop("alg", "RS256")
        kid = spec.pop("kid", KID)
        tokens[name] = sign(key, claims(**spec), alg, kid)
        (CORPUS / f"seed-signed-{name}").write_text(tokens[name])
    SWIFT.write_text(f'''/// The public key of the signed seed tokens in `Fuzz/corpus/token/seed-signed-*`, written
/// by `Fuzz/seeds/make_token_seeds.py` (which signed them with Python's `cryptography` and
/// threw the private key away).
enum SeedKeySet {{
    static let keyID = "{KID}"
    static let modulus = "{number(public.n)}"
    static let exponent = "{number(public.e)}"
    /// `seed-signed-valid`: valid at `FuzzTargets.now`.
    static let validToken = "{tokens["valid"]}"
}}
''')
    print(f"wrote {len(SEEDS)} tokens to {CORPUS.relative_to(ROOT)} and the key to {SWIFT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
