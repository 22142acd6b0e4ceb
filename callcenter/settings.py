"""One typed settings object, read from the environment (prefix CALLCENTER_) and a .env file.

Every knob of the product is documented here; the README's configuration table mirrors it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "CALLCENTER_CONFIG"
BUILTIN_SECRET = "dev-insecure-secret-change-me"
MIN_SECRET_BYTES = 32
# A voice_routes value: where a handed-off phone call goes (docs/voice.md).
VOICE_ROUTE = re.compile(r"^(enqueue:[A-Za-z0-9_.-]{1,64}|dial:\+?[0-9]{3,15}|hangup)$")


class ConfigError(ValueError):
    """A setting names something that is not there (a file, a module); the message says which and what to do."""


def config_file() -> Path:
    """The TOML file of tuned settings (`callcenter calibrate` writes it): $CALLCENTER_CONFIG or ./callcenter.toml."""
    return Path(os.environ.get(CONFIG_FILE_ENV, "callcenter.toml"))


def default_data_dir() -> Path:
    """Per-user data directory for the embedded PostgreSQL and cached models."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callcenter"


def is_loopback(host: str) -> bool:
    """True for a bind address only this machine can reach (127.0.0.1, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


ANONYMOUS_HANDOFFS = (
    "People alerted (human handoff + ticket) for chats nobody signed in to, per client address per hour; "
    "past it an emergency gets the safety steps and the emergency line only (docs/security.md)."
)

OPEN_HANDOFFS_PER_CUSTOMER = (
    "Human handoffs one signed-in customer may have waiting or held at once, across all their conversations; "
    "another request (a new chat, a new call) updates the open one instead: its ticket gets the new words, its "
    "priority and team go up if the new request is more urgent, and the safety answer is given as always."
)


def predictable(secret: bytes) -> str | None:
    """Why a long enough secret is still guessable, or None (red-team F16: `aaaa…` and
    `passwordpassword…` were accepted, and one customer token lets anyone test such guesses offline).

    Refused: fewer than 8 different bytes (`aaaa…`, `abab…`), one byte for over half of it
    (`secret-xxxxxxxx…`), mostly repeated 4-byte pieces (`passwordpassword…1`), or mostly runs of
    consecutive characters (`abcdefgh…`, `0123456789…`, `zyxw…`). Not "fewer than 16 distinct
    bytes": a random 32-character hex secret (`openssl rand -hex 16`) has about 14 and must pass.
    Random secrets of 32+ bytes (hex, base64, token_urlsafe) trip none of these in practice.
    """
    n = len(secret)
    if len(set(secret)) < 8:
        return "has fewer than 8 different characters"
    if max(secret.count(b) for b in set(secret)) * 2 > n:
        return "is mostly one character"
    seen: set[bytes] = set()
    repeats = 0
    for i in range(n - 3):
        gram = secret[i : i + 4]
        repeats += gram in seen
        seen.add(gram)
    if repeats * 2 >= n - 3:
        return "mostly repeats itself"
    steps = [secret[i + 1] - secret[i] for i in range(n - 1)]
    if sum(1 for a, b in zip(steps, steps[1:], strict=False) if a == b and abs(a) == 1) * 4 >= 3 * (n - 2):
        return "is mostly runs of consecutive characters"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLCENTER_", env_file=".env", extra="ignore")

    # --- storage -------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL DSN. Unset: an embedded PostgreSQL in data_dir is started.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    db_pool_min: int = 1
    db_pool_max: int = 10

    # --- application (swap these to run another business) ---------------------------
    agents_module: str = "callcenter_agents"
    tools_module: str = "callcenter_tools"

    # --- server --------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8080
    secret: SecretStr = Field(
        default=SecretStr(BUILTIN_SECRET),
        description="HMAC key for customer tokens: at least 32 random bytes. Outside the demo, `serve` refuses "
        "the built-in value or a shorter one.",
    )
    token_ttl_seconds: int = 7 * 24 * 3600
    max_message_chars: int = Field(default=10_000, le=10_000, ge=1)
    understand_max_chars: int = Field(
        default=2_000,
        ge=200,
        le=10_000,
        description="Of a longer message, the flows, glue and verifier read the first 4/5 and the last 1/5 of this "
        "many characters (the stored message and the emergency rules keep all of it): CPU per turn stays bounded.",
    )
    split_max_cuts: int = Field(
        default=4,
        ge=0,
        le=20,
        description="Places a message may be cut in two requests ('pay my bill and book a visit'): the first this "
        "many joining words with two words on each side are tried, each routing both sides (red team 3, R9).",
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        validation_alias="TWILIO_AUTH_TOKEN",
        description="When set, voice routes require a valid X-Twilio-Signature.",
    )
    demo_mode: bool | None = Field(
        default=None,
        description="Demo features (/v1/demo/residents hands out tokens; voice routes unsigned without "
        "TWILIO_AUTH_TOKEN). Unset: on only for the laptop demo, the embedded database with a loopback bind.",
    )
    demo_automatic: bool = Field(
        default=False,
        description="Set by `serve --workers N` for its workers only: the supervisor found the laptop demo "
        "(embedded database, loopback bind), so demo mode is on with the automatic mode's limits "
        "(callcenter/web/demo_guard.py). Not for setting by hand: use demo_mode.",
    )

    # --- exposure limits (docs/security.md) ---------------------------------------
    metrics_public: bool = Field(
        default=False,
        description="Serve /metrics to anyone. Off: only to this machine itself (no proxy headers) or with "
        "an operator token (Authorization: Bearer).",
    )
    trusted_proxies: str = Field(
        default="", description="Comma-separated IPs/networks whose X-Forwarded-* headers are believed."
    )
    ipv6_prefix_length: int = Field(
        default=64,
        ge=32,
        le=128,
        description="Per-address limits count an IPv6 client by this prefix: one home or server gets a whole /64 "
        "(2^64 addresses), so a limit per single IPv6 address limits nobody (red team 3, R12). 128: each address.",
    )
    allowed_origins: str = Field(
        default="",
        description="Comma-separated websocket Origins allowed besides the server's own "
        "(e.g. https://www.example.com). Clients sending no Origin (not browsers) are allowed.",
    )
    rate_messages_per_min: int = Field(
        default=30,
        ge=1,
        description="Chat messages per session per minute; a long message counts more (1 + 1 per 500 characters "
        "understood: 5 at CALLCENTER_UNDERSTAND_MAX_CHARS 2,000).",
    )
    rate_messages_per_address_per_min: int = Field(
        default=120,
        ge=1,
        description="Chat messages per client address per minute, over all its sockets, long ones weighed as above.",
    )
    rate_sessions_per_min: int = Field(
        default=20, ge=1, description="Chat hellos (new sessions and resumes) per client address per minute."
    )
    rate_hellos_per_socket_per_min: int = Field(
        default=10, ge=1, description="Chat hellos (new, resume or re-sign-in) per websocket per minute."
    )
    resume_history_max_bytes: int = Field(
        default=128 * 1024,
        ge=1024,
        description="Most bytes of history a resumed chat session is sent (newest messages; the newest always).",
    )
    max_connections_per_address: int = Field(default=20, ge=1, description="Open websockets per client address.")
    max_frame_bytes: int = Field(
        default=64 * 1024,
        ge=4096,
        le=1024 * 1024,
        description="Largest websocket message (UTF-8 bytes) on /v1/chat, /v1/desk and /v1/voice/relay: up to twice "
        "this is refused with frame_too_large, beyond that the socket is closed (1009) without reading it. "
        "permessage-deflate is never negotiated, so no message is inflated (a zip bomb costs its sender).",
    )
    rate_bad_frames_per_min: int = Field(
        default=10,
        ge=1,
        description="Refused websocket frames (too large, not JSON, unknown or invalid) per socket in any 60 s; "
        "the next gets too_many_bad_frames and the socket is closed (1008).",
    )
    anonymous_handoffs_per_address_per_hour: int = Field(default=3, ge=0, description=ANONYMOUS_HANDOFFS)
    anonymous_handoffs_per_hour: int = Field(
        default=60, ge=0, description="The same for all addresses together (database)."
    )
    open_handoffs_per_customer: int = Field(default=1, ge=1, description=OPEN_HANDOFFS_PER_CUSTOMER)
    turn_queue_max: int = Field(
        default=2, ge=0, description="Messages waiting behind the one turn in flight on a connection."
    )
    hello_timeout_s: float = Field(default=10.0, gt=0, description="Close a websocket that sent no hello by then.")
    http_idle_timeout_s: float = Field(
        default=75.0,
        gt=0,
        description="Close an HTTP connection with no complete request head by then, or idle that long between "
        "requests (slowloris). Keep it above a proxy's upstream keep-alive (nginx 60 s).",
    )
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest transcript body accepted (bytes)."
    )
    relay_queue_max: int = Field(
        default=8, ge=1, description="Caller prompts waiting behind the turn in flight on a call; more are dropped."
    )
    relay_after_hangup_max: int = Field(
        default=3, ge=0, description="Prompts still answered (stored) after a phone caller hung up."
    )

    # --- agent desk (docs/desk.md) ----------------------------------------------------
    operator_token_ttl_seconds: int = Field(default=12 * 3600, ge=60, description="Lifetime of an operator token.")
    desk_rate_per_s: float = Field(default=5.0, gt=0, description="Desk frames per second an operator may send.")
    desk_rate_burst: int = Field(default=30, ge=1, description="Desk frames an operator may send in a burst.")
    desk_queue_limit: int = Field(default=200, ge=1, description="Most handoffs shown in the desk queue.")
    desk_listen_check_s: float = Field(
        default=5.0, gt=0, description="How often the LISTEN connection is checked and, if lost, re-established."
    )

    # --- phone calls (Twilio; docs/voice.md) -----------------------------------------
    public_url: str | None = Field(
        default=None,
        description="Public https:// base URL Twilio reaches us at (TwiML's relay and action URLs). "
        "Unset: taken from the request (and its forwarded headers).",
    )
    voice_greeting: str | None = Field(
        default=None,
        max_length=500,
        description="welcomeGreeting spoken when a call connects; unset: the business's VOICE_GREETING.",
    )
    voice_language: str = Field(default="en-US", description="ConversationRelay language (speech and voice).")
    voice_tts_voice: str | None = Field(default=None, description="ConversationRelay voice; unset: Twilio's default.")
    voice_tts_provider: str | None = Field(default=None, description="ConversationRelay ttsProvider; unset: default.")
    voice_transcription_provider: str | None = Field(
        default=None,
        description="ConversationRelay transcriptionProvider; unset: default.",
    )
    voice_routes: dict[str, str] = Field(
        default_factory=dict,
        description='Where a handoff queue goes when the relay ends: {"emergency": "dial:+16175550100", '
        '"billing": "enqueue:billing"}. Unlisted queues are enqueued under their own name.',
    )
    voice_emergency_number: str | None = Field(
        default=None,
        description="Number dialled for the emergency queue unless voice_routes says otherwise.",
    )
    voice_taskrouter_workflow_sid: str | None = Field(
        default=None,
        description="With a TaskRouter workflow (WW…), enqueue as tasks of this workflow.",
    )
    voice_pin_max_attempts: int = Field(default=3, ge=1, le=10, description="Wrong PINs before entry is locked.")
    voice_pin_lockout_minutes: int = Field(default=15, ge=1, le=1440, description="How long a lock lasts.")
    voice_pin_customer_max_failures: int = Field(
        default=10,
        ge=3,
        le=100,
        description="Wrong PINs against one customer, from any caller numbers, before PIN entry for that customer "
        "stops (a person verifies them): caller id is easily spoofed, so the per-number lock alone does not "
        "bound guesses.",
    )
    voice_pin_customer_window_hours: int = Field(
        default=24, ge=1, le=720, description="The window those wrong PINs are counted in."
    )
    voice_pin_digit_timeout_s: float = Field(
        default=4.0,
        gt=0,
        le=30,
        description="Silence after the last keypad digit that ends PIN entry (or press #).",
    )
    voice_summary_max_chars: int = Field(default=600, ge=100, le=2000, description="Longest after-call summary.")

    @field_validator("voice_routes")
    @classmethod
    def _check_voice_routes(cls, routes: dict[str, str]) -> dict[str, str]:
        for queue, route in routes.items():
            if not VOICE_ROUTE.match(route):
                raise ValueError(
                    f"voice_routes[{queue!r}] = {route!r}: use 'enqueue:QUEUE', 'dial:+NUMBER' or 'hangup'."
                )
        return routes

    # --- orchestration caps ---------------------------------------------------------
    max_tool_calls_per_turn: int = 8
    max_steps_per_session: int = 200
    max_escalations_per_turn: int = 2

    # --- turns under faults (docs/scaling.md) ----------------------------------------
    turn_lease_s: float = Field(
        default=10.0,
        gt=0,
        description="A running turn's lease, renewed every third of it; a dead node's turns are finished by "
        "another node within about this long.",
    )
    session_wait_s: float = Field(
        default=10.0,
        ge=0,
        description="How long a message waits for the session's running turn before the client gets `busy`.",
    )
    sweep_interval_s: float = Field(default=2.0, gt=0, description="How often a node looks for turns of dead nodes.")
    sweep_batch: int = Field(default=20, ge=1, description="Most stale turns one sweep claims.")
    max_active_turns: int = Field(
        default=256,
        ge=1,
        description="Turns a node admits at once (running or waiting); past it clients get `busy` and /readyz 503.",
    )
    turn_deadline_s: float = Field(
        default=20.0,
        gt=0,
        description="Model time one turn may spend, retries included; then the deterministic flow answers.",
    )
    breaker_failures: int = Field(
        default=3, ge=1, description="Consecutive failures that open a provider's circuit breaker (a timeout: one)."
    )
    breaker_cooldown_s: float = Field(
        default=30.0, gt=0, description="How long an open breaker skips its provider before a half-open probe."
    )
    breaker_hang_s: float = Field(
        default=4.0,
        gt=0,
        description="A call that waits this long while its provider answers nothing at all counts as a timeout "
        "(opens the breaker); raise it for models that legitimately think longer at low traffic.",
    )
    breaker_probe_timeout_s: float = Field(
        default=2.0, gt=0, description="Timeout of the one half-open probe call that may close a breaker."
    )

    # --- model providers -----------------------------------------------------------
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    catalog_path: Path | None = Field(default=None, description="Model catalog TOML overriding the built-in one.")
    backend: str = Field(default="auto", description="auto | local | llm")
    provider_timeout_s: float = 30.0
    provider_max_retries: int = 2
    shared_prompt_prefix: bool = Field(
        default=True,
        description="Lay every agent's prompt out behind one shared prefix (all tools, the business's shared "
        "context) where the cache plan finds it cheaper; false: each agent sends only its own tools and instructions.",
    )
    verified_streaming: bool = Field(
        default=True,
        description="On the model path, send each sentence that makes no checkable claim as soon as it is "
        "generated and hold claims (amounts, times, bookings, payments, promises) until verified; false: "
        "send the whole reply after verification.",
    )
    cache_diagnostics: bool = Field(
        default=True,
        description="Ask Anthropic's cache diagnostics why a request could not reuse the previous one's prompt "
        "prefix; a changed model, system prompt or tool list is logged as model.cache_miss (warning).",
    )
    cache_plan_calls_per_hour: float = Field(
        default=1200.0,
        gt=0,
        description="Expected model calls per hour across all agents; the cache plan uses it to decide which "
        "prompt-cache breakpoints repay their write cost on each model (logged at start-up as cache.plan).",
    )

    # --- routing -------------------------------------------------------------------
    router_model_path: Path | None = None
    router_min_confidence: float = Field(
        default=0.3,
        description="Below this top-class probability the router says out_of_scope. CLINC150's validation "
        "split preferred no threshold at all (the trained out_of_scope class alone); 0.3 only catches "
        "near-uniform guesses.",
    )
    router_reask_below: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="On models (a provider key set): a routing verdict whose confidence is below this is "
        "re-asked of a tier-1 model, recorded in model_calls like every call (step `classification`); "
        "when the model fails or answers no vertical, the local verdict stands. 0 never re-asks.",
    )
    router_reask_timeout_s: float = Field(
        default=3.0, gt=0, description="How long a routing re-ask may take before the local verdict stands."
    )
    difficulty_model_path: Path | None = None
    difficulty_threshold: float = 0.5
    flow_first: bool = Field(
        default=False,
        description="On the model path, turns of the agents the business marks `flow_first` are answered by "
        "their deterministic flow with no model call (the `flow-first` policy; evals report it next to `routed`).",
    )
    flow_tier0: bool = Field(
        default=True,
        description="On the model path, the routed policy answers easy turns (below `difficulty_threshold`) of "
        "the agents whose flow was measured reliable on a held-out split (the agents module's "
        "`flow_reliability.json`) with that flow, no model call. Off: every turn goes to a model.",
    )
    verifier_min_confidence: float = 0.5
    logprob_threshold: float = Field(
        default=0.7, description="Mean token probability below which a step is escalated (models with logprobs)."
    )
    verifier_judge: bool = Field(default=False, description="Ask a tier-1 model judge after the verifier's rules.")

    # --- logging -------------------------------------------------------------------
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR (CALLCENTER_LOG_LEVEL).")
    log_json: bool = Field(default=False, description="One JSON object per log line (CALLCENTER_LOG_JSON=true).")
    log_file: Path | None = Field(
        default=None,
        description="Append logs to this file instead of stderr (`callcenter chat` defaults to "
        "data_dir/logs/chat.log so logs never land inside the conversation).",
    )

    # --- lifecycle -----------------------------------------------------------------
    drain_s: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="On SIGTERM/Ctrl-C, how long in-flight turns may take to finish before sockets close (1012).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: arguments, environment, .env, then the TOML config file."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, dotenv_settings, toml, file_secret_settings)

    @property
    def demo(self) -> bool:
        """Demo features on: explicitly, or by default on the laptop demo (embedded DB, loopback bind)."""
        if self.demo_mode is not None:
            return self.demo_mode
        return self.demo_automatic or (self.database_url is None and is_loopback(self.host))

    def secret_problem(self) -> str | None:
        """Why the token secret is unfit to serve the public with, in one line; None when it is fine."""
        secret = self.secret.get_secret_value()
        if secret == BUILTIN_SECRET:
            return (
                f"CALLCENTER_SECRET is the built-in development value: set it to at least {MIN_SECRET_BYTES} "
                "random bytes (python -c 'import secrets; print(secrets.token_urlsafe(32))'), or use --demo."
            )
        if len(secret.encode()) < MIN_SECRET_BYTES:
            return (
                f"CALLCENTER_SECRET is {len(secret.encode())} bytes: set it to at least {MIN_SECRET_BYTES} "
                "random bytes (python -c 'import secrets; print(secrets.token_urlsafe(32))'), or use --demo."
            )
        why = predictable(secret.encode())
        if why is not None:
            return (
                f"CALLCENTER_SECRET {why}: set it to at least {MIN_SECRET_BYTES} "
                "random bytes (python -c 'import secrets; print(secrets.token_urlsafe(32))'), or use --demo."
            )
        return None

    @property
    def uses_models(self) -> bool:
        """True when a provider key is configured and the backend is not forced local."""
        if self.backend == "local":
            return False
        has_key = self.anthropic_api_key is not None or self.openai_api_key is not None
        return self.backend == "llm" or has_key
