"""Expert iteration: a network learns from the search, then guides it.

One generation = play, train, gate:

- **play**: the search (the champion's settings at ``simulations``, guided
  by the current best network: PUCT prior and leaf value; the rollout
  champion's search while there is none) plays ``games`` games: a share
  ``self_play`` against itself, the rest against a league drawn per game:
  ``opponents`` (the ten, ``ismcts``, ``ppo``) and, with ``league``, every
  network promoted so far (the search guided by it).  The league's weights
  follow the PPO pool's adaptive rule (``1 - win rate``, at least
  ``min_weight``), so the games go where the search does worst.  The
  searcher's root prior gets Dirichlet noise (``root_noise``).  With
  playout-cap randomisation (``full_search_share`` < 1) only that share of
  its decisions is searched at the full budget and recorded; the rest are
  fast searches (``fast_simulations``) that only move the game on.
- **train**: at each recorded decision that is not forced we keep the
  mover's observation, the legal mask, the root's visit distribution (the
  solver's move, one-hot, when the endgame was solved) and a value target:
  the game's result for the mover, mixed with the search's value of its
  move by ``value_target``.  The flat network (``hidden``, ``depth``,
  ``residual``; csrc/net.h's shape) trains on the last ``window``
  generations' positions (cross-entropy to the visits, squared error to the
  value target) and is written as ``<out>/expert-<generation>.npz``.
- **gate**: the new network's search plays the best network's search
  ``gate_games`` mirrored games at ``gate_simulations`` each; it becomes the
  best only with a score (W + D/2)/N of at least ``gate_threshold``.  Every
  gate is logged with its 95 % interval; ``<out>/best.npz`` is the best.

``metrics.csv`` has a row per generation (time spent playing, training and
gating, losses, the gate); ``state.json`` lets ``beasty expert --out DIR
--resume`` go on after an interruption.

    beasty expert --out runs/expert --set generations=10
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import torch
from pydantic import Field, model_validator

from beasty._ext import NET_MAX_DEPTH, NET_MAX_HIDDEN, NUM_ACTIONS, OBS_DIM, GameBatch
from beasty.agents import AGENT_NAMES, OPPONENT_NAMES, Agent, SearchAgent, make
from beasty.agents.guided import NetworkFileError, read_network, save_network
from beasty.agents.search import CHAMPION_SETTINGS, ROLLOUT_CHAMPION_SETTINGS
from beasty.evaluate import head_to_head
from beasty.files import atomic_write, check_writable
from beasty.match import BACKENDS, Actor, derive_seed, play_out, shared_pool, wilson_interval
from beasty.policy.network import NetworkConfig, PolicyValueNet, c_network, load_c_weights, masked_logits
from beasty.schema import Schema, even, one_of, parse, within
from beasty.train.config import DEVICES, torch_device
from beasty.train.pool import AdaptiveOpponentPool

Floats = npt.NDArray[np.float32]


class ExpertConfigError(ValueError):
    """A bad expert-iteration setting."""


Simulations = Annotated[int, within(1, 100_000)]
Share = Annotated[float, within(0, 1)]


class ExpertConfig(Schema):
    generations: Annotated[int, within(1, 1000)] = 10
    """Rounds of (play, train, gate)."""
    games: Annotated[int, within(1, 10**7)] = 6000
    """Games played per generation."""
    simulations: Simulations = 400
    """The search's budget per recorded decision while playing."""
    hidden: Annotated[int, within(1, NET_MAX_HIDDEN)] = 128
    """Width of the network's hidden layers."""
    depth: Annotated[int, within(1, NET_MAX_DEPTH)] = 2
    """Hidden-to-hidden layers after the input layer."""
    residual: bool = True
    """Each hidden-to-hidden layer adds its input to its output."""
    self_play: Share = 0.4
    """Share of the games the search plays against itself."""
    opponents: list[str] = Field(default_factory=lambda: [*OPPONENT_NAMES, "ismcts", "ppo"])
    """The fixed part of the league (agent names)."""
    league: bool = True
    """Every promoted network joins the league (the search guided by it)."""
    min_weight: Annotated[float, within(1e-6, 1)] = 0.05
    """The adaptive league weights' floor: 1 - win rate, at least this."""
    root_noise: Share = 0.25
    """Share of Dirichlet noise in the searcher's root prior while playing."""
    root_noise_alpha: Annotated[float, within(1e-3, 100)] = 0.3
    """Concentration of that noise."""
    full_search_share: Annotated[float, within(1e-3, 1)] = 1.0
    """Playout-cap randomisation: share of the searcher's decisions searched at full budget and recorded."""
    fast_simulations: Simulations = 100
    """The budget of the other decisions (not recorded)."""
    value_target: Share = 0.0
    """The value target: this share of the search's value of the move played, the rest the game's result."""
    value_weight: Share = 1.0
    """The guided search's leaf value: this share from the network, the rest from a rollout."""
    exploration: Annotated[float, within(0, 100)] = 1.0
    """PUCT's constant in the guided search."""
    window: Annotated[int, within(1, 1000)] = 4
    """Generations of positions the network trains on."""
    epochs: Annotated[int, within(1, 1000)] = 6
    """Passes over the window's positions per generation."""
    batch_size: Annotated[int, within(1, 1 << 20)] = 1024
    """Positions per optimiser step."""
    learning_rate: Annotated[float, within(1e-8, 1)] = 1e-3
    """AdamW's learning rate."""
    weight_decay: Annotated[float, within(0, 1)] = 1e-4
    """AdamW's weight decay."""
    value_loss_weight: Annotated[float, within(0, 100)] = 1.0
    """The value loss's weight beside the policy's cross-entropy."""
    gate_games: Annotated[int, within(0, 10**6), even] = 1000
    """Mirrored games of each gate (even)."""
    gate_simulations: Simulations = 400
    """Both sides' budget in a gate."""
    gate_threshold: Share = 0.55
    """The score (W + D/2)/N a new network needs against the best to replace it."""
    seed: Annotated[int, within(0, 2**64 - 1)] = 0
    """Seeds the deals, the searches and the network's initialisation."""
    workers: Annotated[int, within(1, 256)] = 2
    """Processes (or Ray tasks at once) playing the games."""
    backend: Annotated[str, one_of(BACKENDS)] = "processes"
    """Where the games are played: local processes, or Ray (the beasty[ray] extra); the same results."""
    ray_address: str = ""
    """With backend ray: "" starts a local Ray with workers CPUs, else ray.init's address ("auto", ...)."""
    device: Annotated[str, one_of(DEVICES)] = "auto"
    """Where the network trains: auto (a GPU when torch sees one), cpu or cuda."""
    start_from: str | None = None
    """A network file: the first best network (it guides generation 1 and must be beaten at the
    first gate); the trained network starts from its weights when it has the same shape."""

    @model_validator(mode="after")
    def _has_opponents(self) -> ExpertConfig:
        unknown = [o for o in self.opponents if o not in AGENT_NAMES]
        if unknown or (not self.opponents and not self.league and self.self_play < 1.0):
            raise ValueError(f"opponents must be agent names, got {list(self.opponents)!r}")
        return self


