"""A real local server that plays Meta's WhatsApp Cloud API in tests: it checks a template message
as Meta does (token, template name and language, component and parameter types, parameter counts of
the approved templates in docs/whatsapp-templates.md, no newline/tab/4+ spaces in a body parameter),
answers a wamid or Meta's error shape, and signs webhook calls like Meta."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Approved templates as Meta knows them: body parameter count, and the buttons that take a parameter.
APPROVED = {
    "minilok_followup_created": (3, ("quick_reply", "url")),
    "minilok_followup_due_soon": (3, ("quick_reply", "url")),
    "minilok_followup_overdue": (3, ("quick_reply", "url")),
    "minilok_followup_escalated": (3, ("quick_reply", "url")),
    "minilok_followup_reopened": (3, ("quick_reply", "url")),
    "minilok_followup_update": (6, ()),
    "minilok_meeting_update": (6, ()),
    "minilok_notice": (1, ()),
    "minilok_sign_in_code": (1, ("url",)),
}
BAD_TEXT = re.compile(r"[\n\t]| {4,}")


def problems(body: object, approved: dict = APPROVED) -> list[str]:
    """What Meta would refuse in a template message (empty: it would accept it)."""
    if not isinstance(body, dict):
        return ["body is not an object"]
    found = []
    if body.get("messaging_product") != "whatsapp":
        found.append("messaging_product must be whatsapp")
    if not re.fullmatch(r"\d{8,15}", str(body.get("to", ""))):
        found.append(f"to must be digits of an E.164 number, not {body.get('to')!r}")
    if body.get("type") != "template":
        return [*found, f"type must be template, not {body.get('type')!r}"]
    template = body.get("template") or {}
    name = template.get("name")
    if name not in approved:
        return [*found, f"template {name!r} does not exist"]
    if (template.get("language") or {}).get("code") not in ("id", "en"):
        found.append(f"language.code {template.get('language')!r}")
    body_count, buttons = approved[name]
    components = template.get("components") or []
    bodies = [c for c in components if c.get("type") == "body"]
    if any(c.get("type") not in ("header", "body", "button") for c in components):
        found.append("component type")
    parameters = bodies[0].get("parameters", []) if bodies else []
    if len(parameters) != body_count:
        found.append(f"body has {len(parameters)} parameters, template {name} expects {body_count}")
    for p in parameters:
        if p.get("type") != "text" or not isinstance(p.get("text"), str) or not p["text"]:
            found.append(f"body parameter {p!r}")
        elif BAD_TEXT.search(p["text"]):
            found.append(f"body parameter has a newline, tab or 4+ spaces: {p['text']!r}")
    given = [c for c in components if c.get("type") == "button"]
    if [c.get("sub_type") for c in given] != list(buttons):
        found.append(f"buttons {[c.get('sub_type') for c in given]}, template {name} has {list(buttons)}")
    for index, button in enumerate(given):
        kind = "payload" if button.get("sub_type") == "quick_reply" else "text"
        params = button.get("parameters") or []
        if button.get("index") != str(index) or len(params) != 1 or params[0].get("type") != kind \
                or not params[0].get(kind):
            found.append(f"button {button!r}")
    return found


class FakeCloudApi:
    """`POST /v21.0/<phone number id>/messages`, checked; `accepted` holds what passed."""

    def __init__(self, access_token: str = "wa-test-access-token") -> None:
        self.access_token = access_token
        self.accepted: list[dict] = []
        self.refused: list[tuple[dict, list[str]]] = []
        self.errors: list[dict] = []  # scripted Meta errors to answer next, e.g. {"code": 130429, ...}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0/1234567890/messages"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                with fake._lock:
                    if self.headers.get("authorization") != f"Bearer {fake.access_token}":
                        return self.answer(401, {"error": {"message": "Invalid OAuth access token", "code": 190,
                                                           "type": "OAuthException"}})
                    if fake.errors:
                        return self.answer(400, {"error": {"type": "OAuthException", **fake.errors.pop(0)}})
                    found = problems(body)
                    if found:
                        fake.refused.append((body, found))
                        return self.answer(400, {"error": {"message": "(#132000) Number of parameters does not "
                                                           "match", "code": 132000, "type": "OAuthException",
                                                           "error_data": {"details": "; ".join(found)}}})
                    wamid = f"wamid.TEST{next(fake._ids):06d}"
                    fake.accepted.append({**body, "wamid": wamid,
                                          "idempotency_key": self.headers.get("idempotency-key")})
                return self.answer(200, {"messaging_product": "whatsapp",
                                         "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                         "messages": [{"id": wamid}]})

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args):
                pass

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeCloudApi]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def signed(body: dict, app_secret: str) -> tuple[bytes, dict[str, str]]:
    """A webhook call as Meta makes it: the raw body and its X-Hub-Signature-256."""
    raw = json.dumps(body).encode()
    digest = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}


def button_reply(payload: str, *, wamid: str, sender: str = "6281255501234", timestamp: int = 1780000000) -> dict:
    """The webhook body of a tap on a template's quick-reply button."""
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "6281100000000",
                                                          "phone_number_id": "1234567890"},
            "contacts": [{"profile": {"name": "Lurah"}, "wa_id": sender}],
            "messages": [{"context": {"from": "6281100000000", "id": "wamid.TEST000001"}, "from": sender,
                          "id": wamid, "timestamp": str(timestamp), "type": "button",
                          "button": {"payload": payload, "text": "Diterima"}}]}}]}]}


def status_update(wamid: str, status: str, *, timestamp: int = 1780000000, errors: list | None = None) -> dict:
    """The webhook body of a message status (sent, delivered, read, failed)."""
    entry = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": "6281255501234"}
    if errors:
        entry["errors"] = errors
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "6281100000000", "phone_number_id": "1234567890"}, "statuses": [entry]}}]}]}
