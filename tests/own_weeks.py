"""Weeks of their own for the booking tests that share the run's database.

The `pool` database is shared by every test of a run, and a booking search offers any free slot of
the day asked, whoever created it. Tests that drew their week at random (one of 2000) met another
test's slot on the same morning in about one CI run in five (thirty draws in a module already give
those birthday odds), and the test then saw an opening it never made. Each module takes its weeks
one after another from an era of its own, so within a run no two tests share a day, and the weeks a
test has not reached yet hold no one's slots; the era's first week varies from run to run, so the
calendar under the tests (month ends, daylight-saving changes) still does.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta


class OwnWeeks:
    """Mondays 9:00 from `first` on, `apart` weeks apart (a test's slots reach that far), never at or
    after `until` (the next era, another module's)."""

    def __init__(self, first: datetime, until: datetime, *, apart: int) -> None:
        if first.weekday() != 0 or (first.hour, first.minute) != (9, 0):
            raise ValueError(f"{first} is not a Monday 9:00")
        self._first, self._until, self._apart = first, until, apart
        era = (until - first) // timedelta(weeks=apart)
        self._offsets = itertools.count(random.randrange(0, max(1, era // 4)) * apart, apart)

    def next_monday(self) -> datetime:
        """The next Monday 9:00 no test of this run has used."""
        monday = self._first + timedelta(weeks=next(self._offsets))
        if monday + timedelta(weeks=self._apart) > self._until:
            raise RuntimeError(f"weeks from {self._first:%Y} ran into the next era ({self._until:%Y-%m-%d})")
        return monday
