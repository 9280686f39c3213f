"""The one match loop: mirrored deals and the turn loop that every game
player uses (evaluation, training, the environments).

A game's two seats are each played by an *actor*: a callable ``actor(batch,
idx) -> actions`` choosing for the games ``idx`` of ``batch``, whose mover
it plays (an agent's ``act_batch``, or a learner that records what it saw).
Each turn the running games are split by the actor whose seat is to move,
every actor is asked once for its games, and all of them step together.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from beasty._ext import GameBatch

IntArray = npt.NDArray[np.int32]
Actor = Callable[[GameBatch, IntArray], npt.ArrayLike]


def one_thread_per_worker() -> None:
    """For worker processes (and actors) that play games: the workers are
    the parallelism, so torch and the BLAS libraries keep to one thread in
    each instead of one per core.  The variables cover a torch imported
    later (when an agent is unpickled), the call one imported already."""
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


#: Where workers play: local processes or Ray tasks (beasty.distributed).
BACKENDS = ("processes", "ray")


def worker_pool(workers: int, backend: str = "processes", address: str = "") -> Executor:
    """``workers`` spawned processes for playing games, each on one thread
    (:func:`one_thread_per_worker`; spawn, so a script calls it under
    ``if __name__ == "__main__":``), or with ``backend`` "ray" Ray tasks
    (``address`` as :func:`beasty.distributed.start_ray` takes it)."""
    if backend == "ray":
        try:
            from beasty.distributed import RayExecutor  # the one path that imports ray
        except ImportError as e:
            raise ValueError(f"backend ray needs Ray: pip install 'beasty[ray]' ({e})") from e
        try:
            return RayExecutor(workers, address, initializer=one_thread_per_worker)
        except (ConnectionError, RuntimeError) as e:  # as train.trainer.make_generator says it
            raise ValueError(f"ray address {address!r}: cannot start or reach Ray: {e}") from e
    if address:
        raise ValueError(f"an address ({address!r}) is for backend ray, not {backend!r}")
    if backend != "processes":
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=context, initializer=one_thread_per_worker)


def shared_pool(workers: int, backend: str = "processes", address: str = "") -> Executor | None:
    """:func:`worker_pool` where the work is shared (more than one worker,
    or Ray); None where it is played here, in this process."""
    return worker_pool(workers, backend, address) if workers > 1 or backend == "ray" else None


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class MatchResult:
    """Outcome of ``games`` games of an agent against one opponent."""

    opponent: str
    games: int
    wins: int
    losses: int
    draws: int
    margin_sum: int = 0
    length_sum: int = 0
    wins_as_first_mover: int = 0
    games_as_first_mover: int = 0
    ci95: tuple[float, float] = field(default=(0.0, 1.0))
    records: list[Any] = field(default_factory=list, repr=False, compare=False)
    """The games' records (beasty.records.GameRecord) when asked for."""

    @property
    def win_rate(self) -> float:
        return self.wins / self.games if self.games else 0.0

    @property
    def score_rate(self) -> float:
        """(wins + draws / 2) / games."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.0

    @property
    def mean_margin(self) -> float:
        return self.margin_sum / self.games if self.games else 0.0

    @property
    def mean_length(self) -> float:
        return self.length_sum / self.games if self.games else 0.0

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {k: v for k, v in asdict(self).items() if k != "records"}
        d.update(
            win_rate=self.win_rate,
            score_rate=self.score_rate,
            mean_margin=self.mean_margin,
            mean_length=self.mean_length,
            ci95=list(self.ci95),
        )
        return d


def derive_seed(seed: int, offset: int) -> int:
    """A seed derived from a user's seed, which may be as large as 2**64 - 1."""
    return (seed + offset) % 2**64


def mirrored_deals(games: int, seed: int) -> tuple[GameBatch, npt.NDArray[np.int32]]:
    """A batch of ``games`` (even) games where games 2d and 2d+1 share the deal
    ``seed + d`` (modulo 2**64); returns it with the seat (0/1) the agent
    takes in each."""
    return mirrored_group_deals([(games, seed)])


