"""Game generation on the C batch engine, batched by opponent type.

Each :class:`GroupSpec` is a group of games against one opponent: "self"
(both seats are the learner and both are trained), a :class:`Snapshot` (the
learner as it was at an earlier iteration, or an exploiter trained against
it, sampling at the learner's temperature), "random" (the C random agent)
or one of the scripted opponents.  All groups play in one
:class:`GameBatch`, each as if it were alone.  Deals are mirrored (deal d
is played from both seats), so the learner trains as first and second
mover alike.  The learner samples from softmax(logits / T) and stores the
log-probability of that same tempered distribution.  A rollout holds what
happened (rewards and episode ends); the trainer computes the advantages.

:func:`run_groups` is a plain module-level function of picklable
arguments, so worker processes started with the ``spawn`` method can run it
after a normal ``pip install`` (nothing depends on the working directory).
"""

from __future__ import annotations

import multiprocessing
import signal
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from beasty._ext import GameBatch
from beasty.agents import make
from beasty.agents.base import Agent
from beasty.agents.neural import NeuralAgent
from beasty.match import mirrored_group_deals, one_thread_per_worker, play_out
from beasty.policy.network import NetworkConfig, PolicyOutputs, PolicyValueNet, sample_actions

StateDict = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class Snapshot:
    """A network of the pool: the learner as it was after ``iteration``, or
    (``exploiter``) the exploiter trained against it then."""

    iteration: int
    exploiter: bool = False

    def __str__(self) -> str:
        return f"{'exploiter' if self.exploiter else 'checkpoint'}:{self.iteration}"


@dataclass(frozen=True)
class GroupSpec:
    opponent: str | Snapshot
    """"self", a reference opponent's name or a snapshot of the learner."""
    games: int
    seed: int

    @property
    def pool_name(self) -> str:
        """The opponent's name in the pool: the learner's snapshots are all
        "checkpoint", each exploiter is a member of its own."""
        if isinstance(self.opponent, Snapshot):
            return str(self.opponent) if self.opponent.exploiter else "checkpoint"
        return self.opponent


@dataclass
class Rollout:
    """Learner decisions of one or more groups, in trajectory order."""

    obs: npt.NDArray[np.float32]
    mask: npt.NDArray[np.uint8]
    actions: npt.NDArray[np.int64]
    logp: npt.NDArray[np.float32]
    values: npt.NDArray[np.float32]
    rewards: npt.NDArray[np.float32]
    """+1/-1/0 on the learner's last move of a game (the result), else 0."""
    ends: npt.NDArray[np.bool_]
    """True on each trajectory's last step (the game is over after it)."""
    results: dict[str, list[int]] = field(default_factory=dict)
    """pool name -> [learner wins, losses, draws] (self-play excluded)."""
    games: int = 0

    @staticmethod
    def concat(parts: list[Rollout]) -> Rollout:
        results: dict[str, list[int]] = {}
        for p in parts:
            for k, v in p.results.items():
                acc = results.setdefault(k, [0, 0, 0])
                for i in range(3):
                    acc[i] += v[i]
        return Rollout(
            obs=np.concatenate([p.obs for p in parts]),
            mask=np.concatenate([p.mask for p in parts]),
            actions=np.concatenate([p.actions for p in parts]),
            logp=np.concatenate([p.logp for p in parts]),
            values=np.concatenate([p.values for p in parts]),
            rewards=np.concatenate([p.rewards for p in parts]),
            ends=np.concatenate([p.ends for p in parts]),
            results=results,
            games=sum(p.games for p in parts),
        )

    def __len__(self) -> int:
        return len(self.actions)


def state_dict_to_numpy(net: torch.nn.Module) -> StateDict:
    return {k: v.detach().cpu().numpy().copy() for k, v in net.state_dict().items()}


def net_from_numpy(cfg: NetworkConfig, state: StateDict) -> PolicyValueNet:
    net = PolicyValueNet(cfg)
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    net.eval()
    return net


