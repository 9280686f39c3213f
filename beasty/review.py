"""Review: a search looks at every decision of a recorded game and marks the
moves whose value falls short of the best move's by a clear margin.

At each decision with a choice the reviewing search (the champion's by
default) runs from the mover's seat: it sees what the mover saw (their own
hand, the public table, the history) and nothing hidden.  It runs
``repeats`` times with different seeds; each move's value is the mean of
its root values over the runs, and its uncertainty the spread of those
values between runs (the standard error of their mean).  A move is marked
when the best move's value exceeds the played move's by more than
``margin`` plus twice the standard error of that difference, or when no
run looked at the played move at all (its prior ruled it out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from beasty._ext import GameBatch
from beasty.agents import SearchAgent, load
from beasty.play.narrate import action_label
from beasty.records import GameRecord, replay

#: The least gap in value that counts as a mistake, before the uncertainty.
MARGIN = 0.1


@dataclass
class MoveReview:
    move: int
    """The move's index in the game (0 = the first card played)."""
    player: int
    played: int
    played_label: str
    played_value: float | None
    """None when the search never looked at the move."""
    played_visits: int
    best: int
    best_label: str
    best_value: float
    best_visits: int
    threshold: float
    """How far below the best the played move's value must be to be marked."""
    marked: bool

    @property
    def gap(self) -> float | None:
        return None if self.played_value is None else self.best_value - self.played_value


def review_game(record: GameRecord, agent: str | SearchAgent = "champion", seed: int = 0,
                margin: float = MARGIN, players: tuple[int, ...] = (0, 1),
                repeats: int = 4) -> list[MoveReview]:  # fmt: skip
    """Reviews each decision of ``players`` in ``record`` (module docstring);
    ``agent`` is the reviewing search: a name or file, or a SearchAgent."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 2 <= repeats <= 64:
        raise ValueError(f"repeats must be an integer in [2, 64], got {repeats!r}")
    reviewer = agent if isinstance(agent, SearchAgent) else load(agent, seed=seed)
    if not isinstance(reviewer, SearchAgent):
        raise ValueError(f"the reviewer must be a search agent (champion, a .npz network...), got {agent!r}")
    states = replay(record)
    out = []
    games = GameBatch(1, auto_reset=False)
    for t, action in enumerate(record.actions):
        state = states[t]
        if state.to_move not in players:
            continue
        games.set_state(0, state)
        if len(games.legal_actions(0)) < 2:
            continue  # a forced move is no decision
        runs = [reviewer.search.run(games, 0, seed + k) for k in range(repeats)]
        visits = np.sum([r["visits"] for r in runs], axis=0)
        values = np.array([r["value"] for r in runs])  # NaN where a run did not visit the move
        seen = np.isfinite(values)
        mean = np.where(seen.any(0), np.nansum(values, 0) / np.maximum(seen.sum(0), 1), np.nan)
        spread = np.array([np.std(values[seen[:, a], a], ddof=1) if seen[:, a].sum() > 1 else 1.0
                           for a in range(values.shape[1])])  # fmt: skip
        error = spread / np.sqrt(np.maximum(seen.sum(0), 1))
        best = max((a for a in range(len(visits)) if seen[:, a].all()), key=lambda a: (mean[a], visits[a]))
        if seen[:, action].any():
            threshold = margin + 2.0 * math.hypot(error[best], error[action])
            marked = mean[best] - mean[action] > threshold
        else:
            threshold, marked = math.inf, True
        out.append(MoveReview(
            t, state.to_move, action, action_label(state, action, state.to_move),
            float(mean[action]) if seen[:, action].any() else None, int(visits[action]),
            best, action_label(state, best, state.to_move), float(mean[best]), int(visits[best]),
            threshold, bool(marked and best != action),
        ))  # fmt: skip
    return out


def format_review(record: GameRecord, reviews: list[MoveReview]) -> str:
    names = [p["name"] for p in record.players]
    lines = [f"{names[0]} (seat 0) {record.scores[0]} - {record.scores[1]} {names[1]} (seat 1); "
             f"marked moves: {sum(r.marked for r in reviews)} of {len(reviews)} decisions"]  # fmt: skip
    head = f"{'move':>4}  {'player':<14}{'played':<40}{'value':>7}  {'best':<40}{'value':>7}{'gap':>7}"
    lines += [head, "-" * len(head)]
    for r in reviews:
        value = "-" if r.played_value is None else f"{r.played_value:+.2f}"
        gap = "-" if r.gap is None else f"{r.gap:+.2f}"
        best = "" if r.best == r.played else r.best_label
        best_value = "" if r.best == r.played else f"{r.best_value:+.2f}"
        mark = "  ?!" if r.marked else ""
        lines.append(f"{r.move + 1:>4}  {names[r.player]:<14}{r.played_label[:38]:<40}{value:>7}  "
                     f"{best[:38]:<40}{best_value:>7}{gap:>7}{mark}")  # fmt: skip
    return "\n".join(lines)
