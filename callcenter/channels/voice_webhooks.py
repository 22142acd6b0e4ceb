"""Twilio's Voice webhooks: the incoming call and the end of its relay session, answered in TwiML.

`POST /v1/voice/incoming` is the number's "A call comes in" webhook: it answers with a
`<Connect><ConversationRelay>` that puts the caller on our relay websocket. When the relay
session ends, Twilio posts to the `<Connect action>` URL, `POST /v1/voice/handoff`; if we ended
the session with `handoffData` (a person is needed) the answer routes the call by the handoff's
queue (`<Enqueue>` or `<Dial>`), otherwise the call simply hangs up. The transport (signature
check, body size) is in voice_http; this module turns a form into TwiML and knows no sockets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web

from callcenter.channels import twiml
from callcenter.channels.forwarding import TrustedProxies, forwarded_scheme_host
from callcenter.language.packs import Languages
from callcenter.settings import Settings

log = structlog.get_logger(__name__)

INCOMING_PATH = "/v1/voice/incoming"
HANDOFF_PATH = "/v1/voice/handoff"
RELAY_PATH = "/v1/voice/relay"
MAX_FORM_BYTES = 64 * 1024  # Twilio's webhook forms are a few hundred bytes; HandoffData is capped by us

_QUEUE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# TaskRouter task priority (higher is served first) for the handoff's priority.
TASK_PRIORITY = {"low": 0, "normal": 10, "high": 50, "urgent": 100}

CONNECTING = "Connecting you to a member of our team. Please stay on the line."
CONNECTING_EMERGENCY = "Connecting you to our emergency line now. Please stay on the line."
RELAY_FAILED = "Sorry, our assistant is unavailable. Connecting you to a member of our team."


class WebhookError(Exception):
    """A webhook request we cannot act on; `message` says what was wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_form(body: bytes) -> dict[str, str]:
    """Twilio's form-encoded parameters (the last value wins for a repeated name)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookError("The body must be UTF-8 form data (application/x-www-form-urlencoded).") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def public_base(request: web.Request, settings: Settings, trusted: TrustedProxies) -> str:
    """The https:// base URL Twilio reaches us at: CALLCENTER_PUBLIC_URL, else the request's own.

    Behind a TLS-terminating proxy the request's scheme and host come from X-Forwarded-Proto and
    X-Forwarded-Host, honoured only from CALLCENTER_TRUSTED_PROXIES; with signatures on, Twilio
    signed exactly that URL, so a forged header cannot hand a stranger's relay address to a call.
    """
    if settings.public_url:
        return settings.public_url.rstrip("/")
    proto, host = forwarded_scheme_host(
        request.remote, request.headers, trusted, scheme=request.url.scheme, host=request.host
    )
    return f"{'https' if proto in ('https', 'wss') else 'http'}://{host}"


def relay_url(base: str) -> str:
    """The websocket URL for a base URL: https → wss, http → ws."""
    scheme, _, rest = base.partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}{RELAY_PATH}"


def incoming_twiml(form: Mapping[str, str], base: str, settings: Settings, greeting: str = "") -> str:
    """The TwiML that answers a new call: connect it to the relay with `greeting`, the voice from settings.

    The `<Parameter>`s repeat what Twilio told this webhook (which number was called, the
    caller's country) so the relay's `setup` carries them; the caller's identity is *not* among
    them: caller id is only a hint, and the relay verifies callers itself (PIN).
    """
    call_sid = form.get("CallSid", "")
    if not call_sid:
        raise WebhookError("CallSid is missing: this endpoint takes Twilio's Voice webhook form.")
    params = {
        "call_sid": call_sid[:64],
        "called": form.get("To", "")[:32],
        "caller_country": form.get("FromCountry", "")[:8],
        "language": settings.voice_language,
    }
    spec = twiml.RelaySpec(
        relay_url=relay_url(base),
        action_url=base + HANDOFF_PATH,
        welcome_greeting=greeting,
        language=settings.voice_language,
        voice=settings.voice_tts_voice,
        tts_provider=settings.voice_tts_provider,
        transcription_provider=settings.voice_transcription_provider,
        parameters={k: v for k, v in params.items() if v},
    )
    log.info("voice.incoming", call_sid=call_sid, direction=form.get("Direction", ""))
    return twiml.connect_relay(spec)


@dataclass(frozen=True, slots=True)
class Handoff:
    """The parts of our own handoffData the routing needs (the rest is for the agent desk)."""

    queue: str
    priority: str
    fields: dict[str, Any]


def parse_handoff(raw: str) -> Handoff:
    """Our `handoffData` JSON back from Twilio; an unreadable one still goes to the general queue."""
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        log.warning("voice.handoff_data_unreadable", length=len(raw))
        return Handoff("general", "normal", {})
    queue = data.get("queue")
    priority = data.get("priority")
    return Handoff(
        queue=queue if isinstance(queue, str) and _QUEUE.match(queue) else "general",
        priority=priority if priority in TASK_PRIORITY else "normal",
        fields=data,
    )


def route_for(queue: str, settings: Settings) -> str:
    """Where a queue goes: voice_routes, else the emergency number for `emergency`, else a queue of that name."""
    configured = settings.voice_routes.get(queue)
    if configured:
        return configured
    if queue == "emergency" and settings.voice_emergency_number:
        return f"dial:{settings.voice_emergency_number}"
    return f"enqueue:{queue}"


def handoff_twiml(form: Mapping[str, str], settings: Settings, languages: Languages | None = None) -> str:
    """What Twilio does once the relay session is over.

    With HandoffData (we asked for a person): the handoff's queue decides `<Dial>` or `<Enqueue>`.
    Without it the call ended normally and is hung up, unless Twilio reports the session failed,
    in which case the caller goes to the general queue rather than being cut off.
    """
    lang = settings.voice_language
    raw = form.get("HandoffData", "")
    call_sid = form.get("CallSid", "")
    if not raw:
        failed = form.get("SessionStatus", "").lower() in ("failed", "error") or bool(form.get("ErrorCode"))
        log.info("voice.session_ended", call_sid=call_sid, status=form.get("SessionStatus", ""), failed=failed)
        if not failed:
            return twiml.hangup()
        raw = json.dumps({"queue": "general", "priority": "high", "reason": "relay session failed"})
        say_failed = True
    else:
        say_failed = False
    handoff = parse_handoff(raw)
    route = route_for(handoff.queue, settings)
    kind, _, target = route.partition(":")
    say = RELAY_FAILED if say_failed else (CONNECTING_EMERGENCY if handoff.queue == "emergency" else CONNECTING)
    pack = languages.get(str(handoff.fields.get("language") or "")) if languages and not say_failed else None
    if pack is not None and pack.replies is not None and pack.voice_locale:  # in the caller's language
        replies = pack.replies
        said = replies.voice_connecting_emergency if handoff.queue == "emergency" else replies.voice_connecting
        say, lang = (said, pack.voice_locale) if said else (say, lang)
    log.info("voice.handoff_routed", call_sid=call_sid, queue=handoff.queue, priority=handoff.priority, route=kind)
    if kind == "dial":
        return twiml.dial(target, say=say, language=lang)
    if kind == "hangup":
        return twiml.hangup()
    task = {k: handoff.fields.get(k) for k in ("reason", "handoff_id", "ticket_id", "session_id", "customer_id")}
    return twiml.enqueue(
        target,
        say=say,
        language=lang,
        workflow_sid=settings.voice_taskrouter_workflow_sid,
        task={"priority_label": handoff.priority, "call_sid": call_sid, **task},
        priority=TASK_PRIORITY[handoff.priority],
    )


def twiml_response(document: str) -> web.Response:
    return web.Response(text=document, content_type=twiml.CONTENT_TYPE, charset="utf-8")
