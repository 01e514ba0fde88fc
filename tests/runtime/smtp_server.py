"""A loopback SMTP server (aiosmtpd, RFC 5321) for notify's e-mail channel: it
records each accepted message and the login it was given, and answers RCPT and
DATA as ``rcpt``/``data`` say (e.g. a 450 for one recipient, a 451 at DATA).
TLS from a certificate made for 127.0.0.1 (``cert_file``: the CA a client must
trust, through ``SSL_CERT_FILE``): STARTTLS offered when ``starttls``, implicit
TLS when ``implicit_tls``."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME = "smtp-user-x7"
PASSWORD = "s3cr3t-smtp-passw0rd"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    login: str | None
    tls: bool


@dataclass
class SmtpServer:
    folder: Path
    starttls: bool = True
    implicit_tls: bool = False
    host: str = "127.0.0.1"  # the real-cluster suite listens on the node's address
    # address -> scripted RCPT replies, used one per attempt ("250" accepts)
    rcpt: dict[str, list[str]] = field(default_factory=dict)
    data: list[str] = field(default_factory=list)  # scripted DATA replies, then 250
    received: list[Received] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # MAIL FROM / RCPT TO seen

    def __post_init__(self) -> None:
        self.cert_file, key_file = make_certificate(self.folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, key_file)
        self.port = _free_port(self.host)
        server = self

        class Handler:
            async def handle_MAIL(
                self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                server.commands.append(f"MAIL FROM:{address}")
                envelope.mail_from = address
                return "250 OK"

            async def handle_RCPT(
                self, smtp: Any, session: Any, envelope: Any, address: str, options: Any
            ) -> str:
                server.commands.append(f"RCPT TO:{address}")
                script = server.rcpt.get(address)
                reply = script.pop(0) if script else "250 OK"
                if reply.startswith("250"):
                    envelope.rcpt_tos.append(address)
                return reply

            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
                if server.data:
                    return server.data.pop(0)
                raw = envelope.original_content or envelope.content
                msg = message_from_bytes(raw, policy=policy.default)
                assert isinstance(msg, EmailMessage)
                login = session.auth_data.login.decode() if session.auth_data else None
                tls = session.ssl is not None or server.implicit_tls
                server.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), msg, raw, login, tls)
                )
                return "250 Message accepted for delivery"

        def authenticator(
            smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (
                data.login.decode(),
                data.password.decode(),
            ) == (USERNAME, PASSWORD)
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

        kwargs: dict[str, Any] = {
            "authenticator": authenticator,
            # As a real submission server: no login in clear. (aiosmtpd counts only
            # STARTTLS as TLS; implicit TLS is TLS from the first byte.)
            "auth_require_tls": not self.implicit_tls,
        }
        if self.implicit_tls:
            kwargs["ssl_context"] = context
        elif self.starttls:
            kwargs["tls_context"] = context
        self.controller = Controller(
            Handler(), hostname=self.host, port=self.port, server_hostname=self.host, **kwargs
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller.server is not None:  # once; a test may stop it early
            self.controller.stop()