def make_config(overrides: dict[str, Any]) -> ExpertConfig:
    """The settings with ``overrides`` (key -> value) applied, every value checked."""
    return parse(ExpertConfig, overrides, ExpertConfigError)


def search_settings(cfg: ExpertConfig, network: str | None, simulations: int) -> dict[str, Any]:
    """A searcher's settings at ``simulations``: the champion's guided by
    ``network``, or the rollout champion's while there is none."""
    if network is None:
        return {**ROLLOUT_CHAMPION_SETTINGS, "simulations": simulations}
    return {
        **CHAMPION_SETTINGS, "network": network, "simulations": simulations,
        "exploration": cfg.exploration, "value_weight": cfg.value_weight,
    }  # fmt: skip


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
    search_value: npt.NDArray[np.float32]
    """The search's value of the move it played, in [-1, 1]."""

    def __len__(self) -> int:
        return len(self.result)

    @staticmethod
    def empty() -> Positions:
        return Positions(
            np.zeros((0, OBS_DIM), np.float32), np.zeros((0, NUM_ACTIONS), bool),
            np.zeros((0, NUM_ACTIONS), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32),
        )  # fmt: skip

    @staticmethod
    def concatenate(parts: Sequence[Positions]) -> Positions:
        columns = (np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(Positions))
        return Positions(*columns)

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{f.name: getattr(self, f.name) for f in dataclasses.fields(Positions)})
        atomic_write(path, buffer.getvalue())

    @staticmethod
    def load(path: Path) -> Positions:
        with np.load(path, allow_pickle=False) as data:
            return Positions(*(data[f.name] for f in dataclasses.fields(Positions)))


