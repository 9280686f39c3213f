"""asv benchmarks of the search (csrc/search.c), one process, one core.

Speed: decisions per second and milliseconds per decision of the champion's
search (guided by the shipped network) and of the same search with scripted
rollouts and no network (``rollout_champion``), at several budgets each,
over a fixed set of positions from every phase of the game.  Strength:
their win rates against outcome_heuristic at those budgets (mirrored deals;
slow, so asv runs it once per case): the side-by-side at equal time.
"""

import time

import numpy as np

from beasty._ext import GameBatch
from beasty.agents import make
from beasty.evaluate import play_match

#: simulations per decision, spanning about 1 to 20 ms for each search
#: (2500 is the champion's, 1500 the rollout champion's); the first
#: champion at its budget, to time reading a planner's hand
BUDGETS = {
    "champion": [200, 800, 2500, 5000],
    "champion_v1": [2500],
    "rollout_champion": [100, 300, 1500, 3000],
}
CASES = [f"{agent}@{sims}" for agent, budgets in BUDGETS.items() for sims in budgets]


def agent_for(case: str):
    """The search agent of a case ``name@simulations``."""
    name, sims = case.split("@")
    return make(name, simulations=int(sims))
POSITIONS = 48
STRENGTH_GAMES = 2000  # the figure docs/SEARCH.md reports; asv: `track_win_rate_vs_outcome`


def positions(count: int = POSITIONS, seed: int = 0) -> tuple[GameBatch, np.ndarray]:
    """Running positions at every turn 0..23 alike, as a game has them (the
    last third, with both piles empty, are solved exactly), from games
    between two scripted players."""
    games = GameBatch(count, seed=seed, auto_reset=False)
    players = (make("heuristic", seed=1), make("outcome_heuristic", seed=2))
    target = np.arange(count) % 24
    while True:
        running = np.flatnonzero(~games.done & (games.turn < target)).astype(np.int32)
        if not len(running):
            break
        acts = np.array(
            [players[int(games.to_move[i])].act(games, int(i)) for i in running], dtype=np.int32
        )
        games.step(acts, running)
    return games, np.flatnonzero(~games.done).astype(np.int32)


class SearchSpeed:
    """The searches on a fixed set of positions."""

    params = [CASES]
    param_names = ["search"]
    timeout = 600

    def setup(self, case):
        self.agent = agent_for(case)
        self.games, self.idx = positions()

    def time_decisions(self, case):
        self.agent.act_batch(self.games, self.idx)

    def track_decisions_per_second(self, case):
        t0 = time.perf_counter()
        self.agent.act_batch(self.games, self.idx)
        return len(self.idx) / (time.perf_counter() - t0)

    track_decisions_per_second.unit = "decisions/s"

    def track_ms_per_decision(self, case):
        t0 = time.perf_counter()
        self.agent.act_batch(self.games, self.idx)
        return 1e3 * (time.perf_counter() - t0) / len(self.idx)

    track_ms_per_decision.unit = "ms"


#: Network shapes (width x depth, r = residual) timed by NetworkForward and,
#: guiding the champion's search, by GuidedSearchSpeed: the first champion's,
#: today's and larger ones.
NETWORK_SHAPES = ["64x1", "96x2r", "128x2r", "128x3r", "192x2r", "256x2r"]


def network_of(shape: str):
    """A network of ``shape`` with random weights (timing only)."""
    from beasty._ext import Network, network_size

    width, depth = shape.rstrip("r").split("x")
    weights = np.random.default_rng(0).normal(0.0, 0.05, network_size(int(width), int(depth)))
    return Network(weights.astype(np.float32), int(width), int(depth), shape.endswith("r"))


class NetworkForward:
    """The C forward pass (csrc/net.c) of a network of each shape, one
    position at a time over the benchmark positions' observations."""

    params = [NETWORK_SHAPES]
    param_names = ["shape"]
    repeat = 5

    def setup(self, shape):
        self.network = network_of(shape)
        games, idx = positions()
        self.obs = np.repeat(games.observe(idx)[0], 100, axis=0)

    def track_microseconds_per_position(self, shape):
        t0 = time.perf_counter()
        self.network.forward(self.obs)
        return 1e6 * (time.perf_counter() - t0) / len(self.obs)

    track_microseconds_per_position.unit = "us"


#: The guided search's budgets timed: the champion's, and less.
GUIDED_BUDGETS = [1000, 2500]


class GuidedSearchSpeed:
    """The champion's search guided by a network of each shape, at its 2,500
    simulations and at 1,000: what a bigger network costs per decision."""

    params = [NETWORK_SHAPES, GUIDED_BUDGETS]
    param_names = ["shape", "simulations"]
    timeout = 600

    def setup(self, shape, simulations):
        import tempfile
        from pathlib import Path

        from beasty.agents.guided import save_network

        self.folder = tempfile.TemporaryDirectory()
        path = save_network(Path(self.folder.name) / f"{shape}.npz", network_of(shape))
        self.agent = make("champion", network=str(path), simulations=simulations)
        self.games, self.idx = positions()

    def teardown(self, shape, simulations):
        self.folder.cleanup()

    def track_ms_per_decision(self, shape, simulations):
        t0 = time.perf_counter()
        self.agent.act_batch(self.games, self.idx)
        return 1e3 * (time.perf_counter() - t0) / len(self.idx)

    track_ms_per_decision.unit = "ms"


class SearchStrength:
    """Win rate against outcome_heuristic by search and budget (STRENGTH_GAMES games)."""

    params = [CASES]
    param_names = ["search"]
    timeout = 7200
    number = 1
    repeat = 1

    def track_win_rate_vs_outcome(self, case):
        return play_match(agent_for(case), make("outcome_heuristic", seed=1), STRENGTH_GAMES, seed=0).win_rate

    track_win_rate_vs_outcome.unit = "win rate"
