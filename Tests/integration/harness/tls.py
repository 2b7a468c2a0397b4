"""HTTPS for the loopback servers: a test certificate authority made at run time.

    ca = TestCA(tmp_path)              # ca.ca_file: PEM of the CA (for `ca_file` in a mapping)
    issuer = HTTPSIssuer(key_pool, ca) # OIDCIssuer served over TLS, url = https://127.0.0.1:PORT

The server certificate names 127.0.0.1 (IP SAN) and localhost, so libcurl verifies it
fully against `ca.ca_file`; nothing turns verification off.
"""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .issuer import OIDCIssuer
from .keys import KeyPool
from .net import LOOPBACK


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class TestCA:
    """A CA certificate and one loopback server certificate it signed, as PEM files in `directory`."""

    __test__ = False  # not a pytest class

    def __init__(self, directory: Path) -> None:
        import ipaddress

        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder().subject_name(_name("gitlab-oidc-aws test CA"))
            .issuer_name(_name("gitlab-oidc-aws test CA")).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder().subject_name(_name(LOOPBACK))
            .issuer_name(ca_cert.subject).public_key(server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(LOOPBACK)), x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = directory / "test-ca.pem"
        self.cert_file = directory / "server.pem"
        self.key_file = directory / "server.key"
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class HTTPSIssuer(OIDCIssuer):
    """The local OIDC issuer over TLS with a certificate from `ca`."""

    def __init__(self, keys: KeyPool, ca: TestCA) -> None:
        super().__init__(keys)
        self._context = ca.server_context()

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def start(self):
        super().start()
        # Same descriptor, now answering TLS; no client has connected yet.
        self._httpd.socket = self._context.wrap_socket(self._httpd.socket, server_side=True)
        return self
