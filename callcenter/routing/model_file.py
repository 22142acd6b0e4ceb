"""Model files of the local models: one safe `.npz` format, one reader, one writer, one cache.

Arrays plus one JSON metadata string, loaded with `allow_pickle=False`, so a model file can
never execute code; the metadata names the model kind and the format version it was written with.
"""

from __future__ import annotations

import json
import os
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import structlog

log = structlog.get_logger(__name__)

FORMAT_VERSION = 1


def write_model(path: str | Path, meta: dict[str, Any], arrays: dict[str, Any]) -> Path:
    """Save `arrays` and `meta` (plus format and version, which `meta` must carry) to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed into place: processes starting together (a supervisor's workers, parallel
    # test workers) share one cache, and a reader must find the whole old file or the whole new one.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    try:
        with partial.open("wb") as fh:
            np.savez_compressed(fh, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def read_model(
    path: str | Path, expected_format: str, *, kind: str, train_command: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The metadata and arrays of a model file, checked to be `expected_format` at this build's version.

    A missing file names the `kind` of model and the command that trains one.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{kind} model {path} not found: train one with `{train_command}`")
    with np.load(path, allow_pickle=False) as data:
        meta: dict[str, Any] = json.loads(str(data["meta"]))
        if meta.get("format") != expected_format:
            raise ValueError(f"{path} is not a {expected_format} model (format={meta.get('format')!r})")
        if int(meta.get("version", -1)) != FORMAT_VERSION:
            raise ValueError(
                f"{path} has model format version {meta.get('version')}, this build reads {FORMAT_VERSION}: retrain it"
            )
        arrays = {name: np.asarray(data[name]) for name in data.files if name != "meta"}
    return meta, arrays


class _Saveable(Protocol):
    def save(self, path: str | Path) -> Path: ...


M = TypeVar("M", bound=_Saveable)


def load_or_train(path: Path, load: Callable[[Path], M], train: Callable[[], M]) -> M:
    """The model cached at `path`, or a freshly trained one saved there for the next start.

    A damaged cache is retrained; a read-only directory only costs the save.
    """
    if path.exists():
        try:
            return load(path)
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # BadZipFile: a truncated file
            log.warning("model.cache_unreadable", path=str(path), error=str(exc))
    # Said before, not only after: on a first start training is the longest silent step (a minute
    # on a busy 2-core box), and an operator staring at a quiet terminal thinks it hung.
    log.info("model.training", model=path.stem, hint="first start only: the result is cached for the next one")
    model = train()
    try:
        model.save(path)
    except OSError as exc:
        log.warning("model.cache_write_failed", path=str(path), error=str(exc))
    return model
