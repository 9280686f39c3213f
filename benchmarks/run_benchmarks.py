"""Prints the asv benchmark figures without asv: ``python benchmarks/run_benchmarks.py``.

Every figure comes from the same run on the same core, so ratios between
rows are meaningful; absolute figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_engine import Observe, RandomPlay, ScriptedAgents


def best_of(fn, *args, repeat: int = 3) -> float:
    return max(fn(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per figure")
    args = parser.parse_args()
    print(f"{'benchmark':<34}{'batch/opponent':>18}{'rate':>16}")
    for n in RandomPlay.params[0]:
        b = RandomPlay()
        b.setup(n)
        turns = best_of(b.track_turns_per_second, n, repeat=args.repeat)
        games = best_of(b.track_games_per_second, n, repeat=args.repeat)
        print(f"{'random play (turns/s)':<34}{n:>18}{turns:>16,.0f}")
        print(f"{'random play (full games/s)':<34}{n:>18}{games:>16,.0f}")
    for n in Observe.params[0]:
        o = Observe()
        o.setup(n)
        print(f"{'observe+mask (writes/s)':<34}{n:>18}{best_of(o.track_writes_per_second, n):>16,.0f}")
    for kind in ScriptedAgents.params[0]:
        s = ScriptedAgents()
        s.setup(kind)
        rate = best_of(s.track_decisions_per_second, kind, repeat=args.repeat)
        print(f"{'scripted agent (decisions/s)':<34}{kind:>18}{rate:>16,.0f}")


if __name__ == "__main__":
    main()
