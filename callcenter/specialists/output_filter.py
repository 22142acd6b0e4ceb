"""No reply names another customer: other customers' names, places, emails and phones are removed.

A model can be talked into (or simply make up a reply with) another customer's details: "your
neighbour Jordan Lee in Harbor View 2C, jordan.lee@example.com". The verifier checks claims
against tool results, not privacy, so this filter runs on every reply, chat and voice, after the
verifier and before anything is sent or stored. It is a lookup, not a guess: only details that
belong to a customer other than the session's own are removed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
_UNIT = re.compile(r"\b(?:unit|apt\.?|apartment|suite)\s*#?\s*([0-9]{1,4}[A-Za-z]?)\b", re.IGNORECASE)

NAME = "[another {noun}]"  # the business's CUSTOMER_NOUN ("[another customer]" by default)
UNIT = "[another unit]"
EMAIL = "[email withheld]"
PHONE = "[phone withheld]"
DIRECTORY_TTL_S = 60.0


def _phone_key(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    return digits[-10:] if len(digits) >= 7 else None


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer's identifying details; `building` and `unit` are the customer's place (docs/architecture.md)."""

    id: int
    name: str
    email: str
    phone: str | None
    building: str
    unit: str


@dataclass
class Directory:
    """Every customer's identifying details, indexed for lookups while scanning a reply."""

    customers: dict[int, Customer]
    names: dict[str, set[int]] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    phones: dict[str, set[int]] = field(default_factory=dict)
    places: dict[tuple[str, str], set[int]] = field(default_factory=dict)  # (building, unit)
    units: dict[str, set[int]] = field(default_factory=dict)
    buildings: set[str] = field(default_factory=set)
    name_mark: str = NAME.format(noun="customer")

    @classmethod
    def of(cls, customers: Iterable[Customer], noun: str = "customer") -> Directory:
        d = cls({r.id: r for r in customers}, name_mark=NAME.format(noun=noun))
        for r in d.customers.values():
            d.names.setdefault(" ".join(_WORD.findall(r.name.lower())), set()).add(r.id)
            d.emails[r.email.lower()] = r.id
            if r.phone and (key := _phone_key(r.phone)):
                d.phones.setdefault(key, set()).add(r.id)
            d.places.setdefault((r.building.lower(), r.unit.lower()), set()).add(r.id)
            d.units.setdefault(r.unit.lower(), set()).add(r.id)
            d.buildings.add(r.building.lower())
        return d


@dataclass(frozen=True, slots=True)
class Scrubbed:
    text: str
    removed: tuple[str, ...]  # kinds removed ("name", "unit", "email", "phone"), for the log


def _others(ids: set[int] | None, own: int | None) -> bool:
    return bool(ids) and own not in ids  # type: ignore[operator]


def scrub_reply(text: str, own: int | None, directory: Directory) -> Scrubbed:
    """`text` with other customers' details replaced; `own` is the session's customer (None: anonymous)."""
    spans: list[tuple[int, int, str, str]] = []
    for m in _EMAIL.finditer(text):
        owner = directory.emails.get(m.group(0).lower())
        if owner is not None and owner != own:
            spans.append((m.start(), m.end(), EMAIL, "email"))
    for m in _PHONE.finditer(text):
        key = _phone_key(m.group(0))
        if key and _others(directory.phones.get(key), own):
            spans.append((m.start(), m.end(), PHONE, "phone"))
    words = list(_WORD.finditer(text))
    lowered = [w.group(0).lower() for w in words]
    for i in range(len(words)):
        for n in (3, 2):
            if i + n > len(words):
                continue
            key = " ".join(lowered[i : i + n])
            if _others(directory.names.get(key), own):
                spans.append((words[i].start(), words[i + n - 1].end(), directory.name_mark, "name"))
    own_place = directory.customers.get(own) if own is not None else None
    for building in directory.buildings:  # "Harbor View 2C", "Harbor View, unit 2C"
        pattern = re.escape(building) + r"[\s,]*(?:unit|apt\.?|apartment)?\s*#?\s*([0-9]{1,4}[a-z]?)\b"
        for m in re.finditer(pattern, text, re.IGNORECASE):
            place = (building, m.group(1).lower())
            if _others(directory.places.get(place), own):
                spans.append((m.start(), m.end(), UNIT, "unit"))
    for m in _UNIT.finditer(text):  # "unit 2C" alone: another customer's unit unless it is the customer's own
        unit = m.group(1).lower()
        if own_place is not None and unit == own_place.unit.lower():
            continue
        if _others(directory.units.get(unit), own):
            spans.append((m.start(), m.end(), UNIT, "unit"))
    if not spans:
        return Scrubbed(text, ())
    out: list[str] = []
    pos = 0
    kinds: list[str] = []
    for start, end, replacement, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(replacement)
        kinds.append(kind)
        pos = end
    out.append(text[pos:])
    return Scrubbed("".join(out), tuple(kinds))


class OutputFilter:
    """The directory, read from the customers table and refreshed every DIRECTORY_TTL_S.

    `noun` is what the business calls its customers (`CUSTOMER_NOUN`): a removed name reads "[another patient]"
    where CUSTOMER_NOUN is "patient" and "[another customer]" by default.
    """

    def __init__(self, pool: asyncpg.Pool, ttl_s: float = DIRECTORY_TTL_S, *, noun: str = "customer") -> None:
        self.pool = pool
        self.ttl_s = ttl_s
        self.noun = noun
        self._directory: Directory | None = None
        self._loaded_at = 0.0

    async def directory(self) -> Directory:
        if self._directory is None or time.monotonic() - self._loaded_at > self.ttl_s:
            rows = await self.pool.fetch("SELECT id, full_name, email, phone, building, unit FROM customers")
            self._directory = Directory.of(
                (Customer(r["id"], r["full_name"], r["email"], r["phone"], r["building"], r["unit"]) for r in rows),
                noun=self.noun,
            )
            self._loaded_at = time.monotonic()
        return self._directory

    async def scrub(self, text: str, own: int | None) -> Scrubbed:
        return scrub_reply(text, own, await self.directory())
