from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from callcenter_tools.knowledge import load_index, search, search_knowledge_base, tokenize
from pydantic import ValidationError

from callcenter.tooling.toolkit import ToolContext


def test_handbook_sections_cover_the_topics() -> None:
    ids = {a.id for a in load_index().articles}
    for topic in (
        "office-hours-and-contact",
        "emergency-maintenance-line",
        "pet-policy",
        "parking",
        "move-out-and-security-deposit",
        "rent-due-dates-and-late-fees",
        "payment-methods",
        "maintenance-requests",
        "quiet-hours-and-noise",
        "package-room",
        "guest-policy",
        "amenities",
        "lease-renewal",
        "pest-control",
    ):
        assert topic in ids
    assert load_index() is load_index()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("can I keep a dog", "pet-policy"),
        ("when is rent due", "rent-due-dates-and-late-fees"),
        ("where do I pick up packages", "package-room"),
        ("I smell gas", "emergency-maintenance-line"),
        ("getting my deposit back when I move out", "move-out-and-security-deposit"),
        ("how late can my neighbors play music", "quiet-hours-and-noise"),
        ("cockroaches in kitchen", "pest-control"),
        ("what payment methods do you accept", "payment-methods"),
        ("what time does the pool open", "swimming-pool"),
        ("is there a gym?", "fitness-center-gym"),
        ("how do I pay rent?", "payment-methods"),
        ("when is rent due?", "rent-due-dates-and-late-fees"),
        ("what's the parking fee?", "parking"),
        ("I have bed bugs", "pest-control"),
    ],
)
def test_search_ranks_the_right_section_first(query: str, expected: str) -> None:
    hits = search(query, 3)
    assert hits and hits[0]["id"] == expected
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_title_and_adjacent_words_outweigh_scattered_hits() -> None:
    # "open" and "hours" fill the office section; the pool section is the one named.
    pool, office = (
        next(h for h in search("what time does the pool open", 5) if h["id"] == i)
        for i in ("swimming-pool", "office-hours-and-contact")
    )
    assert pool["score"] > office["score"] * 1.5
    assert tokenize("gyms pools") == ["gym", "pool"]


def test_search_nothing_and_limits() -> None:
    assert search("xylophone quantum", 3) == []
    assert len(search("rent fee parking pet", 5)) == 5
    assert tokenize("The Pets are Parking") == ["pet", "park"]
    with pytest.raises(ValidationError):
        search_knowledge_base.parse({"query": "x" * 301})
    with pytest.raises(ValidationError):
        search_knowledge_base.parse({"query": "pets", "limit": 6})


async def test_tool_needs_no_customer_or_db() -> None:
    ctx = ToolContext(
        conn=None,
        session_id=str(uuid.uuid4()),
        customer_id=None,
        now=datetime(2031, 1, 1, tzinfo=UTC),
    )
    out = await search_knowledge_base.fn(ctx, search_knowledge_base.parse({"query": "guest stay", "limit": 1}))
    assert [a["id"] for a in out["articles"]] == ["guest-policy"]
