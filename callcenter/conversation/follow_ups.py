"""Two requests in one message: do the first, queue the second, offer it when the first is done.

"pay my bill and book a repair for my sink" is two jobs for two agents. A flow takes one request
at a time, so the message is cut where a joining word separates two parts that the router sends
to two different agents the business lets queue (`FOLLOW_UP_VERTICALS`); the first part is
answered now and the second waits in the session until the first agent is done.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter.app import App
from callcenter.conversation.memory import Queued
from callcenter.conversation.rules import ruled
from callcenter.providers.client import CallContext
from callcenter.routing.router import Router
from callcenter.types import RouteDecision

# Each part must be this sure of its agent: a fragment the router half-recognises stays unsplit.
SPLIT_CONFIDENCE = 0.5

# English joining words between two requests; the business may give its own (`REQUEST_JOINERS`).
DEFAULT_JOINERS = re.compile(
    r"(?:\s*[,;.]\s*|\s+)(?:and\s+also|and\s+then|as\s+well\s+as|and|also|plus|then)\s+(?=\w)", re.I
)

# "…the gas company came yesterday and sealed the leak": a verb in the past with no subject of its own
# goes on telling one story, it is not a second request (a request after "and" is "book a visit").
_GOES_ON = re.compile(r"[a-z]+ed\b", re.I)


async def split_requests(
    app: App,
    router: Router,
    text: str,
    history: Sequence[tuple[str, str]] = (),
    context: CallContext | None = None,
) -> tuple[str, RouteDecision, Queued] | None:
    """The first request, its route and the second request queued; None when the message asks one thing.

    The first cut whose two sides (two words or more each) go to two different queueable agents
    wins, in the order the customer said them. A message with an emergency in it is never cut: the
    whole of it goes to the emergency agent.
    """
    if not app.follow_up_verticals:
        return None
    joiners = app.request_joiners or DEFAULT_JOINERS
    for m in joiners.finditer(text):
        left, right = text[: m.start()].strip(" ,;"), text[m.end() :].strip(" ,;")
        if len(left.split()) < 2 or len(right.split()) < 2 or _GOES_ON.match(right):
            continue
        first, _ = ruled(app, left, await router.route(left, history, context=context))
        second, _ = ruled(app, right, await router.route(right, history, context=context))
        if first.emergency or second.emergency:
            return None
        if (
            first.vertical != second.vertical
            and first.vertical in app.follow_up_verticals
            and second.vertical in app.follow_up_verticals
            and min(first.confidence, second.confidence) >= SPLIT_CONFIDENCE
        ):
            return left, first, Queued(second.vertical, right)
    return None


def offer_text(app: App, queued: Queued) -> str:
    """What the reply says once the first request is done: the second one, offered in the customer's words."""
    return app.follow_up_offer.format(request=_in_their_words(app, queued.text))


# Said when the first of two requests takes more turns: the second is heard, and comes next.
QUEUED_NOTE = 'I\'ll come back to "{request}" once this is done.'


def queued_note(app: App, text: str) -> str:
    """The second of two requests, said back while the first one's flow goes on."""
    return QUEUED_NOTE.format(request=_in_their_words(app, text))


def _in_their_words(app: App, text: str) -> str:
    said = (app.courtesy(text) if app.courtesy else text) or text
    return said.strip(" ?.!,")
