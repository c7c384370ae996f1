"""Email through the standard library: `email.message.EmailMessage` composed here, sent with `smtplib` to
MAIL_SERVER, or written one .eml per mail into MAIL_DIR (the embedded default, instance/mail/, so a demo
user can open them). Sent from jobs only, with no transaction open. A refusal for good (5xx) is returned as
failed; a server that is away or answers 4xx raises `MailUnavailable` and the job is retried."""
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from ...timeutil import utcnow


class MailUnavailable(RuntimeError):
    """The mail server is unreachable or answered with a temporary (4xx) error: try again later."""


def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("MAIL_SERVER") or cfg.get("MAIL_DIR"))


def compose(to: str, subject: str, text: str) -> EmailMessage:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">").strip() or None)
    message.set_content(text)
    return message


def send(message: EmailMessage) -> tuple[str, str]:
    """("sent", where) or ("failed", why); raises MailUnavailable for a temporary failure."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return "sent", _write(message, Path(cfg["MAIL_DIR"]))
    try:
        with _connect(cfg) as smtp:
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return _refused(next(iter(exc.recipients.values()), (550, b"refused")))
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        return _refused((exc.smtp_code, exc.smtp_error))
    except (smtplib.SMTPException, OSError) as exc:
        raise MailUnavailable(f"mail server unavailable: {exc.__class__.__name__}: {exc}") from exc
    if refused:
        return _refused(next(iter(refused.values())))
    return "sent", f"{cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}"


def _refused(answer: tuple) -> tuple[str, str]:
    code, text = answer[0], answer[1]
    detail = f"SMTP {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"[:300]
    if 400 <= code < 500:
        raise MailUnavailable(detail)
    return "failed", detail


def _connect(cfg) -> smtplib.SMTP:
    host, port, timeout = cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_TIMEOUT"]
    if cfg["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
    if cfg.get("MAIL_USERNAME"):
        smtp.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
    return smtp


def _write(message: EmailMessage, folder: Path) -> str:
    """One file per mail, written whole (a reader never sees half of one)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    partial = folder / f".{name}.part"
    partial.write_bytes(bytes(message))
    partial.replace(folder / name)
    return str(folder / name)
