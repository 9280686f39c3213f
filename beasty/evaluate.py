"""Evaluation: an agent against the reference opponents, mirrored deals.

The games are played by the one match loop (:mod:`beasty.match`).  Each
deal is played twice, once from each seat (deal d = seed + d; game 2d
has the agent as player 0, game 2d+1 as player 1), so deal luck and seat
cancel out.  Win rate = wins / games (draws are not wins); the 95 % interval
is Wilson's score interval on that proportion.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from beasty._ext import GameBatch
from beasty.agents import AGENT_NAMES, OPPONENT_NAMES, Agent, SearchAgent, load
from beasty.files import atomic_write
from beasty.match import (
    Actor,
    MatchResult,
    Played,
    derive_seed,
    mirrored_deals,
    play_out,
    shared_pool,
    wilson_interval,
)
from beasty.records import GameRecord, from_game

T = TypeVar("T")

#: What ``record`` may ask for: every game, or those the agent did not win.
RECORD = (None, "all", "losses")


def _margins(
    agent: Agent, opponent: Agent, games: int, seed: int, on_step: Callable[[int], None] | None = None,
    record: str | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], Played, list[GameRecord]]:  # fmt: skip
    """The agent's point margin in each game of the mirrored deals (games
    2d and 2d+1 share deal d), whether it moved first, the games, and the
    records ``record`` asks for."""
    batch, agent_seat = mirrored_deals(games, seed)
    first = batch.start_player == agent_seat
    seat_actor = np.stack([agent_seat, 1 - agent_seat], 1)  # actor 0 (the agent) in agent_seat
    reports: dict[tuple[int, int], dict[str, Any]] = {}
    actors: list[Actor] = [
        _Reporter(a, reports) if record is not None and isinstance(a, SearchAgent) else a.act_batch
        for a in (agent, opponent)
    ]
    on_end = None if on_step is None else (lambda ended: on_step(len(ended)))
    played = play_out(batch, actors, seat_actor, on_end)
    margin = played.margin(agent_seat)
    records = []
    if record is not None:
        about = [{"name": a.name, "settings": dict(getattr(a, "settings", {}))} for a in (agent, opponent)]
        for i in range(games):
            if record == "all" or margin[i] <= 0:
                seats = [about[0], about[1]] if agent_seat[i] == 0 else [about[1], about[0]]
                searches = [reports.get((i, t)) for t in range(int(batch.turn[i]))]
                records.append(from_game(batch, i, seats, derive_seed(seed, i // 2), searches))
    return margin, first, played, records


class _Reporter:
    """A search agent's moves through ``Search.run`` (the same moves as its
    ``act_batch``: the same decision stream), keeping each decision's root
    report for the game records."""

    def __init__(self, agent: SearchAgent, reports: dict[tuple[int, int], dict[str, Any]]) -> None:
        self.agent, self.reports = agent, reports

    def __call__(self, batch: GameBatch, idx: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        actions = np.empty(len(idx), dtype=np.int32)
        for j, i in enumerate(idx):
            found = self.agent.search.run(batch, int(i), self.agent.seed)
            actions[j] = found["action"]
            legal = batch.legal_actions(int(i))
            self.reports[int(i), int(batch.turn[i])] = {
                "value": {str(a): round(float(found["value"][a]), 4) for a in legal if found["visits"][a]},
                "visits": {str(a): int(found["visits"][a]) for a in legal},
            }
        return actions


def deal_scores(agent: Agent, opponent: Agent, games: int, seed: int) -> npt.NDArray[np.float64]:
    """The agent's points (win 1, draw 1/2) per mirrored deal: ``games / 2``
    values in [0, 2], deal d = ``seed + d`` (for ratings bootstrapped over deals)."""
    margin, _, _, _ = _margins(agent, opponent, games, seed)
    points = (margin > 0) + 0.5 * (margin == 0)
    return np.asarray(points.reshape(-1, 2).sum(axis=1), dtype=np.float64)


def play_match(
    agent: Agent,
    opponent: Agent,
    games: int,
    seed: int = 0,
    opponent_name: str | None = None,
    on_step: Callable[[int], None] | None = None,
    record: str | None = None,
) -> MatchResult:
    """Plays ``games`` (even) games on mirrored deals, all in one batch;
    with ``record`` ("all" or "losses") the result keeps those games' records."""
    if record not in RECORD:
        raise ValueError(f"record must be one of {RECORD}, got {record!r}")
    margin, first, played, records = _margins(agent, opponent, games, seed, on_step, record)
    wins = int((margin > 0).sum())
    losses = int((margin < 0).sum())
    return MatchResult(
        opponent=opponent_name or opponent.name,
        games=games,
        wins=wins,
        losses=losses,
        draws=games - wins - losses,
        margin_sum=int(margin.sum()),
        length_sum=int(played.turns.sum()),
        wins_as_first_mover=int((margin[first] > 0).sum()),
        games_as_first_mover=int(first.sum()),
        ci95=wilson_interval(wins, games),
        records=records,
    )


