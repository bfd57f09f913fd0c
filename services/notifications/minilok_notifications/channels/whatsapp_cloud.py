"""WhatsApp Cloud API template messages (docs/whatsapp-templates.md): which template an event uses,
its body parameters, its quick-reply payloads, and how the API's answer reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from minilok_notifications.channels.messages import action_link, format_local, one_line, uninvited_reader
from minilok_notifications.channels.phrases import HEADLINES, STATUSES, UNINVITED_HEADLINE, UNKNOWN_HEADLINE

if TYPE_CHECKING:
    from minilok_notifications.channels import Message
    from minilok_notifications.config import NotificationsSettings

# Events that ask the owner to act: with an action link, their template carries the "Diterima" button.
OWNER_TEMPLATES = {
    "followup.created": "minilok_followup_created",
    "followup.due_soon": "minilok_followup_due_soon",
    "followup.overdue": "minilok_followup_overdue",
    "followup.escalated": "minilok_followup_escalated",
    "followup.reopened": "minilok_followup_reopened",
}
# Keyed by event type, then by its family ("followup", "meeting"), then "other".
DEFAULT_TEMPLATES = {
    **OWNER_TEMPLATES,
    "followup": "minilok_followup_update",
    "meeting": "minilok_meeting_update",
    "other": "minilok_notice",
    "auth.code_requested": "minilok_sign_in_code",
}
# A quick-reply payload is "<action>:<action link token>"; only these actions exist.
REPLY_ACTIONS = {"ack": "acknowledge"}
ACKNOWLEDGE_PAYLOAD = "ack"
# Meta refuses a body parameter over this (and the whole body over 1024 characters).
PARAMETER_MAX = 300
# Cloud API error codes that say "later", not "never": throttling and Meta's own trouble.
RETRYABLE_ERRORS = frozenset({4, 80007, 130429, 131000, 131016, 131048, 131056, 133004})


def parameter(value: Any, limit: int = PARAMETER_MAX) -> dict[str, str]:
    """A body parameter Meta accepts: one line (no newline, tab or run of 4+ spaces), never empty."""
    text = one_line(str(value)) if value not in (None, "") else ""
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return {"type": "text", "text": text or "-"}


def template_name(event_type: str, owner: bool, settings: NotificationsSettings) -> str:
    """The event type's own template (a setting may name one for any type), else its family's."""
    names = {**DEFAULT_TEMPLATES, **settings.whatsapp_templates}
    family = event_type.split(".", 1)[0]
    if event_type in OWNER_TEMPLATES:  # their own names carry the owner's buttons
        return names[event_type] if owner else names[family]
    return names.get(event_type) or names.get(family) or names["other"]


def _time(value: Any, tz: str, language: str) -> str | None:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return format_local(when, tz, language) if when.tzinfo else None


def _followup_title(followup: dict[str, Any]) -> str:
    title = followup.get("title") or ""
    return f"{title} (RTL no. {followup['id']})" if followup.get("id") is not None else title


def body_parameters(message: Message, settings: NotificationsSettings, link: str | None, short: str) \
        -> list[dict[str, str]]:
    """What fills {{1}}, {{2}}... of the event's template, in the message's language and the event's timezone."""
    event, language = message.event, message.language if message.language in ("id", "en") else "id"
    data = event.get("data") or {}
    headline = (UNINVITED_HEADLINE if uninvited_reader(event, message.agency_id)
                else HEADLINES.get(event.get("type"), UNKNOWN_HEADLINE))[language]
    base = settings.public_base_url.rstrip("/")
    followup, meeting = data.get("followup"), data.get("meeting")
    if followup and link is not None:  # to the owner: title, puskesmas, due (the link is its button's)
        tz = followup.get("timezone") or message.timezone
        return [parameter(_followup_title(followup)), parameter(followup.get("puskesmas_name") or "puskesmas"),
                parameter(_time(followup.get("due_at"), tz, language))]
    if followup:
        tz = followup.get("timezone") or message.timezone
        page = followup.get("url") or f"{base}/follow-ups/{followup.get('id')}"
        return [parameter(headline), parameter(_followup_title(followup)),
                parameter(followup.get("puskesmas_name") or "puskesmas"),
                parameter((STATUSES.get(followup.get("status")) or {}).get(language)),
                parameter(_time(followup.get("due_at"), tz, language)), parameter(page, 1000)]
    if meeting:
        tz = meeting.get("timezone") or message.timezone
        page = meeting.get("url") or f"{base}/meetings/{meeting.get('id')}"
        if uninvited_reader(event, message.agency_id):
            page = base or page  # the meeting's page is for those still invited
        return [parameter(headline), parameter(meeting.get("title")), parameter(meeting.get("puskesmas_name")),
                parameter(_time(meeting.get("scheduled_at"), tz, language)), parameter(meeting.get("location")),
                parameter(page, 1000)]
    return [parameter(short, 900)]


