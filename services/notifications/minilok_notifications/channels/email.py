"""Email over SMTP (`SMTP_URL`: smtp://host:port, smtps:// for TLS, ?starttls=1, user:password@
optional), a text and an HTML part from the templates in the subscriber's language; an email about
a meeting also carries its iCalendar invitation (METHOD:REQUEST, METHOD:CANCEL when cancelled or
when the event takes the reader's agency off the list)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from minilok_shared.ics import meeting_invitation

from minilok_notifications.channels import Message, SendResult
from minilok_notifications.channels.messages import render_message, uninvited_reader
from minilok_notifications.config import NotificationsSettings

CALENDAR_METHODS = {"meeting.scheduled": "REQUEST", "meeting.updated": "REQUEST", "meeting.cancelled": "CANCEL"}


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
        invitation = self.invitation(message.event, message.agency_id)
        if invitation:
            method, ics = invitation
            # As Google and Outlook send one: the calendar as a third alternative (what a mail
            # client turns into "Accept / Add to calendar"), and the same file attached.
            email.add_alternative(ics.decode(), subtype="calendar", params={"method": method})
            email.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
        return email

    def invitation(self, event: dict[str, Any], agency_id: int | None = None) -> tuple[str, bytes] | None:
        """(METHOD, the .ics) for an event that puts a meeting in a calendar, moves it or takes it out:
        for `agency_id` just taken off the list a CANCEL (same UID, the event's SEQUENCE), so its
        calendar drops the meeting that the others' calendars update."""
        method = CALENDAR_METHODS.get(event.get("type"))
        meeting = (event.get("data") or {}).get("meeting")
        if method is None or not isinstance(meeting, dict):
            return None
        if uninvited_reader(event, agency_id):
            # RFC 5546: a CANCEL naming the attendee removed, not the ones still invited.
            method = "CANCEL"
            gone = [a for a in meeting.get("uninvited_agencies") or [] if isinstance(a, dict)
                    and str(a.get("id")) == str(agency_id)]
            meeting = {**meeting, "invited_agencies": gone}
        # The UID is made from the meeting's page address; an event without one gets the
        # address the meetings service would give it, so both hand out the same UID.
        if not meeting.get("url") and meeting.get("id") is not None:
            meeting = {**meeting, "url": f"{self.settings.public_base_url.rstrip('/')}/meetings/{meeting['id']}"}
        organizer = parseaddr(self.settings.smtp_from)[1] or None
        try:
            return method, meeting_invitation(meeting, method, organizer_email=organizer)
        except (KeyError, TypeError, ValueError):
            return None  # a meeting without a time: the email still goes, without a calendar

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