def merge_results(parts: Sequence[MatchResult]) -> MatchResult:
    """One result from the results of disjoint sets of deals."""
    total = MatchResult(parts[0].opponent, 0, 0, 0, 0)
    for r in parts:
        total.games += r.games
        total.wins += r.wins
        total.losses += r.losses
        total.draws += r.draws
        total.margin_sum += r.margin_sum
        total.length_sum += r.length_sum
        total.wins_as_first_mover += r.wins_as_first_mover
        total.games_as_first_mover += r.games_as_first_mover
        total.records += r.records
    total.ci95 = wilson_interval(total.wins, total.games)
    return total


#: Games per opponent at most, and games held in memory at once (a longer
#: match is played in batches of this many; every table of the docs is
#: smaller, so played in one batch as before).
MAX_GAMES = 10**8
BATCH_GAMES = 1 << 16


def _play_deals(
    agent: Agent, opponent: Agent, games: int, seed: int, name: str, record: str | None = None
) -> MatchResult:
    return play_match(agent, opponent, games, seed, name, record=record)


def _play_in_batches(
    agent: Agent, opponent: Agent, games: int, seed: int, name: str, on_step: Callable[[int], None] | None,
    record: str | None = None,
) -> MatchResult:  # fmt: skip
    """play_match over deals ``seed ..``, at most BATCH_GAMES games at a time."""
    if games <= BATCH_GAMES:
        return play_match(agent, opponent, games, seed, name, on_step, record)
    parts = []
    for first in range(0, games, BATCH_GAMES):
        chunk = min(BATCH_GAMES, games - first)
        parts.append(play_match(agent, opponent, chunk, derive_seed(seed, first // 2), name, on_step, record))
    return merge_results(parts)


def check_match(games: int, workers: int) -> None:
    """ValueError unless ``games`` is a positive even count up to MAX_GAMES
    (mirrored deals) and ``workers`` a process count in [1, 256]."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 256:
        raise ValueError(f"workers must be an integer in [1, 256], got {workers!r}")
    if isinstance(games, bool) or not isinstance(games, int) or games <= 0 or games % 2 or games > MAX_GAMES:
        raise ValueError(
            f"games must be a positive even integer (mirrored deals) up to {MAX_GAMES:,}, got {games!r}"
        )


def in_chunks(
    pool: Executor, workers: int, play: Callable[..., T], agent: Agent, opponent: Agent,
    games: int, seed: int, *args: Any, on_part: Callable[[T], None] | None = None,
) -> list[T]:  # fmt: skip
    """``play(agent, opponent, n, chunk_seed, *args)`` over the mirrored
    deals ``seed ..`` in small chunks shared among the pool's ``workers``
    processes (small chunks keep them busy); the parts in deal order."""
    deals = games // 2
    step = max(1, min(50, -(-deals // (4 * workers))))
    futures = [pool.submit(play, agent, opponent, 2 * min(step, deals - d), derive_seed(seed, d), *args)
               for d in range(0, deals, step)]  # fmt: skip
    parts = []
    for future in futures:
        parts.append(future.result())
        if on_part is not None:
            on_part(parts[-1])
    return parts


def head_to_head(
    agent: Agent,
    opponent: Agent,
    games: int,
    seed: int = 0,
    pool: Executor | None = None,
    workers: int = 1,
    on_games: Callable[[int], None] | None = None,
    name: str | None = None,
    record: str | None = None,
) -> MatchResult:
    """``agent`` against ``opponent`` on the mirrored deals ``seed ..
    seed + games/2 - 1``, here or shared among the ``workers`` processes of
    ``pool`` in small chunks (the same result: every decision depends only
    on the agents' seeds and the game).  ``on_games(n)`` hears of finished games."""
    name = name or opponent.name
    if pool is None:
        return _play_in_batches(agent, opponent, games, seed, name, on_games, record)
    on_part = None if on_games is None else (lambda part: on_games(part.games))
    return merge_results(in_chunks(pool, workers, _play_deals, agent, opponent, games, seed, name, record,
                                   on_part=on_part))  # fmt: skip


def evaluate(
    agent: Agent,
    opponents: Iterable[str] = OPPONENT_NAMES,
    games: int = 1000,
    seed: int = 0,
    progress: bool = False,
    workers: int = 1,
    record: str | None = None,
    backend: str = "processes",
    address: str = "",
) -> list[MatchResult]:
    """``agent`` against each opponent (seeded ``seed + k``), on mirrored
    deals ``seed .. seed + games/2 - 1``.  An opponent is anything
    :func:`beasty.agents.load` takes: a name, a ``.npz`` network or a
    ``.pt`` file.

    With ``workers`` > 1 the deals are shared among that many processes
    (spawned, so a script calls this under ``if __name__ == "__main__":``;
    the agent must pickle).  Every C agent's decisions depend only on its
    seed and the game, so the results equal those of one process.  With
    ``backend`` "ray" the deals go to Ray tasks instead (``address``: ""
    for a local Ray with ``workers`` CPUs, or a cluster's), the same results again."""
    specs = list(opponents)
    check_match(games, workers)
    for spec in specs:
        if spec not in AGENT_NAMES and not spec.endswith((".npz", ".pt")):
            raise ValueError(f"unknown opponent {spec!r}; known: {', '.join(AGENT_NAMES)}, .npz, .pt files")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=games * len(specs), desc="evaluating", unit="game", leave=False)
    pool = shared_pool(workers, backend, address)
    results = []
    try:
        for k, spec in enumerate(specs):
            opponent = load(spec, seed=derive_seed(seed, 104729 * (k + 1)))
            if bar is not None:
                bar.set_postfix_str(opponent.name)
            agent.reseed(derive_seed(seed, 7919 * (k + 1)))
            on_games = None if bar is None else bar.update
            results.append(
                head_to_head(agent, opponent, games, seed, pool, workers, on_games, opponent.name, record)
            )
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if bar is not None:
            bar.close()
    return results


def format_table(results: Iterable[MatchResult], title: str | None = None) -> str:
    rows = list(results)
    lines = [title] if title else []
    head = f"{'opponent':<18}{'games':>6}{'W':>6}{'L':>6}{'D':>5}{'win rate':>10}{'95% CI':>17}"
    head += f"{'(W+D/2)/N':>11}{'margin':>8}"
    lines += [head, "-" * len(head)]
    for r in rows:
        lo, hi = r.ci95
        lines.append(
            f"{r.opponent:<18}{r.games:>6}{r.wins:>6}{r.losses:>6}{r.draws:>5}{r.win_rate:>10.3f}"
            f"{f'[{lo:.3f}, {hi:.3f}]':>17}{r.score_rate:>11.3f}{r.mean_margin:>+8.2f}"
        )
    if rows:
        n = sum(r.games for r in rows)
        w = sum(r.wins for r in rows)
        d = sum(r.draws for r in rows)
        lo, hi = wilson_interval(w, n)
        lines.append("-" * len(head))
        lines.append(
            f"{'all':<18}{n:>6}{w:>6}{sum(r.losses for r in rows):>6}{d:>5}{w / n:>10.3f}"
            f"{f'[{lo:.3f}, {hi:.3f}]':>17}{(w + d / 2) / n:>11.3f}"
            f"{sum(r.margin_sum for r in rows) / n:>+8.2f}"
        )
    return "\n".join(lines)


def write_json(path: str, results: Iterable[MatchResult], meta: dict[str, object] | None = None) -> None:
    """Writes the results atomically (temp file + rename)."""
    payload = {"meta": meta or {}, "results": [r.to_dict() for r in results]}
    atomic_write(path, json.dumps(payload, indent=2).encode())