def template_payload(message: Message, settings: NotificationsSettings, short: str) -> dict[str, Any]:
    """The Cloud API body of one message; `short` is the rendered one-line text (the catch-all template's)."""
    event_type = message.event.get("type") or ""
    language = message.language if message.language in ("id", "en") else "id"
    if event_type == "auth.code_requested":
        return sign_in_code_payload(message, settings)
    link = action_link(message.event, message.agency_id, settings.minilok_secret, settings.public_base_url)
    owner = link is not None and event_type in OWNER_TEMPLATES
    components: list[dict[str, Any]] = [
        {"type": "body", "parameters": body_parameters(message, settings, link if owner else None, short)}]
    if owner:
        # Button 0 acknowledges from the chat; button 1 opens the action link, whose template URL is
        # `{MINILOK_PUBLIC_URL}/a/{{1}}`: the long token stays out of the text.
        token = link.rsplit("/", 1)[-1]
        components += [{"type": "button", "sub_type": "quick_reply", "index": "0",
                        "parameters": [{"type": "payload", "payload": f"{ACKNOWLEDGE_PAYLOAD}:{token}"}]},
                       {"type": "button", "sub_type": "url", "index": "1",
                        "parameters": [{"type": "text", "text": token}]}]
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.target.lstrip("+"),
            "type": "template", "template": {"name": template_name(event_type, owner, settings),
                                             "language": {"code": language}, "components": components}}


def sign_in_code_payload(message: Message, settings: NotificationsSettings) -> dict[str, Any]:
    """An AUTHENTICATION template: the code in the body and behind the copy-code button."""
    code = str((message.event.get("data") or {}).get("code") or "")
    language = message.language if message.language in ("id", "en") else "id"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": message.target.lstrip("+"),
            "type": "template", "template": {
                "name": template_name("auth.code_requested", False, settings), "language": {"code": language},
                "components": [{"type": "body", "parameters": [parameter(code)]},
                               {"type": "button", "sub_type": "url", "index": "0",
                                "parameters": [{"type": "text", "text": code}]}]}}


def read_reply_payload(payload: str) -> tuple[str, str] | None:
    """("acknowledge", token) from a payload of ours ("ack:<token>"); None for anything else."""
    prefix, sep, token = (payload or "").partition(":")
    if not sep or prefix not in REPLY_ACTIONS or not token:
        return None
    return REPLY_ACTIONS[prefix], token


def read_answer(status: int, body: Any) -> tuple[str | None, str | None, bool]:
    """(wamid, error text, retryable) from the Cloud API's answer: `messages[0].id` on success,
    `error.code`/`message` otherwise (throttling answers 400 too, with a code that says so)."""
    if not isinstance(body, dict):
        return None, None, False
    if 200 <= status < 300:
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
        wamid = first.get("id")
        return (wamid if isinstance(wamid, str) else None), None, False
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code")
    text = f"WhatsApp {code}: {error.get('message') or ''}".strip() if code is not None else None
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    if text and details:
        text = f"{text} ({details})"
    return None, text, code in RETRYABLE_ERRORS
