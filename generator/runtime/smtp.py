"""notify's e-mail channel: one plain-text message over SMTP (RFC 5321), with
Python's ``smtplib``.

Transport security is the config's (contract.notify.SECURITY): ``starttls``
(submission, 587) refuses to go on when the server does not offer STARTTLS, so
a message (and a password) never falls back to clear text; ``tls`` is implicit
TLS (465); ``none`` (a relay inside the cluster) is refused a login by the
config checks. Certificates are verified against the system's CA bundle
(``SSL_CERT_FILE`` replaces it).

Headers: From, To and the config's addresses were checked as plain addresses
at validate time and again when the spec was decoded; the subject is the only
header a run's values reach, and it is made one line (contract.notify's
``SUBJECT_MAX``) before ``email.policy.SMTP`` would refuse a line break
anyway.

Replies, as RFC 5321 classes them: a 4xx is retried, a 5xx is not; a message
some recipients refused with a 5xx is reported for them, and one they refused
with a 4xx is sent again to them alone. The password is never printed.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from generator.contract import notify as contract
from generator.runtime.errors import InputError, PermanentError, TemporaryError


@dataclass(frozen=True)
class Login:
    username: str
    password: str


def read_login(directory: str) -> Login:
    """The username and password keys of the mounted Secret; InputError without their content."""
    values = []
    for key in (contract.USERNAME_KEY, contract.PASSWORD_KEY):
        path = Path(directory) / key
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise InputError(f"SMTP credentials: cannot read {path}: {reason}") from exc
        if not text or "\n" in text:
            raise InputError(f"SMTP credentials: {path} must hold one non-empty line")
        values.append(text)
    return Login(*values)


def build_message(spec: contract.Email, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = spec.sender
    msg["To"] = ", ".join(spec.to)
    msg["Subject"] = subject  # one line already (notify_template.one_line)
    msg["Date"] = formatdate(usegmt=True)
    # Kept across retries: a copy a timed-out attempt did deliver is the same message.
    msg["Message-ID"] = make_msgid("benchgen", domain=spec.sender.rsplit("@", 1)[1])
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    msg.set_content(body)
    return msg


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error
    line = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{exc.smtp_code} {' '.join(line.split())[:200]}"


@dataclass
class Delivery:
    """One message to its recipients, attempt by attempt."""

    spec: contract.Email
    msg: EmailMessage
    login: Login | None
    pending: list[str]
    refused: dict[str, str]  # recipient -> the 5xx reply

    def attempt(self, timeout: float) -> None:
        """Send to every pending recipient: TemporaryError to try again, PermanentError not."""
        try:
            self._send(timeout)
        except smtplib.SMTPRecipientsRefused as exc:
            self._sort(exc.recipients)
        except smtplib.SMTPResponseException as exc:
            # Sender refused, DATA refused, login refused, a 421 closing the session.
            if 400 <= exc.smtp_code < 500:
                raise TemporaryError(f"SMTP {_reply(exc)}") from None
            raise PermanentError(f"refused: SMTP {_reply(exc)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentError(f"refused: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentError(f"TLS: {exc.verify_message}") from None
        except (smtplib.SMTPException, OSError) as exc:
            # Not the text: an OSError's can name the host; the class says enough.
            raise TemporaryError(f"no answer ({type(exc).__name__})") from None

    def _send(self, timeout: float) -> None:
        spec = self.spec
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if spec.security == "tls":
            client = smtplib.SMTP_SSL(spec.host, spec.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(spec.host, spec.port, timeout=timeout)
        with client:
            client.ehlo()
            if spec.security == "starttls":
                if not client.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError(
                        "the server does not offer STARTTLS (nothing was sent in clear text)"
                    )
                client.starttls(context=context)
                client.ehlo()
            if self.login is not None:
                client.login(self.login.username, self.login.password)
            refused = client.send_message(
                self.msg, from_addr=spec.sender, to_addrs=list(self.pending)
            )
        self._sort(refused)

    def _sort(self, refused: dict[str, tuple[int, bytes]]) -> None:
        """The recipients refused: a 5xx is final, a 4xx stays pending (TemporaryError)."""
        again = []
        for rcpt, (code, text) in refused.items():
            reply = f"{code} {' '.join(text.decode('utf-8', 'replace').split())[:200]}"
            if 400 <= code < 500:
                again.append(rcpt)
            else:
                self.refused[rcpt] = reply
        self.pending = again
        if again:
            raise TemporaryError(f"SMTP: {', '.join(again)} deferred (4xx)")

    def outcome(self) -> str | None:
        """None when every recipient accepted; else what was refused."""
        if not self.refused:
            return None
        return "refused: " + "; ".join(f"{r}: {why}" for r, why in sorted(self.refused.items()))
