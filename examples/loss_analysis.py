"""Where does the champion lose?  Record its games against an opponent that
plans (the shipped ``ppo`` network by default) with the champion's own
search reports, then, in the games it did not win:

- follow the champion's value of the move it chose from one of its
  decisions to the next, and tabulate where that value dropped (by turn,
  by the species the champion played, by the species the opponent answered
  with): the surprises;
- review its moves with the same search at ten times the budget and count
  the moves marked as clearly worse than the best.

    python examples/loss_analysis.py --games 400 --workers 2

The same by hand: ``beasty eval --agent champion --opponents ppo --games 400
--record-losses losses.jsonl``, then ``beasty review losses.jsonl``.
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict

from beasty.agents import make
from beasty.evaluate import evaluate
from beasty.records import replay
from beasty.review import review_game
from beasty.rules import ACTIONS


def _table(title: str, drops: dict[str, list[float]]) -> None:
    print(f"\n{title:<18}{'steps':>7}{'mean drop':>11}{'drops > 0.5':>13}")
    for key in sorted(drops, key=lambda k: -sum(drops[k])):
        values = drops[key]
        big = sum(v > 0.5 for v in values)
        print(f"{key:<18}{len(values):>7}{sum(values) / len(values):>11.3f}{big:>13}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opponent", default="ppo")
    parser.add_argument("--games", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--review", type=int, default=40, help="games to review at ten times the budget")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    (result,) = evaluate(make("champion"), [args.opponent], args.games, args.seed, workers=args.workers,
                         record="losses")  # fmt: skip
    print(f"champion against {args.opponent}: {result.wins}/{result.losses}/{result.draws} (W/L/D) "
          f"of {result.games}; {len(result.records)} games not won")  # fmt: skip
    by_turn, by_mine, by_theirs = defaultdict(list), defaultdict(list), defaultdict(list)
    for record in result.records:
        seat = [p["name"] for p in record.players].index("champion")
        states = replay(record)
        valued = {t: s["value"][str(record.actions[t])] for t, s in enumerate(record.searches)
                  if s is not None and states[t].to_move == seat and str(record.actions[t]) in s["value"]}
        for k, t in itertools.pairwise(sorted(valued)):  # a forced move has no value: skipped
            drop = valued[k] - valued[t]
            by_turn[f"turns {4 * (k // 4) + 1:>2}-{4 * (k // 4) + 4:>2}"].append(drop)
            by_mine[ACTIONS[record.actions[k]].species.name.lower()].append(drop)
            by_theirs[ACTIONS[record.actions[k + 1]].species.name.lower()].append(drop)
    _table("by turn", by_turn)
    _table("champion played", by_mine)
    _table("opponent answered", by_theirs)
    reviewer = make("champion", simulations=25_000)
    marked = decisions = 0
    for record in result.records[: args.review]:
        seat = [p["name"] for p in record.players].index("champion")
        reviews = review_game(record, reviewer, seed=args.seed, players=(seat,), repeats=2)
        decisions += len(reviews)
        marked += sum(r.marked for r in reviews)
    print(f"\nreviewed at 25,000 simulations: {marked} of {decisions} champion decisions marked "
          f"in {min(args.review, len(result.records))} games")  # fmt: skip


if __name__ == "__main__":
    main()
