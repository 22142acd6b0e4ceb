"""The model catalog: models, tiers and dated prices, loaded from TOML data.

Prices change more often than code does, so they live in `callcenter/catalog.toml` and an
operator's override file (Settings.catalog_path / CALLCENTER_CATALOG_PATH) rather than in
constants. Amounts are parsed straight to Decimal so no price ever passes through a float.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from callcenter.providers.base import ModelInfo, PriceEntry
from callcenter.types import Tier

BUILTIN_PATH = Path(__file__).resolve().parents[1] / "catalog.toml"

_PRICE_FIELDS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


class CatalogError(ValueError):
    """The catalog file is malformed; the message names the model and field."""


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise CatalogError(f"{where}: expected a number, got {value!r}")
    return Decimal(value)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise CatalogError(f"{where}: expected a date, got {value!r}")


def _price(raw: Mapping[str, Any], where: str) -> PriceEntry:
    if "input" not in raw or "output" not in raw:
        raise CatalogError(f"{where}: a price entry needs input and output")
    values = {f: _decimal(raw.get(f, 0), f"{where}.{f}") for f in _PRICE_FIELDS}
    return PriceEntry(effective_from=_date(raw.get("effective_from", date.min), f"{where}.effective_from"), **values)


def _model(model_id: str, raw: Mapping[str, Any]) -> ModelInfo:
    where = f"models.{model_id}"
    for key in ("provider", "tier", "prices"):
        if key not in raw:
            raise CatalogError(f"{where}: missing {key}")
    prices = tuple(_price(p, f"{where}.prices[{i}]") for i, p in enumerate(raw["prices"]))
    if not prices:
        raise CatalogError(f"{where}: needs at least one price entry")
    read_on = raw.get("prices_read_on")
    return ModelInfo(
        id=model_id,
        provider=str(raw["provider"]),
        model=str(raw.get("model", model_id)),
        tier=Tier(int(raw["tier"])),
        prices=prices,
        min_cacheable_tokens=int(raw.get("min_cacheable_tokens", 0)),
        logprobs=bool(raw.get("logprobs", False)),
        prices_read_on=_date(read_on, f"{where}.prices_read_on") if read_on is not None else None,
        base_url=raw.get("base_url"),
        enabled=bool(raw.get("enabled", True)),
        supports_temperature=bool(raw.get("supports_temperature", True)),
        reasoning_effort=raw.get("reasoning_effort"),
        api_key_env=raw.get("api_key_env"),
    )


def _merge(base: dict[str, dict[str, Any]], override: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Override models key by key; a model only in the override is added."""
    merged = {k: dict(v) for k, v in base.items()}
    for model_id, fields in override.items():
        merged.setdefault(model_id, {}).update(fields)
    return merged


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelInfo, ...]

    @classmethod
    def from_toml(cls, text: str) -> Catalog:
        """A catalog from override TOML text (merged over the built-in one unless it opts out)."""
        return cls._from_data(tomllib.loads(text, parse_float=Decimal), base_path=BUILTIN_PATH)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Catalog:
        """The built-in catalog with the operator's override (argument, else Settings) on top."""
        if path is None:
            from callcenter.settings import Settings

            path = Settings().catalog_path
        if path is None:
            return cls._from_data({}, base_path=BUILTIN_PATH)
        return cls._from_data(_read(Path(path)), base_path=BUILTIN_PATH)

    @classmethod
    def _from_data(cls, data: Mapping[str, Any], *, base_path: Path | None) -> Catalog:
        raw_models: dict[str, dict[str, Any]] = {}
        if base_path is not None and data.get("inherit_builtin", True):
            raw_models = dict(_read(base_path).get("models", {}))
        raw_models = _merge(raw_models, data.get("models", {}))
        return cls(tuple(_model(mid, raw) for mid, raw in raw_models.items()))

    def get(self, model_id: str) -> ModelInfo:
        """A model by catalog id (or, failing that, by API model id)."""
        for m in self.models:
            if m.id == model_id:
                return m
        for m in self.models:
            if m.model == model_id:
                return m
        raise KeyError(f"unknown model {model_id!r}")

    def enabled(self) -> list[ModelInfo]:
        return [m for m in self.models if m.enabled]

    def models_for(self, tier: Tier, providers_available: Iterable[str]) -> list[ModelInfo]:
        """Enabled models of `tier` whose provider has a client, in catalog order (= preference)."""
        available = set(providers_available)
        return [m for m in self.enabled() if m.tier == tier and m.provider in available]

    def frontier_for(self, provider: str) -> ModelInfo:
        """The tier-3 model of `provider`: what "every step on frontier" would have used.

        Providers without a frontier model (a local server) are compared with the first
        frontier model in the catalog, since that is what the step would otherwise run on.
        """
        frontier = [m for m in self.models if m.tier == Tier.FRONTIER]
        for m in frontier:
            if m.provider == provider and m.enabled:
                return m
        for m in frontier:
            if m.provider == provider:
                return m
        if not frontier:
            raise KeyError("the catalog has no tier-3 model")
        enabled = [m for m in frontier if m.enabled]
        return (enabled or frontier)[0]