def generate_groups(
    outputs: PolicyOutputs,
    specs: list[GroupSpec],
    opponents: list[Agent | None],
    temperature: float,
) -> list[Rollout]:
    """Plays each group's ``spec.games`` games (even) against its opponent
    (None = self-play), all groups in one batch so that the learner is
    asked once per turn.  A group is dealt, and its moves drawn, as if it
    were alone: every game moves once per step, and the learner draws each
    group's uniforms from that group's own stream; so a group's rollout
    does not depend on the groups beside it (the worker backends deal
    groups apart)."""
    sizes = [s.games for s in specs]
    batch, learner_seat = mirrored_group_deals([(s.games, s.seed) for s in specs])
    group_of = np.repeat(np.arange(len(specs)), sizes)
    streams = [np.random.default_rng(s.seed) for s in specs]
    keys = ("obs", "mask", "act", "logp", "val", "trajectory")
    steps: dict[str, list[npt.NDArray[Any]]] = {k: [] for k in keys}

    def learner(games: GameBatch, idx: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        """Samples the network's moves and records what it saw and did."""
        obs, mask = games.observe(idx)
        logits, values = outputs(obs)
        groups, counts = np.unique(group_of[idx], return_counts=True)  # idx is ascending: groups in order
        uniforms = np.concatenate([streams[g].random(c) for g, c in zip(groups, counts, strict=True)])
        actions, logp = sample_actions(logits, mask, temperature, uniforms)
        seen: tuple[npt.NDArray[Any], ...] = (obs, mask, actions, logp, values,
                                              idx.astype(np.int64) * 2 + games.to_move[idx])  # fmt: skip
        for key, item in zip(keys, seen, strict=True):
            steps[key].append(item)
        return actions.astype(np.int32)

    actors = [learner] + [o.act_batch for o in opponents if o is not None]
    seat_actor = np.zeros((len(batch), 2), dtype=np.int32)  # self-play: the learner plays both seats
    next_actor = 1
    for g, opponent in enumerate(opponents):
        if opponent is not None:
            games = group_of == g
            seat_actor[games, 1 - learner_seat[games]] = next_actor
            next_actor += 1
    played = play_out(batch, actors, seat_actor)

    trajectory = np.concatenate(steps["trajectory"])  # game * 2 + player
    order = np.argsort(trajectory, kind="stable")  # trajectories contiguous, in time order, groups in order
    recorded = {k: np.concatenate(v)[order] for k, v in steps.items()}
    group_of_row = group_of[recorded["trajectory"] // 2]
    learner_margin = played.margin(learner_seat)
    rollouts = []
    for g, (spec, opponent) in enumerate(zip(specs, opponents, strict=True)):
        rows = group_of_row == g
        trajectory = recorded["trajectory"][rows]
        last = np.ones(len(trajectory), dtype=bool)
        last[:-1] = trajectory[1:] != trajectory[:-1]
        game, player = trajectory // 2, trajectory % 2
        margin = played.scores[game, player] - played.scores[game, 1 - player]
        rewards = np.where(last, np.sign(margin), 0).astype(np.float32)
        results: dict[str, list[int]] = {}
        if opponent is not None:
            m = learner_margin[group_of == g]
            results[spec.pool_name] = [int((m > 0).sum()), int((m < 0).sum()), int((m == 0).sum())]
        rollouts.append(
            Rollout(
                obs=recorded["obs"][rows],
                mask=recorded["mask"][rows],
                actions=recorded["act"][rows],
                logp=recorded["logp"][rows].astype(np.float32),
                values=recorded["val"][rows].astype(np.float32),
                rewards=rewards,
                ends=last,
                results=results,
                games=spec.games,
            )
        )
    return rollouts


def _opponent_for(
    spec: GroupSpec, net_cfg: NetworkConfig, snapshots: dict[Snapshot, StateDict], temperature: float
) -> Agent | None:
    if isinstance(spec.opponent, Snapshot):
        net = net_from_numpy(net_cfg, snapshots[spec.opponent])
        return NeuralAgent(net, False, temperature, spec.seed, str(spec.opponent))
    if spec.opponent == "self":
        return None
    return make(spec.opponent, seed=spec.seed)


def run_groups(
    net_cfg: NetworkConfig,
    learner: StateDict,
    specs: list[GroupSpec],
    snapshots: dict[Snapshot, StateDict],
    temperature: float,
) -> list[Rollout]:
    """Worker entry point: rebuild the learner and play the groups."""
    return play_groups(net_from_numpy(net_cfg, learner), specs, snapshots, temperature)


def play_groups(
    net: PolicyValueNet,
    specs: list[GroupSpec],
    snapshots: dict[Snapshot, StateDict],
    temperature: float,
) -> list[Rollout]:
    """Plays each group against its opponent (seeded by the group's seed)."""
    opponents = [_opponent_for(s, net.cfg, snapshots, temperature) for s in specs]
    return generate_groups(PolicyOutputs(net), specs, opponents, temperature)


def _worker_init() -> None:
    one_thread_per_worker()
    # Ctrl-C reaches the whole process group: the trainer decides when to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class GameGenerator:
    """Runs groups in this process or, with ``num_workers``, in a pool of
    ``spawn`` worker processes (the groups are dealt round-robin to the
    workers; results come back in spec order, so the rollout is identical
    to the in-process one).  :class:`beasty.train.ray_workers.RayGameGenerator`
    deals the same shares to Ray actors instead."""

    def __init__(self, num_workers: int = 0) -> None:
        self.num_workers = num_workers
        self._pool: Any = None
        if num_workers > 0:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ctx.Pool(num_workers, initializer=_worker_init)

    def generate(
        self,
        net: PolicyValueNet,
        specs: list[GroupSpec],
        snapshots: dict[Snapshot, StateDict],
        temperature: float,
    ) -> Rollout:
        if self.num_workers == 0:
            return Rollout.concat(play_groups(net, specs, snapshots, temperature))
        learner = self._share_weights(state_dict_to_numpy(net))
        shares = [list(range(w, len(specs), self.num_workers)) for w in range(self.num_workers)]
        shares = [share for share in shares if share]
        pending = []
        for worker, share in enumerate(shares):
            mine = [specs[i] for i in share]
            # ship each worker only the snapshots its groups play against
            needed = {s.opponent: snapshots[s.opponent] for s in mine if isinstance(s.opponent, Snapshot)}
            pending.append(self._submit(worker, (net.cfg, learner, mine, needed, temperature)))
        ordered: list[Rollout | None] = [None] * len(specs)
        for share, handle in zip(shares, pending, strict=True):
            for i, part in zip(share, self._collect(handle), strict=True):
                ordered[i] = part
        return Rollout.concat([p for p in ordered if p is not None])

    def _share_weights(self, learner: StateDict) -> Any:
        """The learner's weights as the workers receive them."""
        return learner

    def _submit(self, worker: int, args: tuple[Any, ...]) -> Any:
        """Starts :func:`run_groups` on ``args`` in a worker; a handle."""
        return self._pool.apply_async(run_groups, args)

    def _collect(self, handle: Any) -> list[Rollout]:
        return handle.get()  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> GameGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
