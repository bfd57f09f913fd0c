"""Email over SMTP (`SMTP_URL`: smtp://host:port, smtps:// for TLS, ?starttls=1, user:password@
optional), a text and an HTML part from the templates in the subscriber's language."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from minilok_notifications.channels import Message, SendResult
from minilok_notifications.channels.messages import render_message
from minilok_notifications.config import NotificationsSettings


class EmailChannel:
    def __init__(self, settings: NotificationsSettings):
        self.settings = settings
        self.url = urlsplit(settings.smtp_url)
        self.starttls = parse_qs(self.url.query).get("starttls", ["0"])[0] in ("1", "true", "yes")

    def compose(self, message: Message) -> EmailMessage:
        rendered = render_message(message, self.settings)
        email = EmailMessage()
        email["Subject"] = rendered.subject
        email["From"] = self.settings.smtp_from
        email["To"] = message.target
        # Stable across retries, like webhook-id: a receiving system can drop a repeat.
        email["Message-ID"] = f"<{message.message_id}@minilok>"
        email["Content-Language"] = message.language
        email.set_content(rendered.text)
        email.add_alternative(rendered.html, subtype="html")
        return email

    def send(self, message: Message) -> SendResult:
        email = self.compose(message)
        host, port = self.url.hostname or "127.0.0.1", self.url.port
        timeout = self.settings.webhook_timeout_seconds
        try:
            if self.url.scheme == "smtps":
                client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(host, port or 25, timeout=timeout)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.url.username:
                    client.login(unquote(self.url.username), unquote(self.url.password or ""))
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return SendResult(response_status=code, error=f"SMTP {code}: {text.decode(errors='replace')}",
                              outcome="retry" if 400 <= code < 500 else "failed")
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            return SendResult(response_status=exc.smtp_code, error=f"SMTP {exc.smtp_code}: {reply}",
                              outcome="retry" if 400 <= exc.smtp_code < 500 else "failed")
        except (OSError, smtplib.SMTPException) as exc:
            return SendResult(error=f"SMTP tidak terjangkau / SMTP unreachable: {type(exc).__name__}: {exc}")
        return SendResult(response_status=250, outcome="delivered")
