"""Routes for the voice channels, and the Twilio request signature check in front of them.

`GET /v1/voice/relay` is the ConversationRelay websocket (callcenter.channels.voice_relay);
`POST /v1/voice/transcripts` takes finished calls (callcenter.channels.transcripts_http);
`POST /v1/voice/incoming` and `/v1/voice/handoff` answer Twilio's Voice webhooks in TwiML
(callcenter.channels.voice_webhooks). When TWILIO_AUTH_TOKEN is set, all of them refuse (403)
any request whose X-Twilio-Signature does not match, so only Twilio (or a sender holding the
token) can open a call or post a transcript. Without it they refuse everything (403), except
in the laptop demo (Settings.demo).

A transcript's signature is checked before its body is read: Twilio signs the URL, which
carries the body's SHA-256 (`bodySHA256`), so a forged or unsigned post costs us no memory.
The body is then read (at most CALLCENTER_MAX_BODY_BYTES) and checked against that hash.
"""

from __future__ import annotations

import os
from functools import cache
from urllib.parse import parse_qsl

import structlog
from aiohttp import web

from callcenter.channels.forwarding import TrustedProxies, forwarded_scheme_host
from callcenter.channels.transcripts_http import error_response, handle_transcript
from callcenter.channels.voice_protocol import body_sha256, signature_matches
from callcenter.channels.voice_relay import relay_handler
from callcenter.channels.voice_webhooks import (
    HANDOFF_PATH,
    INCOMING_PATH,
    MAX_FORM_BYTES,
    WebhookError,
    handoff_twiml,
    incoming_twiml,
    parse_form,
    public_base,
    twiml_response,
)
from callcenter.runtime import Runtime
from callcenter.web.demo_guard import demo_refusal

log = structlog.get_logger(__name__)

RELAY_PATH = "/v1/voice/relay"
TRANSCRIPTS_PATH = "/v1/voice/transcripts"
SIGNATURE_HEADER = "X-Twilio-Signature"


def twilio_auth_token(runtime: Runtime | None = None) -> str | None:
    """The configured Twilio auth token (Settings.twilio_auth_token, env TWILIO_AUTH_TOKEN).

    The environment is read again per request so validation can be turned on without a
    restart (and tests can set it); the settings value wins when present.
    """
    if runtime is not None and runtime.settings.twilio_auth_token is not None:
        return runtime.settings.twilio_auth_token.get_secret_value()
    return os.environ.get("TWILIO_AUTH_TOKEN") or None


@cache
def _proxies(spec: str) -> TrustedProxies:
    return TrustedProxies.parse(spec)


def public_urls(request: web.Request, *, websocket: bool, trusted: TrustedProxies | None = None) -> list[str]:
    """The URLs Twilio may have signed for this request.

    Behind a TLS-terminating proxy the server sees http://internal-host; Twilio signed the public
    wss:// or https:// URL, so X-Forwarded-Proto/-Host are honoured when the peer is one of
    CALLCENTER_TRUSTED_PROXIES (never from anyone else: they would pick the host we check), and
    both the default-port and explicit-port spellings are tried (Twilio's own validators do the same).
    """
    url = request.url
    proto, host = forwarded_scheme_host(
        request.remote, request.headers, trusted or TrustedProxies(), scheme=url.scheme, host=request.host
    )
    secure = proto in ("https", "wss")
    schemes = (("wss", "https") if secure else ("ws", "http")) if websocket else (("https",) if secure else ("http",))
    name, sep, port = host.rpartition(":")
    if not sep or not port.isdigit():
        name, port = host, ""  # no explicit port
    out: list[str] = []
    for scheme in schemes:
        default = "443" if scheme in ("https", "wss") else "80"
        spellings = [f"{name}:{port}"] if port and port != default else [name, f"{name}:{default}"]
        out.extend(f"{scheme}://{h}{url.raw_path_qs}" for h in spellings)
    return out


def check_signature(
    request: web.Request,
    auth_token: str,
    body: bytes | None,
    *,
    websocket: bool,
    trusted: TrustedProxies | None = None,
) -> str | None:
    """None when the request is genuine, else why it is refused."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return f"missing {SIGNATURE_HEADER} header"
    params: list[tuple[str, str]] = []
    if body is not None:
        if request.content_type == "application/x-www-form-urlencoded":
            params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        else:  # a JSON body is covered by the bodySHA256 query parameter, which the signature covers
            claimed = request.url.query.get("bodySHA256")
            if claimed is None:
                return "signed JSON requests must carry a bodySHA256 query parameter"
            if claimed.lower() != body_sha256(body):
                return "bodySHA256 does not match the body"
    urls = public_urls(request, websocket=websocket, trusted=trusted)
    if not signature_matches(auth_token, signature, urls, params):
        return "signature does not match"
    return None


def _forbidden(reason: str) -> web.Response:
    return error_response(403, "invalid_signature", f"Request refused: {reason}.")


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None past `limit` bytes (read from the stream: the app-wide cap is smaller).

    A Content-Length over the limit is refused before a byte is read; without one (chunked),
    reading stops at the limit.
    """
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _refuse_before_body(request: web.Request, auth_token: str, trusted: TrustedProxies) -> str | None:
    """For a signed JSON post the URL (with bodySHA256) is all the signature covers: check it unread."""
    if request.content_type == "application/x-www-form-urlencoded":
        return None if request.headers.get(SIGNATURE_HEADER) else f"missing {SIGNATURE_HEADER} header"
    if request.url.query.get("bodySHA256") is None:
        return "signed JSON requests must carry a bodySHA256 query parameter"
    return check_signature(request, auth_token, None, websocket=False, trusted=trusted)


