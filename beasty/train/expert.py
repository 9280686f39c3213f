"""Expert iteration: a small network learns from the search, then guides it.

Each generation, the search (the rollout champion's settings; from the
second generation on guided by the previous network: PUCT prior and leaf
value)
plays games against itself and against a pool of opponents.  At each of its
decisions that is not forced we keep the mover's observation, the legal
mask and the search's root visit distribution (a one-hot of the solver's
move when the endgame was solved exactly), and once the game ends its
result for that mover.  The flat policy network (``encoder: flat``, the
same shape as csrc/net.h's) is trained on the last ``window`` generations'
positions: cross-entropy to the visit distribution, squared error to the
result.  Each generation's network is
written as ``<out>/expert-<generation>.npz`` (beasty.agents.guided), with
``metrics.csv`` beside it.

    beasty expert --out runs/expert --set generations=6
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from beasty._ext import NUM_ACTIONS, OBS_DIM, GameBatch
from beasty.agents import AGENT_NAMES, OPPONENT_NAMES, SearchAgent, make
from beasty.agents.guided import NetworkFileError, read_network, save_network
from beasty.agents.search import ROLLOUT_CHAMPION_SETTINGS
from beasty.files import check_writable
from beasty.match import Actor, derive_seed, play_out, worker_pool
from beasty.policy.network import NetworkConfig, PolicyValueNet, c_weights, load_c_weights, masked_logits

Floats = npt.NDArray[np.float32]


class ExpertConfigError(ValueError):
    """A bad expert-iteration setting."""


@dataclass
class ExpertConfig:
    generations: int = 4
    """Rounds of (play, train)."""
    games: int = 6000
    """Games played per generation."""
    simulations: int = 400
    """The search's budget per decision while playing."""
    hidden: int = 64
    """Width of the network's two hidden layers."""
    self_play: float = 0.5
    """Share of the games the search plays against itself."""
    opponents: Sequence[str] = field(default_factory=lambda: [*OPPONENT_NAMES, "ismcts"])
    """The pool for the other games, one drawn per game."""
    value_weight: float = 1.0
    """The guided search's leaf value: this share from the network, the rest from a rollout."""
    exploration: float = 1.5
    """PUCT's constant in the guided search."""
    window: int = 2
    """Generations of positions the network trains on."""
    epochs: int = 8
    batch_size: int = 512
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    value_loss_weight: float = 1.0
    seed: int = 0
    workers: int = 2
    """Processes playing the games."""
    start_from: str | None = None
    """A network file to go on from (same ``hidden``): generation 1 is already guided by it."""

    def check(self) -> None:
        def positive_int(name: str, upper: int) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
                raise ExpertConfigError(f"{name} must be an integer in [1, {upper}], got {value!r}")

        for name, upper in (
            ("generations", 1000), ("games", 10**7), ("simulations", 100_000), ("hidden", 512),
            ("window", 1000), ("epochs", 1000), ("batch_size", 1 << 20), ("workers", 256),
        ):  # fmt: skip
            positive_int(name, upper)
        for name, low, high in (
            ("self_play", 0.0, 1.0), ("value_weight", 0.0, 1.0), ("exploration", 0.0, 100.0),
            ("learning_rate", 1e-8, 1.0), ("weight_decay", 0.0, 1.0), ("value_loss_weight", 0.0, 100.0),
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ExpertConfigError(f"{name} must be a number in [{low}, {high}], got {value!r}")
        if isinstance(self.opponents, str) or not all(isinstance(o, str) for o in self.opponents):
            raise ExpertConfigError("opponents must be a list of agent names")
        unknown = [o for o in self.opponents if o not in AGENT_NAMES or o == "ppo"]
        if unknown or (not self.opponents and self.self_play < 1.0):
            raise ExpertConfigError(
                f"opponents must be agent names other than ppo, got {list(self.opponents)!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**64:
            raise ExpertConfigError(f"seed must be an integer in [0, 2**64), got {self.seed!r}")
        if self.start_from is not None and not isinstance(self.start_from, str):
            raise ExpertConfigError(f"start_from must be a network file's path, got {self.start_from!r}")


def make_config(overrides: dict[str, Any]) -> ExpertConfig:
    known = {f.name for f in dataclasses.fields(ExpertConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ExpertConfigError(f"unknown setting {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    cfg = ExpertConfig(**overrides)
    cfg.check()
    return cfg


def search_settings(cfg: ExpertConfig, network: str | None) -> dict[str, Any]:
    """The searcher's settings: the rollout champion's at the generation
    budget, guided by ``network`` (prior and leaf value) when there is one."""
    settings = {**ROLLOUT_CHAMPION_SETTINGS, "simulations": cfg.simulations}
    if network is not None:
        settings.update(
            network=network, use_prior=True, exploration=cfg.exploration, value_weight=cfg.value_weight
        )
    return settings


# ------------------------------------------------------------------ playing
@dataclass
class Positions:
    """What the search saw and decided, one row per recorded decision."""

    obs: npt.NDArray[np.float32]
    mask: npt.NDArray[np.bool_]
    target: npt.NDArray[np.float32]
    """The search's root visit distribution (the solver's move, one-hot)."""
    result: npt.NDArray[np.float32]
    """The game's result for the mover: +1, 0 or -1."""

    def __len__(self) -> int:
        return len(self.result)

    @staticmethod
    def concatenate(parts: Sequence[Positions]) -> Positions:
        columns = (np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Positions))
        return Positions(*columns)


class _Recorder:
    """A match-loop actor: the search's move in each game, and its targets."""

    def __init__(self, agent: SearchAgent) -> None:
        self.agent = agent
        self.rows: list[tuple[Floats, npt.NDArray[np.uint8], Floats, int, int]] = []
        """(observation, legal mask, target, game, mover) per recorded decision"""

    def __call__(self, batch: GameBatch, idx: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        obs, mask = batch.observe(idx)
        movers = batch.to_move[idx]
        actions = np.empty(len(idx), dtype=np.int32)
        for j, i in enumerate(idx):
            found = self.agent.search.run(batch, int(i), self.agent.seed)
            actions[j] = found["action"]
            if mask[j].sum() < 2:
                continue  # a forced move teaches nothing
            if found["solved"]:
                target = np.zeros(NUM_ACTIONS, dtype=np.float32)
                target[found["action"]] = 1.0
            else:
                target = found["visits"].astype(np.float32) / found["visits"].sum()
            self.rows.append((obs[j], mask[j], target, int(i), int(movers[j])))
        return actions


def play_games(
    settings: dict[str, Any], opponents: Sequence[str], self_play: float, games: int, seed: int
) -> Positions:
    """``games`` games (deals seeded from ``seed``) of the search against
    itself or an opponent drawn from ``opponents``; its decisions' positions."""
    rng = np.random.default_rng(seed)
    recorder = _Recorder(SearchAgent("expert", seed=derive_seed(seed, 1), **settings))
    pool = [make(name, seed=derive_seed(seed, 2 + k)) for k, name in enumerate(opponents)]
    actors: list[Actor] = [recorder, *(agent.act_batch for agent in pool)]
    batch = GameBatch(games, auto_reset=False)
    for i in range(games):
        batch.reset_game(i, derive_seed(seed, 1_000_003 * (i + 1)))
    seat_actor = np.zeros((games, 2), dtype=np.int32)
    against = rng.random(games) >= self_play
    if against.any():
        opponent_seat = rng.integers(0, 2, games)
        picks = 1 + rng.integers(0, len(pool), games)
        rows = np.flatnonzero(against)
        seat_actor[rows, opponent_seat[rows]] = picks[rows]
    played = play_out(batch, actors, seat_actor)
    if not recorder.rows:
        return Positions(
            np.zeros((0, OBS_DIM), np.float32), np.zeros((0, NUM_ACTIONS), bool),
            np.zeros((0, NUM_ACTIONS), np.float32), np.zeros(0, np.float32),
        )  # fmt: skip
    obs, mask, target, game, mover = (np.array(column) for column in zip(*recorder.rows, strict=True))
    seat_zero_ahead = np.sign(played.margin(np.zeros(games, dtype=np.int32)))
    result = (seat_zero_ahead[game] * np.where(mover == 0, 1, -1)).astype(np.float32)
    return Positions(obs, mask.astype(bool), target, result)


def generate(cfg: ExpertConfig, network: str | None, seed: int) -> Positions:
    """One generation's games, shared among ``cfg.workers`` processes."""
    settings = search_settings(cfg, network)
    chunk = max(1, min(100, -(-cfg.games // (4 * cfg.workers))))
    starts = range(0, cfg.games, chunk)
    shares = [(derive_seed(seed, start), min(chunk, cfg.games - start)) for start in starts]
    args = (settings, list(cfg.opponents), cfg.self_play)
    if cfg.workers == 1:
        return Positions.concatenate([play_games(*args, n, s) for s, n in shares])
    with worker_pool(cfg.workers) as pool:
        futures = [pool.submit(play_games, *args, n, s) for s, n in shares]
        return Positions.concatenate([f.result() for f in futures])


# ----------------------------------------------------------------- training
def losses(net: PolicyValueNet, data: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy to the visit distribution over the legal actions, and
    the value's squared error."""
    logits, value = net(data["obs"])
    logp = torch.log_softmax(masked_logits(logits, data["mask"]), dim=-1)
    policy_loss = -(data["target"] * logp).sum(-1).mean()
    value_loss = ((value - data["result"]) ** 2).mean()
    return policy_loss, value_loss


def fit(
    net: PolicyValueNet, positions: Positions, cfg: ExpertConfig, generator: torch.Generator
) -> dict[str, float]:
    """Trains ``net`` on ``positions`` (5 % held out); the final losses."""
    tensors = {f.name: torch.from_numpy(getattr(positions, f.name)) for f in dataclasses.fields(Positions)}
    order = torch.randperm(len(positions), generator=generator)
    held = max(1, len(positions) // 20)
    valid = {k: v[order[:held]] for k, v in tensors.items()}
    train = {k: v[order[held:]] for k, v in tensors.items()}
    n = len(order) - held
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    for _ in range(cfg.epochs):  # one permutation per epoch, walked in minibatches
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, cfg.batch_size):
            batch = {k: v[perm[start : start + cfg.batch_size]] for k, v in train.items()}
            policy_loss, value_loss = losses(net, batch)
            optimizer.zero_grad()
            (policy_loss + cfg.value_loss_weight * value_loss).backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    with torch.no_grad():
        train_policy, train_value = losses(net, train)
        valid_policy, valid_value = losses(net, valid)
    return {
        "train_policy_loss": float(train_policy), "train_value_loss": float(train_value),
        "valid_policy_loss": float(valid_policy), "valid_value_loss": float(valid_value),
    }  # fmt: skip


# --------------------------------------------------------------------- loop
def run_expert(cfg: ExpertConfig, out: str | Path) -> Path:
    """Expert iteration (module docstring); the last network's path."""
    cfg.check()
    out = Path(out)
    check_writable(out, folder=True)
    if (out / "metrics.csv").exists() or any(out.glob("expert-*.npz")):
        raise ExpertConfigError(f"{out} already holds an expert run; choose another folder (or start_from)")
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    net = PolicyValueNet(NetworkConfig(encoder="flat", hidden_dim=cfg.hidden))
    history: list[Positions] = []
    network: str | None = None
    if cfg.start_from is not None:
        try:
            weights, hidden, _ = read_network(cfg.start_from)
        except NetworkFileError as e:
            raise ExpertConfigError(f"start_from: {e}") from e
        if hidden != cfg.hidden:
            raise ExpertConfigError(f"start_from has hidden={hidden}, the settings hidden={cfg.hidden}")
        load_c_weights(net, weights)
        network = cfg.start_from
    metrics_path = out / "metrics.csv"
    for generation in range(1, cfg.generations + 1):
        start = time.perf_counter()
        positions = generate(cfg, network, derive_seed(cfg.seed, 7_000_003 * generation))
        play_seconds = time.perf_counter() - start
        history = [*history, positions][-cfg.window :]
        start = time.perf_counter()
        row: dict[str, Any] = fit(net, Positions.concatenate(history), cfg, generator)
        row = {
            "generation": generation,
            "guided": network is not None,
            "positions": len(positions),
            "play_seconds": round(play_seconds, 1),
            "decisions_per_second": round(len(positions) / play_seconds, 1),
            "train_seconds": round(time.perf_counter() - start, 1),
            **{k: round(v, 5) for k, v in row.items()},
        }
        path = out / f"expert-{generation}.npz"
        about = {**dataclasses.asdict(cfg), "generation": generation, "opponents": list(cfg.opponents), **row}
        save_network(path, c_weights(net), cfg.hidden, about)
        network = str(path)
        with metrics_path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(row))
            if f.tell() == 0:
                writer.writeheader()
            writer.writerow(row)
        print(", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    assert network is not None
    return Path(network)