def mirrored_group_deals(groups: Sequence[tuple[int, int]]) -> tuple[GameBatch, npt.NDArray[np.int32]]:
    """One batch holding, one group after the other, the games that
    :func:`mirrored_deals` deals for each ``(games, seed)`` of ``groups``."""
    seeds: list[int] = []
    for games, seed in groups:
        if isinstance(games, bool) or not isinstance(games, int) or games <= 0 or games % 2:
            raise ValueError(f"games must be a positive even integer (mirrored deals), got {games!r}")
        seeds += [derive_seed(seed, d) for d in range(games // 2) for _mirror in (0, 1)]
    batch = GameBatch(len(seeds), auto_reset=False)
    batch.reset_games(np.arange(len(seeds), dtype=np.int32), np.array(seeds, dtype=np.uint64))
    return batch, np.tile(np.array([0, 1], dtype=np.int32), len(seeds) // 2)


@dataclass
class Played:
    """What :func:`play_out` saw: final bar points ``[n, 2]`` and turns
    played ``[n]`` of every game."""

    scores: npt.NDArray[np.int32]
    turns: npt.NDArray[np.int32]

    def margin(self, seat: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
        """Final points of ``seat[i]`` minus its opponent's, per game."""
        games = np.arange(len(seat))
        points = self.scores.astype(np.int64)
        return points[games, seat] - points[games, 1 - seat]


def play_out(
    batch: GameBatch,
    actors: Sequence[Actor],
    seat_actor: npt.NDArray[np.integer],
    on_end: Callable[[IntArray], None] | None = None,
) -> Played:
    """Plays every game of ``batch`` (no auto-reset) to its end.

    ``seat_actor[i, p]`` is the index in ``actors`` of who plays seat p of
    game i (the same actor may play both seats, as in self-play).
    ``on_end(idx)`` hears of the games that just ended."""
    n = len(batch)
    seat_actor = np.asarray(seat_actor)
    if seat_actor.shape != (n, 2) or seat_actor.dtype.kind not in "iu":
        raise ValueError(f"seat_actor must be an integer array of shape ({n}, 2), got {seat_actor.shape}")
    if n and not (0 <= seat_actor.min() and seat_actor.max() < len(actors)):
        raise ValueError(f"seat_actor names an actor outside 0..{len(actors) - 1}")
    if batch.auto_reset:
        raise ValueError("play_out needs a batch without auto_reset: finished games must stay finished")
    scores = batch.scores()
    turns = batch.turn
    done = batch.done
    while not done.all():
        running = np.flatnonzero(~done).astype(np.int32)
        who = seat_actor[running, batch.to_move[running]]
        parts = [running[who == k] for k in range(len(actors))]
        idx = np.concatenate(parts)
        chosen = [
            np.asarray(act(batch, part), dtype=np.int32)
            for act, part in zip(actors, parts, strict=True)
            if len(part)
        ]
        actions = np.concatenate(chosen)
        _, ended, final = batch.step(actions, idx)
        if ended.any():
            over = idx[ended]
            scores[over] = final[ended]
            turns[over] = batch.turn[over]
            done[over] = True
            if on_end is not None:
                on_end(over)
    return Played(scores, turns)


def play_until_turn(batch: GameBatch, idx: IntArray, seat: IntArray, actor: Actor) -> None:
    """Lets ``actor`` move in the games ``idx`` of ``batch`` until, in each,
    the player ``seat[i]`` (indexed by game) is to move or the game is over:
    the opponent's half of a turn loop, for environments that hand the
    other seat to a learner one decision at a time."""
    while True:
        waiting = idx[~batch.done[idx] & (batch.to_move[idx] != seat[idx])]
        if not len(waiting):
            return
        batch.step(np.asarray(actor(batch, waiting), dtype=np.int32), waiting)
