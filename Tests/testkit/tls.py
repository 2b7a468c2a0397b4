"""HTTPS versions of the test servers, with a private CA made at test time.

    ca = TestCA(tmp_path)                          # CA + server certificate for 127.0.0.1/localhost
    ca.ca_file                                     # PEM of the CA: the mapping's `ca_file`
    with HTTPSSTSDouble(ca) as sts: sts.url        # https://127.0.0.1:<port>
    with HTTPSIssuer(key_pool, ca) as issuer: ...  # iss = https://127.0.0.1:<port>

The certificates are made with `cryptography`: a self-signed CA (basicConstraints CA:TRUE)
and a leaf it signs for `server_names` (IP and DNS subject alternative names), valid from an
hour ago for a day. `TestCA(tmp_path, server_names=["other.example"])` makes a certificate
that does not name 127.0.0.1, for host-name checks. The TLS handshake runs in the handler's
thread; a client that refuses the certificate is counted in `tls_failures`.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .issuer import OIDCIssuer
from .net import LOOPBACK
from .sts_double import STSDouble


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class TestCA:
    """A private CA and one server certificate, written as PEM files below `folder`."""

    __test__ = False  # not a pytest class

    def __init__(self, folder: Path, server_names=(LOOPBACK, "localhost"), name: str = "test CA") -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"gitlab-oidc-aws {name}")).issuer_name(_name(f"gitlab-oidc-aws {name}"))
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        alt_names = []
        for server in server_names:
            try:
                alt_names.append(x509.IPAddress(ipaddress.ip_address(server)))
            except ValueError:
                alt_names.append(x509.DNSName(server))
        server_key = ec.generate_private_key(ec.SECP256R1())
        server_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(server_names[0])).issuer_name(ca_cert.subject)
            .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(_pem(ca_cert))
        self.cert_file = folder / "server.pem"
        self.cert_file.write_bytes(_pem(server_cert) + _pem(ca_cert))
        self.key_file = folder / "server.key"
        self.key_file.write_bytes(server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class _TLSHandlerMixin:
    """Wraps the accepted socket in TLS before the HTTP handler reads from it."""

    def setup(self):
        owner = self.server.owner
        try:
            self.request.settimeout(10)
            self.request = owner.tls_context.wrap_socket(self.request, server_side=True)
            self.request.settimeout(None)
            self.tls_ok = True
        except (ssl.SSLError, OSError):
            self.tls_ok = False
            with owner.tls_lock:
                owner.tls_failures += 1
        super().setup()

    def handle(self):
        if self.tls_ok:
            super().handle()


class _TLSServerMixin:
    """Makes a LoopbackServer subclass serve HTTPS with `ca`'s server certificate."""

    def _init_tls(self, ca: TestCA) -> None:
        self.tls_context = ca.server_context()
        self.tls_lock = threading.Lock()
        self.tls_failures = 0
        self.handler_class = type(f"TLS{self.handler_class.__name__}",
                                  (_TLSHandlerMixin, self.handler_class), {})

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"


class HTTPSSTSDouble(_TLSServerMixin, STSDouble):
    """The STS double over HTTPS."""

    def __init__(self, ca: TestCA) -> None:
        super().__init__()
        self._init_tls(ca)


class HTTPSIssuer(_TLSServerMixin, OIDCIssuer):
    """The OIDC issuer over HTTPS; its `url` (and so the tokens' `iss`) is https://."""

    def __init__(self, keys, ca: TestCA) -> None:
        super().__init__(keys)
        self._init_tls(ca)
