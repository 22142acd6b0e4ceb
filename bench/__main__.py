"""Run every benchmark in one command: `python -m bench [--quick]`.

Each benchmark prints ratios against a baseline measured in the same run (the machine is
noisy) and writes its figures to bench/out/*.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHES = (
    ("router (CLINC150, Banking77, Bitext)", ["bench.router_bench"]),
    ("difficulty router (RouteLLM MMLU)", ["bench.difficulty_bench"]),
    ("orchestration overhead vs openai-agents Runner", ["bench.overhead_bench"]),
    ("agent desk: operator -> customer latency across two nodes", ["bench.desk_bench"]),
    ("model path: first delta vs final, verified sentence streaming (modelled speed)", ["bench.streaming_bench"]),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller samples, for a smoke run")
    args = parser.parse_args()
    failed = 0
    for i, (title, module) in enumerate(BENCHES, 1):
        print(f"\n[{i}/{len(BENCHES)}] {title}", flush=True)
        extra = ["--quick"] if args.quick and module[0] != "bench.overhead_bench" else []
        if args.quick and module[0] == "bench.overhead_bench":
            extra = ["--turns", "50"]
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", *module, *extra])
        print(f"    ({time.perf_counter() - started:.0f} s, exit {code})", flush=True)
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
