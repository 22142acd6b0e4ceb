"""Two requests in one message: do the first, queue the second, offer it when the first is done.

"pay my bill and book a repair for my sink" is two jobs for two agents. A flow takes one request
at a time, so the message is cut where a joining word separates two parts that the router sends
to two different agents the business lets queue (`FOLLOW_UP_VERTICALS`); the first part is
answered now and the second waits in the session until the first agent is done.

Each cut tried routes both sides and reads them with the business's rules, so the cuts are bounded
(CALLCENTER_SPLIT_MAX_CUTS) and a long side is read in a worker thread (red team 3, R9: "cancel
appointment #7 and reschedule #8" pasted 50 times had 50 cuts tried, ~2.4 s of CPU on the event loop
in one turn, 10 s of the turn's time).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter.app import App
from callcenter.conversation.memory import Queued
from callcenter.conversation.off_loop import read_long
from callcenter.conversation.rules import ruled
from callcenter.providers.client import CallContext
from callcenter.routing.router import Router
from callcenter.types import RouteDecision

# Cuts tried per message unless the caller says otherwise (Settings.split_max_cuts): people join two or
# three requests, never dozens.
DEFAULT_MAX_CUTS = 4

# Each part must be this sure of its agent: a fragment the router half-recognises stays unsplit.
SPLIT_CONFIDENCE = 0.5

# English joining words between two requests; the business may give its own (`REQUEST_JOINERS`).
DEFAULT_JOINERS = re.compile(
    r"(?:\s*[,;.]\s*|\s+)(?:and\s+also|and\s+then|as\s+well\s+as|and|also|plus|then)\s+(?=\w)", re.I
)

# "…the gas company came yesterday and sealed the leak": a verb in the past with no subject of its own
# goes on telling one story, it is not a second request (a request after "and" is "book a visit").
_GOES_ON = re.compile(r"[a-z]+ed\b", re.I)
# "my neighbor smokes on his balcony and it comes in my window": a side that starts by pointing back at the
# first ("it", "that", "which") says more about it, it asks nothing new.
_POINTS_BACK = re.compile(r"(?:it|it'?s|its|that|that'?s|which|this)\s", re.I)


async def split_requests(
    app: App,
    router: Router,
    text: str,
    history: Sequence[tuple[str, str]] = (),
    context: CallContext | None = None,
    *,
    max_cuts: int = DEFAULT_MAX_CUTS,
) -> tuple[str, RouteDecision, Queued] | None:
    """The first request, its route and the second request queued; None when the message asks one thing.

    The first cut whose two sides (two words or more each) go to two different queueable agents
    wins, in the order the customer said them. A message with an emergency in it is never cut: the
    whole of it goes to the emergency agent. At most `max_cuts` cuts are tried.
    """
    if not app.follow_up_verticals or max_cuts < 1:
        return None
    joiners = app.request_joiners or DEFAULT_JOINERS
    tried = 0
    for m in joiners.finditer(text):
        left, right = text[: m.start()].strip(" ,;"), text[m.end() :].strip(" ,;")
        if len(left.split(None, 2)) < 2 or len(right.split(None, 2)) < 2 or _GOES_ON.match(right):
            continue
        if _POINTS_BACK.match(right):
            continue
        if tried == max_cuts:
            return None
        tried += 1
        first, _ = await read_long(left, ruled, app, left, await router.route(left, history, context=context))
        second, _ = await read_long(right, ruled, app, right, await router.route(right, history, context=context))
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
