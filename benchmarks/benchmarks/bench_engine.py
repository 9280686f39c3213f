"""asv benchmarks of the batch engine (one process, one core).

``time_*`` methods time a fixed number of batch steps; ``track_*`` methods
report the rate itself (turns, games or writes per second) so that asv
records the figure the issue targets ask for.
"""

import time

import numpy as np

from beasty._ext import NUM_ACTIONS, OBS_DIM, GameBatch, Rng
from beasty.agents import OPPONENT_NAMES, make

STEPS = 200  # batch steps per timed call
OBS_CALLS = 200


def _play(games: GameBatch, rng: Rng, steps: int) -> int:
    finished = 0
    for _ in range(steps):
        _, dones, _ = games.step(games.random_actions(rng))
        finished += int(dones.sum())
    return finished


class RandomPlay:
    """Random agent (in C) vs itself through GameBatch.random_actions + step."""

    params = [[1, 64, 1024, 8192]]
    param_names = ["batch"]

    def setup(self, n):
        self.games = GameBatch(n, seed=0)
        self.rng = Rng(1)
        self.steps = max(20, STEPS * 64 // n) if n > 64 else STEPS
        _play(self.games, self.rng, 5)

    def time_random_play(self, n):
        _play(self.games, self.rng, self.steps)

    def track_turns_per_second(self, n):
        t0 = time.perf_counter()
        _play(self.games, self.rng, self.steps)
        return n * self.steps / (time.perf_counter() - t0)

    track_turns_per_second.unit = "turns/s"

    def track_games_per_second(self, n):
        t0 = time.perf_counter()
        finished = _play(self.games, self.rng, self.steps)
        return finished / (time.perf_counter() - t0)

    track_games_per_second.unit = "games/s"


class Observe:
    """Observation + legal-mask writes into preallocated buffers."""

    params = [[1, 64, 1024, 8192]]
    param_names = ["batch"]

    def setup(self, n):
        self.games = GameBatch(n, seed=0)
        _play(self.games, Rng(2), 7)
        self.obs = np.zeros((n, OBS_DIM), dtype=np.float32)
        self.mask = np.zeros((n, NUM_ACTIONS), dtype=np.uint8)
        self.calls = max(20, OBS_CALLS * 64 // n) if n > 64 else OBS_CALLS

    def time_observe(self, n):
        for _ in range(self.calls):
            self.games.observe(obs=self.obs, mask=self.mask)

    def track_writes_per_second(self, n):
        t0 = time.perf_counter()
        for _ in range(self.calls):
            self.games.observe(obs=self.obs, mask=self.mask)
        return n * self.calls / (time.perf_counter() - t0)

    track_writes_per_second.unit = "writes/s"

    def track_masks_per_second(self, n):
        """The legal mask alone (GameBatch.legal_masks), no observation."""
        t0 = time.perf_counter()
        for _ in range(self.calls):
            self.games.legal_masks(mask=self.mask)
        return n * self.calls / (time.perf_counter() - t0)

    track_masks_per_second.unit = "masks/s"


class ScriptedAgents:
    """Each reference opponent deciding for 1024 mid-game positions at once
    (one-ply lookahead on the C engine)."""

    params = [list(OPPONENT_NAMES)]
    param_names = ["opponent"]

    def setup(self, name):
        self.games = GameBatch(1024, seed=0)
        _play(self.games, Rng(3), 9)
        self.agent = make(name, seed=4)
        self.idx = np.arange(1024, dtype=np.int32)

    def time_decide(self, name):
        self.agent.act_batch(self.games, self.idx)

    def track_decisions_per_second(self, name):
        t0 = time.perf_counter()
        for _ in range(5):
            self.agent.act_batch(self.games, self.idx)
        return 5 * 1024 / (time.perf_counter() - t0)

    track_decisions_per_second.unit = "decisions/s"