_NO_TOKEN = (
    "voice routes need TWILIO_AUTH_TOKEN set (requests must carry a valid X-Twilio-Signature); "
    "they are open only in the demo (--demo)"
)


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    """Register the voice routes on the product's aiohttp app (called by callcenter.web.server)."""

    settings = runtime.settings

    def _unsigned_refusal(request: web.Request) -> str | None:
        """Why a request without a Twilio signature is refused (no TWILIO_AUTH_TOKEN); None in the demo."""
        if not settings.demo:
            return _NO_TOKEN
        # a proxy in front of the laptop demo
        refused = demo_refusal(settings, request.headers, request.headers.get("Host"), request.version)
        if refused is not None:
            log.warning("demo.refused", path=request.path, reason=refused)
            return f"{_NO_TOKEN}; {refused}"
        return None

    async def relay(request: web.Request) -> web.StreamResponse:
        token = twilio_auth_token(runtime)
        if token is None and (refused := _unsigned_refusal(request)):
            return _forbidden(refused)
        if token is not None:
            refused = check_signature(request, token, None, websocket=True, trusted=_proxies(settings.trusted_proxies))
            if refused:
                log.warning("voice.signature_refused", path=RELAY_PATH, reason=refused)
                return _forbidden(refused)
        return await relay_handler(request, runtime)

    async def transcripts(request: web.Request) -> web.Response:
        limit = settings.max_body_bytes
        token = twilio_auth_token(runtime)
        trusted = _proxies(settings.trusted_proxies)
        if token is None and (refused := _unsigned_refusal(request)):
            return _forbidden(refused)
        if token is not None:
            refused = _refuse_before_body(request, token, trusted)
            if refused:
                log.warning("voice.signature_refused", path=TRANSCRIPTS_PATH, reason=refused)
                return _forbidden(refused)
        body = await _read_body(request, limit)
        if body is None:
            return error_response(413, "body_too_large", f"Transcripts are limited to {limit} bytes.")
        if token is not None:
            refused = check_signature(request, token, body, websocket=False, trusted=trusted)
            if refused:
                log.warning("voice.signature_refused", path=TRANSCRIPTS_PATH, reason=refused)
                return _forbidden(refused)
        return await handle_transcript(runtime, body)

    async def signed_form(request: web.Request, path: str) -> dict[str, str] | web.Response:
        """A Twilio webhook's form parameters, or the refusal (unsigned, too large, not a form)."""
        token = twilio_auth_token(runtime)
        if token is None and (refused := _unsigned_refusal(request)):
            return _forbidden(refused)
        body = await _read_body(request, MAX_FORM_BYTES)
        if body is None:
            return error_response(413, "body_too_large", f"Webhook forms are limited to {MAX_FORM_BYTES} bytes.")
        if token is not None:
            refused = check_signature(request, token, body, websocket=False, trusted=_proxies(settings.trusted_proxies))
            if refused:
                log.warning("voice.signature_refused", path=path, reason=refused)
                return _forbidden(refused)
        try:
            return parse_form(body)
        except WebhookError as exc:
            return error_response(400, "bad_form", exc.message)

    async def incoming(request: web.Request) -> web.Response:
        form = await signed_form(request, INCOMING_PATH)
        if isinstance(form, web.Response):
            return form
        base = public_base(request, settings, _proxies(settings.trusted_proxies))
        try:
            greeting = settings.voice_greeting or runtime.app.voice_greeting
            return twiml_response(incoming_twiml(form, base, settings, greeting))
        except WebhookError as exc:
            return error_response(422, "invalid_webhook", exc.message)

    async def handoff(request: web.Request) -> web.Response:
        form = await signed_form(request, HANDOFF_PATH)
        if isinstance(form, web.Response):
            return form
        return twiml_response(handoff_twiml(form, settings, runtime.app.languages))

    app.router.add_get(RELAY_PATH, relay)
    app.router.add_post(TRANSCRIPTS_PATH, transcripts)
    app.router.add_post(INCOMING_PATH, incoming)
    app.router.add_post(HANDOFF_PATH, handoff)