class _Recorder:
    """A match-loop actor: the searcher's move in each game, and the
    targets of the decisions searched at full budget."""

    def __init__(self, full: SearchAgent, fast: SearchAgent, full_share: float, seed: int) -> None:
        self.full, self.fast, self.full_share = full, fast, full_share
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple[Floats, npt.NDArray[np.uint8], Floats, float, int, int]] = []
        """(observation, legal mask, target, search value, game, mover) per recorded decision"""

    def __call__(self, batch: GameBatch, idx: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        obs, mask = batch.observe(idx)
        movers = batch.to_move[idx]
        actions = np.empty(len(idx), dtype=np.int32)
        for j, i in enumerate(idx):
            recorded = self.full_share >= 1.0 or self.rng.random() < self.full_share
            agent = self.full if recorded else self.fast
            found = agent.search.run(batch, int(i), agent.seed)
            actions[j] = found["action"]
            if not recorded or mask[j].sum() < 2:
                continue  # a forced move teaches nothing
            if found["solved"]:
                target = np.zeros(NUM_ACTIONS, dtype=np.float32)
                target[found["action"]] = 1.0
            else:
                target = found["visits"].astype(np.float32) / found["visits"].sum()
            value = float(found["value"][found["action"]])
            self.rows.append((obs[j], mask[j], target, value, int(i), int(movers[j])))
        return actions


@dataclass
class GenerationShare:
    """A share of a generation's games: the positions and, per league
    member, the searcher's wins and games against it."""

    positions: Positions
    record: dict[str, tuple[int, int]]


def play_games(
    searcher: dict[str, Any], fast: dict[str, Any], full_share: float, league: dict[str, dict[str, Any]],
    picks: Sequence[str], seed: int,
) -> GenerationShare:  # fmt: skip
    """One game per entry of ``picks`` (deals seeded from ``seed``): the
    searcher against itself (``"self"``) or the league member named; the
    searcher's recorded decisions and its record against each member."""
    games = len(picks)
    rng = np.random.default_rng(seed)
    recorder = _Recorder(
        SearchAgent("expert", seed=derive_seed(seed, 1), **searcher),
        SearchAgent("expert-fast", seed=derive_seed(seed, 1), **fast),
        full_share, derive_seed(seed, 3),
    )  # fmt: skip
    members = sorted(set(picks) - {"self"})
    pool = [_league_agent(league[name], derive_seed(seed, 2 + k)) for k, name in enumerate(members)]
    actors: list[Actor] = [recorder, *(agent.act_batch for agent in pool)]
    batch = GameBatch(games, auto_reset=False)
    for i in range(games):
        batch.reset_game(i, derive_seed(seed, 1_000_003 * (i + 1)))
    seat_actor = np.zeros((games, 2), dtype=np.int32)
    opponent_seat = rng.integers(0, 2, games)
    for i, pick in enumerate(picks):
        if pick != "self":
            seat_actor[i, opponent_seat[i]] = 1 + members.index(pick)
    played = play_out(batch, actors, seat_actor)
    seat_zero_ahead = np.sign(played.margin(np.zeros(games, dtype=np.int32)))
    record = {}
    for name in members:
        rows = np.flatnonzero(np.array(picks) == name)
        searcher_ahead = seat_zero_ahead[rows] * np.where(opponent_seat[rows] == 0, -1, 1)
        record[name] = (int((searcher_ahead > 0).sum()), len(rows))
    if not recorder.rows:
        return GenerationShare(Positions.empty(), record)
    obs, mask, target, value, game, mover = (np.array(column) for column in zip(*recorder.rows, strict=True))
    result = (seat_zero_ahead[game] * np.where(mover == 0, 1, -1)).astype(np.float32)
    positions = Positions(obs, mask.astype(bool), target, result, value.astype(np.float32))
    return GenerationShare(positions, record)


def _league_agent(spec: dict[str, Any], seed: int) -> Agent:
    """A league member from its spec: {"name": ...} or a search's settings."""
    if "name" in spec:
        return make(spec["name"], seed=seed)
    return SearchAgent("league", seed=seed, **spec)


# ----------------------------------------------------------------- training
def losses(net: PolicyValueNet, data: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy to the visit distribution over the legal actions, and
    the value's squared error to its target."""
    logits, value = net(data["obs"])
    logp = torch.log_softmax(masked_logits(logits, data["mask"]), dim=-1)
    policy_loss = -(data["target"] * logp).sum(-1).mean()
    value_loss = ((value - data["value"]) ** 2).mean()
    return policy_loss, value_loss


def fit(
    net: PolicyValueNet, positions: Positions, cfg: ExpertConfig, generator: torch.Generator
) -> dict[str, float]:
    """Trains ``net`` on ``positions`` (5 % held out) on ``cfg.device``; the final losses.
    The network stays on that device (``c_network`` copies its weights back)."""
    device = torch_device(cfg.device)
    net.to(device)
    value = (1.0 - cfg.value_target) * positions.result + cfg.value_target * positions.search_value
    tensors = {
        "obs": torch.from_numpy(positions.obs), "mask": torch.from_numpy(positions.mask),
        "target": torch.from_numpy(positions.target), "value": torch.from_numpy(value.astype(np.float32)),
    }  # fmt: skip
    tensors = {k: v.to(device) for k, v in tensors.items()}
    order = torch.randperm(len(positions), generator=generator).to(device)
    held = max(1, len(positions) // 20)
    valid = {k: v[order[:held]] for k, v in tensors.items()}
    train = {k: v[order[held:]] for k, v in tensors.items()}
    n = len(order) - held
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    for _ in range(cfg.epochs):  # one permutation per epoch, walked in minibatches
        perm = torch.randperm(n, generator=generator).to(device)
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
@dataclass
class RunState:
    """What ``--resume`` needs (state.json): the generations done, the best
    network so far, the promoted networks (the league) and its weights."""

    generation: int = 0
    best: str | None = None
    promoted: list[str] = field(default_factory=list)
    gates: list[float] = field(default_factory=list)
    pool: dict[str, Any] = field(default_factory=dict)

    def save(self, out: Path) -> None:
        atomic_write(out / "state.json", json.dumps(dataclasses.asdict(self), indent=2).encode())


def _league(cfg: ExpertConfig, state: RunState) -> dict[str, dict[str, Any]]:
    members: dict[str, dict[str, Any]] = {name: {"name": name} for name in cfg.opponents}
    if cfg.league:
        for path in state.promoted:
            members[Path(path).stem] = search_settings(cfg, path, cfg.simulations)
    return members


def _gate(
    cfg: ExpertConfig, candidate: str, best: str | None, seed: int, pool: Executor | None
) -> dict[str, Any]:
    """The candidate network's search against the best one's at equal budget."""
    budget = cfg.gate_simulations
    new = SearchAgent("candidate", seed=derive_seed(seed, 1), **search_settings(cfg, candidate, budget))
    old = SearchAgent("best", seed=derive_seed(seed, 2), **search_settings(cfg, best, budget))
    result = head_to_head(new, old, cfg.gate_games, seed, pool, cfg.workers)
    points = result.wins + result.draws / 2
    low, high = wilson_interval(round(points), result.games)
    score = points / result.games
    return {
        "gate_score": round(score, 4), "gate_low": round(low, 4), "gate_high": round(high, 4),
        "gate_wins": result.wins, "gate_draws": result.draws, "gate_losses": result.losses,
        "promoted": score >= cfg.gate_threshold,
    }  # fmt: skip


def run_expert(cfg: ExpertConfig, out: str | Path, resume: bool = False, progress: bool = True) -> Path:
    """Expert iteration (module docstring); the best network's path."""
    cfg = parse(ExpertConfig, cfg.model_dump(), ExpertConfigError)  # checked again: fields may have been set
    try:
        torch_device(cfg.device)  # before any game is played
    except ValueError as e:
        raise ExpertConfigError(str(e)) from e
    out = Path(out)
    check_writable(out, folder=True)
    state = RunState()
    config_path = out / "config.json"
    if resume:
        if not (out / "state.json").is_file():
            raise ExpertConfigError(f"{out} holds no expert run to resume (no state.json)")
        state = RunState(**json.loads((out / "state.json").read_text()))
    elif (out / "metrics.csv").exists() or any(out.glob("expert-*.npz")):
        raise ExpertConfigError(f"{out} already holds an expert run; choose another folder or --resume")
    atomic_write(config_path, json.dumps(cfg.model_dump(), indent=2).encode())
    torch.manual_seed(derive_seed(cfg.seed, state.generation))
    generator = torch.Generator().manual_seed(derive_seed(cfg.seed, state.generation))
    shape = NetworkConfig(encoder="flat", hidden_dim=cfg.hidden, depth=cfg.depth, residual=cfg.residual)
    net = PolicyValueNet(shape)
    if state.generation == 0 and cfg.start_from is not None:
        try:
            start, _ = read_network(cfg.start_from)
        except NetworkFileError as e:
            raise ExpertConfigError(f"start_from: {e}") from e
        if (start.hidden, start.depth, start.residual) == (cfg.hidden, cfg.depth, cfg.residual):
            load_c_weights(net, start.weights)
        state.best = str(Path(cfg.start_from).resolve())
    elif state.generation > 0:
        last, _ = read_network(out / f"expert-{state.generation}.npz")
        load_c_weights(net, last.weights)
    league_pool = AdaptiveOpponentPool({name: 1.0 for name in _league(cfg, state)}, cfg.min_weight)
    if state.pool:
        league_pool.load_state_dict(state.pool)
    pool = shared_pool(cfg.workers, cfg.backend, cfg.ray_address)
    try:
        for generation in range(state.generation + 1, cfg.generations + 1):
            row = _generation(cfg, out, generation, state, net, generator, league_pool, pool, progress)
            with (out / "metrics.csv").open("a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=list(row))
                if f.tell() == 0:
                    writer.writeheader()
                writer.writerow(row)
            print(", ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    if state.best is None:
        raise ExpertConfigError("no network passed a gate: the rollout search stayed the best")
    return Path(state.best)


def _generation(
    cfg: ExpertConfig, out: Path, generation: int, state: RunState, net: PolicyValueNet,
    generator: torch.Generator, league_pool: AdaptiveOpponentPool, pool: Executor | None,
    progress: bool,
) -> dict[str, Any]:  # fmt: skip
    """Play, train and gate one generation; its metrics row."""
    seed = derive_seed(cfg.seed, 7_000_003 * generation)
    rng = np.random.default_rng(seed)
    league = _league(cfg, state)
    for name in league:
        league_pool.add(name)
    probabilities = {k: v for k, v in league_pool.probabilities().items() if k in league}
    names = sorted(probabilities)
    weights = np.array([probabilities[k] for k in names])
    against = rng.random(cfg.games) >= cfg.self_play
    drawn = rng.choice(len(names), size=cfg.games, p=weights / weights.sum()) if names else np.zeros(0, int)
    picks = [names[drawn[i]] if names and against[i] else "self" for i in range(cfg.games)]
    searcher = search_settings(cfg, state.best, cfg.simulations)
    if state.best is not None:
        searcher.update(root_noise=cfg.root_noise, root_noise_alpha=cfg.root_noise_alpha)
    fast = {**searcher, "simulations": cfg.fast_simulations}
    start = time.perf_counter()
    chunk = max(1, min(100, -(-cfg.games // (4 * cfg.workers))))
    shares = [(picks[s : s + chunk], derive_seed(seed, s)) for s in range(0, cfg.games, chunk)]
    args = (searcher, fast, cfg.full_search_share, league)
    bar = None
    last = Path(state.best).stem if state.best else "the rollout search"
    if state.gates:
        last += f" (last gate {state.gates[-1]:.3f})"
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.games, desc=f"generation {generation}", unit="game", leave=False)
    parts: list[GenerationShare] = []
    if pool is None:
        done = ((play_games(*args, share, s), len(share)) for share, s in shares)
    else:
        futures = [(pool.submit(play_games, *args, share, s), len(share)) for share, s in shares]
        done = ((future.result(), n) for future, n in futures)
    for part, n in done:
        parts.append(part)
        if bar is not None:
            bar.update(n)
            bar.set_postfix_str(f"{bar.n / (time.perf_counter() - start):.1f} games/s, best {last}")
    if bar is not None:
        bar.close()
    play_seconds = time.perf_counter() - start
    positions = Positions.concatenate([p.positions for p in parts])
    positions.save(out / f"positions-{generation}.npz")
    record: dict[str, list[int]] = {}
    for part in parts:
        for name, (wins, games) in part.record.items():
            total = record.setdefault(name, [0, 0])
            total[0] += wins
            total[1] += games
    league_pool.update({name: wins / games for name, (wins, games) in record.items() if games})
    window = [Positions.load(out / f"positions-{g}.npz") for g in range(max(1, generation - cfg.window + 1),
                                                                         generation + 1)]  # fmt: skip
    start = time.perf_counter()
    losses_row = fit(net, Positions.concatenate(window), cfg, generator)
    train_seconds = time.perf_counter() - start
    candidate = out / f"expert-{generation}.npz"
    about = {**cfg.model_dump(), "generation": generation}
    about.update(losses_row)
    save_network(candidate, c_network(net), about)
    start = time.perf_counter()
    gate: dict[str, Any] = {"promoted": True}
    if cfg.gate_games:
        gate = _gate(cfg, str(candidate), state.best, derive_seed(seed, 11), pool)
    gate_seconds = time.perf_counter() - start
    if "gate_score" in gate:
        state.gates.append(gate["gate_score"])
    if gate["promoted"]:
        shutil.copyfile(candidate, out / "best.npz")
        state.promoted.append(str(candidate))
        state.best = str(candidate)
    state.generation = generation
    state.pool = league_pool.state_dict()
    state.save(out)
    return {
        "generation": generation,
        "positions": len(positions),
        "play_seconds": round(play_seconds, 2),
        "decisions_per_second": round(len(positions) / play_seconds, 1),
        "train_seconds": round(train_seconds, 2),
        "gate_seconds": round(gate_seconds, 2),
        **{k: round(v, 5) for k, v in losses_row.items()},
        **gate,
        "best": Path(state.best).stem if state.best else "rollout search",
        "league_win_rates": json.dumps({k: round(w / n, 3) for k, (w, n) in sorted(record.items())}),
    }
