"""Model providers: one small interface over Anthropic, OpenAI and OpenAI-compatible servers.

The orchestrator imports from here only (ModelClient, ModelRequest, ...); no SDK type
crosses this boundary.
"""

from __future__ import annotations

from callcenter.providers.base import (
    CallRecorder,
    ChatMessage,
    ModelCallRecord,
    ModelInfo,
    ModelRequest,
    ModelResponse,
    PriceEntry,
    Provider,
    ProviderError,
    ToolCallRequest,
)
from callcenter.providers.cache_plan import CachePlan
from callcenter.providers.catalog import Catalog, CatalogError
from callcenter.providers.client import AllProvidersFailed, CallContext, ModelClient
from callcenter.providers.cost import cost_usd, frontier_cost_usd
from callcenter.settings import Settings

__all__ = [
    "AllProvidersFailed",
    "CallContext",
    "CallRecorder",
    "Catalog",
    "CatalogError",
    "ChatMessage",
    "ModelCallRecord",
    "ModelClient",
    "ModelInfo",
    "ModelRequest",
    "ModelResponse",
    "PriceEntry",
    "Provider",
    "ProviderError",
    "ToolCallRequest",
    "build_providers",
    "cost_usd",
    "frontier_cost_usd",
]


def build_providers(
    settings: Settings, catalog: Catalog | None = None, *, cache_plan: CachePlan | None = None
) -> dict[str, Provider]:
    """Providers for the configured keys: `anthropic` with ANTHROPIC_API_KEY, `openai` with
    OPENAI_API_KEY (each at its base URL when set), and `openai_compatible` when the catalog
    enables a model of that provider. `cache_plan` lays requests out per model (see
    providers/cache_plan.py). The SDK modules are imported only here."""
    from callcenter.providers.anthropic_provider import AnthropicProvider
    from callcenter.providers.openai_provider import COMPATIBLE, OpenAIProvider

    timeout = settings.provider_timeout_s
    providers: dict[str, Provider] = {}
    if settings.anthropic_api_key is not None:
        providers["anthropic"] = AnthropicProvider(
            api_key=settings.anthropic_api_key.get_secret_value(),
            base_url=settings.anthropic_base_url,
            timeout_s=timeout,
            cache_plan=cache_plan,
            cache_diagnostics=settings.cache_diagnostics,
        )
    if settings.openai_api_key is not None:
        providers["openai"] = OpenAIProvider(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url,
            timeout_s=timeout,
            cache_plan=cache_plan,
        )
    catalog = catalog or Catalog.load(settings.catalog_path)
    if any(m.provider == COMPATIBLE and m.enabled for m in catalog.models):
        providers[COMPATIBLE] = OpenAIProvider(api_key=None, timeout_s=timeout, name=COMPATIBLE, cache_plan=cache_plan)
    return providers
