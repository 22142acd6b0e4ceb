"""Routes for the voice channels, and the Twilio request signature check in front of them.

`GET /v1/voice/relay` is the ConversationRelay websocket (callcenter.channels.voice_relay);
`POST /v1/voice/transcripts` takes finished calls (callcenter.channels.transcripts_http).
When TWILIO_AUTH_TOKEN is set, both refuse (403) any request whose X-Twilio-Signature does not
match, so only Twilio (or a sender holding the token) can open a call or post a transcript.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl

import structlog
from aiohttp import web

from callcenter.channels.transcripts_http import MAX_BODY_BYTES, error_response, handle_transcript
from callcenter.channels.voice_protocol import body_sha256, signature_matches
from callcenter.channels.voice_relay import relay_handler
from callcenter.runtime import Runtime

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


def public_urls(request: web.Request, *, websocket: bool) -> list[str]:
    """The URLs Twilio may have signed for this request.

    Behind a TLS-terminating proxy the server sees http://internal-host; Twilio signed the public
    wss:// or https:// URL, so X-Forwarded-Proto/-Host are honoured, and both the default-port
    and explicit-port spellings are tried (Twilio's own validators do the same).
    """
    url = request.url
    proto = request.headers.get("X-Forwarded-Proto", url.scheme).split(",")[0].strip().lower()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
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


def check_signature(request: web.Request, auth_token: str, body: bytes | None, *, websocket: bool) -> str | None:
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
    if not signature_matches(auth_token, signature, public_urls(request, websocket=websocket), params):
        return "signature does not match"
    return None


def _forbidden(reason: str) -> web.Response:
    return error_response(403, "invalid_signature", f"Request refused: {reason}.")


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None past `limit` bytes (read from the stream: the app-wide cap is smaller)."""
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


def setup_routes(app: web.Application, runtime: Runtime) -> None:
    """Register the voice routes on the product's aiohttp app (called by callcenter.web.server)."""

    async def relay(request: web.Request) -> web.StreamResponse:
        token = twilio_auth_token(runtime)
        if token is not None:
            refused = check_signature(request, token, None, websocket=True)
            if refused:
                log.warning("voice.signature_refused", path=RELAY_PATH, reason=refused)
                return _forbidden(refused)
        return await relay_handler(request, runtime)

    async def transcripts(request: web.Request) -> web.Response:
        body = await _read_body(request, MAX_BODY_BYTES)
        if body is None:
            return error_response(413, "body_too_large", f"Transcripts are limited to {MAX_BODY_BYTES} bytes.")
        token = twilio_auth_token(runtime)
        if token is not None:
            refused = check_signature(request, token, body, websocket=False)
            if refused:
                log.warning("voice.signature_refused", path=TRANSCRIPTS_PATH, reason=refused)
                return _forbidden(refused)
        return await handle_transcript(runtime, body)

    app.router.add_get(RELAY_PATH, relay)
    app.router.add_post(TRANSCRIPTS_PATH, transcripts)
