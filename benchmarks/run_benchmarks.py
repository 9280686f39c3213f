"""Prints the asv benchmark figures without asv: ``python benchmarks/run_benchmarks.py``.

Every figure comes from the same run on the same core, so ratios between
rows are meaningful; absolute figures depend on the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_engine import Observe, RandomPlay, ScriptedAgents
from benchmarks.bench_search import (
    CASES,
    GUIDED_BUDGETS,
    NETWORK_SHAPES,
    GuidedSearchSpeed,
    NetworkForward,
    SearchSpeed,
    agent_for,
)


def best_of(fn, *args, repeat: int = 3) -> float:
    return max(fn(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per figure")
    parser.add_argument(
        "--strength",
        type=int,
        default=0,
        metavar="GAMES",
        help="also play each search at each budget against outcome_heuristic (GAMES mirrored games)",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes for --strength")
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
        print(f"{'legal mask alone (masks/s)':<34}{n:>18}{best_of(o.track_masks_per_second, n):>16,.0f}")
    try:
        from benchmarks.bench_envs import VectorEnvSpeed
    except ImportError:  # pragma: no cover - without the gym extra
        VectorEnvSpeed = None
    for n in VectorEnvSpeed.params[0] if VectorEnvSpeed is not None else ():
        v = VectorEnvSpeed()
        v.setup(n)
        rate = best_of(v.track_steps_per_second, n, repeat=args.repeat)
        print(f"{'gym vector env vs random (steps/s)':<34}{n:>18}{rate:>16,.0f}")
    for kind in ScriptedAgents.params[0]:
        s = ScriptedAgents()
        s.setup(kind)
        rate = best_of(s.track_decisions_per_second, kind, repeat=args.repeat)
        print(f"{'scripted agent (decisions/s)':<34}{kind:>18}{rate:>16,.0f}")
    from benchmarks.bench_train import TrainIteration, UpdateOnDevice

    has_torch = importlib.util.find_spec("torch") is not None  # the train extra
    for background, encoder in itertools.product(*TrainIteration.params) if has_torch else ():
        t = TrainIteration()
        t.setup(background, encoder)
        label = f"{encoder}, {background} busy"
        for name, track in (
            ("generation", t.track_generation_decisions_per_second),
            ("update", t.track_update_decisions_per_second),
            ("whole loop", t.track_decisions_per_second),
        ):
            rate = best_of(track, background, encoder, repeat=args.repeat)
            print(f"{f'PPO iteration {name} (dec/s)':<34}{label:>18}{rate:>16,.0f}")
        t.teardown(background, encoder)
    for size, device in itertools.product(*UpdateOnDevice.params) if has_torch else ():
        u = UpdateOnDevice()
        try:
            u.setup(size, device)
        except NotImplementedError:
            continue  # no GPU here
        rate = best_of(u.track_update_decisions_per_second, size, device, repeat=args.repeat)
        print(f"{'PPO update on the device (dec/s)':<34}{f'{size}, {device}':>18}{rate:>16,.0f}")
        u.teardown(size, device)
    for shape in NETWORK_SHAPES:
        forward = NetworkForward()
        forward.setup(shape)
        us = min(forward.track_microseconds_per_position(shape) for _ in range(args.repeat))
        print(f"{'network forward (us/position)':<34}{shape:>18}{us:>16.2f}")
        for simulations in GUIDED_BUDGETS:
            guided = GuidedSearchSpeed()
            guided.setup(shape, simulations)
            ms = min(guided.track_ms_per_decision(shape, simulations) for _ in range(args.repeat))
            guided.teardown(shape, simulations)
            print(f"{f'champion guided, {simulations} (ms/dec)':<34}{shape:>18}{ms:>16.2f}")
    ms_per_decision = {}
    for case in CASES:
        b = SearchSpeed()
        b.setup(case)
        ms_per_decision[case] = min(b.track_ms_per_decision(case) for _ in range(args.repeat))
        rate = 1e3 / ms_per_decision[case]
        print(f"{'search (decisions/s)':<34}{case:>18}{rate:>16,.1f}")
        print(f"{'search (ms/decision)':<34}{case:>18}{ms_per_decision[case]:>16.2f}")
    if args.strength:
        from beasty.evaluate import evaluate

        print(f"\nagainst outcome_heuristic, {args.strength} mirrored games per search and budget")
        print(f"{'search':>22}{'ms/decision':>13}{'win rate':>10}{'95% CI':>17}{'W/L/D':>16}")
        for case in CASES:
            r = evaluate(agent_for(case), ["outcome_heuristic"], args.strength, workers=args.workers)[0]
            lo, hi = r.ci95
            print(f"{case:>22}{ms_per_decision[case]:>13.2f}{r.win_rate:>10.3f}{f'[{lo:.3f}, {hi:.3f}]':>17}"
                  f"{f'{r.wins}/{r.losses}/{r.draws}':>16}", flush=True)

if __name__ == "__main__":
    main()
