"""RSA keys for the local issuer.

Independence from the code under test: the Swift hook verifies signatures with OpenSSL's
libcrypto. Here keys are *generated* with `cryptography` (fast), but every signature is
computed by the pure-Python `rsa` package (its own PKCS#1 v1.5 padding, hashing wrapper and
modular arithmetic) and the JWK `n`/`e` encoding is done below by hand from the integers.
A bug shared by the signer and the verifier would therefore need two unrelated
implementations to fail the same way. `public_pem()` (from `cryptography`) is only used to
build the HS256 "public key as HMAC secret" attack token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field

import rsa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa

# JWS alg -> hash name understood by `rsa.sign`.
RSA_ALGS = {"RS256": "SHA-256", "RS384": "SHA-384", "RS512": "SHA-512"}


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding (unpadded); ValueError on any other character."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError(f"not base64url: {text[:20]!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_bytes(n: int) -> bytes:
    return n.to_bytes((n.bit_length() + 7) // 8 or 1, "big")


@dataclass
class TestKey:
    """An RSA key pair with a JWK `kid`."""

    __test__ = False  # not a pytest class

    private: rsa.PrivateKey
    kid: str = field(default="")
    _crypto: crypto_rsa.RSAPrivateKey | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.kid:
            self.kid = self.thumbprint()

    @classmethod
    def generate(cls, bits: int = 2048, kid: str = "") -> "TestKey":
        ck = crypto_rsa.generate_private_key(public_exponent=65537, key_size=bits)
        nums = ck.private_numbers()
        pub = nums.public_numbers
        priv = rsa.PrivateKey(pub.n, pub.e, nums.d, nums.p, nums.q)
        return cls(private=priv, kid=kid, _crypto=ck)

    @property
    def n(self) -> int:
        return self.private.n

    @property
    def e(self) -> int:
        return self.private.e

    def jwk(self, alg: str = "RS256", **extra) -> dict:
        """Public JWK as GitLab publishes it: kty, kid, e, n, use, alg."""
        jwk = {"kty": "RSA", "kid": self.kid, "e": b64url(_int_bytes(self.e)),
               "n": b64url(_int_bytes(self.n)), "use": "sig", "alg": alg}
        jwk.update(extra)
        return jwk

    def thumbprint(self) -> str:
        """RFC 7638 JWK thumbprint (what GitLab uses as kid)."""
        members = {"e": b64url(_int_bytes(self.e)), "kty": "RSA", "n": b64url(_int_bytes(self.n))}
        canon = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
        return b64url(hashlib.sha256(canon).digest())

    def sign(self, message: bytes, alg: str = "RS256") -> bytes:
        """RSASSA-PKCS1-v1_5 signature by the pure-Python `rsa` package."""
        return rsa.sign(message, self.private, RSA_ALGS[alg])

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM of the public key."""
        ck = self._crypto
        if ck is None:
            pub = crypto_rsa.RSAPublicNumbers(self.e, self.n).public_key()
        else:
            pub = ck.public_key()
        return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def crypto_public_key(self) -> crypto_rsa.RSAPublicKey:
        """The public key as a `cryptography` object (for verifying in self-tests)."""
        return crypto_rsa.RSAPublicNumbers(self.e, self.n).public_key()


class KeyPool:
    """Keys made once per session and handed out in order; makes more when exhausted."""

    def __init__(self, size: int = 3) -> None:
        self._keys = [TestKey.generate() for _ in range(size)]
        self._next = 0

    def take(self) -> TestKey:
        """A key not handed out before in this session."""
        if self._next >= len(self._keys):
            self._keys.append(TestKey.generate())
        key = self._keys[self._next]
        self._next += 1
        return key

    def any(self, index: int = 0) -> TestKey:
        """A shared key by index (may be in use by other issuers: fine for read-only use)."""
        while index >= len(self._keys):
            self._keys.append(TestKey.generate())
        return self._keys[index]
