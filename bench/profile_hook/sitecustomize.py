"""cProfile (CPU time) inside a node that `python -m bench.server_cpu --profile FILE` starts.

Python imports `sitecustomize` at start-up from the path; the bench puts this directory on the
node's PYTHONPATH and sends SIGUSR1 before the measured turns (profiling on) and SIGUSR2 after
(profiling off, stats written to $CALLCENTER_BENCH_PROFILE). Nothing here runs in a deployment.
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from types import FrameType

if os.environ.get("CALLCENTER_BENCH_PROFILE") and "serve" in sys.argv:
    _profile = cProfile.Profile(time.process_time)

    def _on(signum: int, frame: FrameType | None) -> None:
        _profile.enable()

    def _off(signum: int, frame: FrameType | None) -> None:
        _profile.disable()
        _profile.dump_stats(os.environ["CALLCENTER_BENCH_PROFILE"])

    signal.signal(signal.SIGUSR1, _on)
    signal.signal(signal.SIGUSR2, _off)
