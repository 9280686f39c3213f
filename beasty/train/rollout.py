"""Game generation on the C batch engine, batched by opponent type.

Each :class:`GroupSpec` is one :class:`GameBatch` of games against one
opponent: "self" (both seats are the learner and both are trained),
"checkpoint:<k>" (a past snapshot sampling at the learner's temperature),
"random" (the C random agent) or one of the scripted opponents.  Deals are
mirrored (deal d is played from both seats), so the learner trains as first
and second mover alike.  The learner samples from softmax(logits / T) and
stores the log-probability of that same tempered distribution.

:func:`generate_group` is a plain module-level function of picklable
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

from beasty.agents import make
from beasty.agents.base import Agent
from beasty.evaluate import mirrored_deals
from beasty.train.agent import NeuralAgent
from beasty.train.config import NetworkConfig
from beasty.train.network import PolicyValueNet, masked_logits

StateDict = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class GroupSpec:
    opponent: str
    games: int
    seed: int


@dataclass
class Rollout:
    """Learner decisions of one or more groups, in trajectory order."""

    obs: npt.NDArray[np.float32]
    mask: npt.NDArray[np.uint8]
    actions: npt.NDArray[np.int64]
    logp: npt.NDArray[np.float32]
    values: npt.NDArray[np.float32]
    advantages: npt.NDArray[np.float32]
    returns: npt.NDArray[np.float32]
    results: dict[str, list[int]] = field(default_factory=dict)
    """opponent -> [learner wins, losses, draws] (self-play excluded)."""
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
            advantages=np.concatenate([p.advantages for p in parts]),
            returns=np.concatenate([p.returns for p in parts]),
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


def compute_gae(
    values: npt.NDArray[np.float32],
    rewards: npt.NDArray[np.float32],
    last: npt.NDArray[np.bool_],
    gamma: float,
    lam: float,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """GAE over consecutive trajectories; ``last`` marks each one's final
    step, after which the bootstrap value is 0 (the game is over)."""
    adv = np.zeros_like(values)
    running = 0.0
    for t in range(len(values) - 1, -1, -1):
        if last[t]:
            next_value, running = 0.0, 0.0
        else:
            next_value = float(values[t + 1])
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        adv[t] = running
    return adv, adv + values


def generate_group(
    net: PolicyValueNet,
    spec: GroupSpec,
    temperature: float,
    gamma: float,
    lam: float,
    opponent: Agent | None,
) -> Rollout:
    """Plays ``spec.games`` games (even) against ``opponent`` (None = self-play)."""
    n = spec.games
    batch, learner_seat = mirrored_deals(n, spec.seed)
    gen = torch.Generator().manual_seed(spec.seed & 0x7FFFFFFFFFFFFFFF)
    steps: dict[str, list[npt.NDArray[Any]]] = {k: [] for k in ("obs", "mask", "act", "logp", "val", "tid")}
    final = np.zeros((n, 2), dtype=np.int32)
    done = np.zeros(n, dtype=bool)
    net.eval()
    while not done.all():
        running = np.flatnonzero(~done).astype(np.int32)
        to_move = batch.to_move[running]
        mine = np.ones(len(running), bool) if opponent is None else to_move == learner_seat[running]
        lrn, opp = running[mine], running[~mine]
        acts_l = np.zeros(0, dtype=np.int32)
        if len(lrn):
            obs, mask = batch.observe(lrn)
            with torch.no_grad():
                logits, value = net(torch.from_numpy(obs))
                logp_all = torch.log_softmax(masked_logits(logits, torch.from_numpy(mask), temperature), 1)
                a = torch.multinomial(logp_all.exp(), 1, generator=gen).squeeze(1)
                logp = logp_all.gather(1, a.unsqueeze(1)).squeeze(1)
            acts_l = a.numpy().astype(np.int32)
            steps["obs"].append(obs)
            steps["mask"].append(mask)
            steps["act"].append(acts_l.astype(np.int64))
            steps["logp"].append(logp.numpy())
            steps["val"].append(value.numpy())
            steps["tid"].append(lrn.astype(np.int64) * 2 + to_move[mine])
        acts_o = (
            opponent.act_batch(batch, opp) if (opponent is not None and len(opp)) else np.zeros(0, np.int32)
        )
        idx = np.concatenate([lrn, opp])
        _, fin, scores = batch.step(np.concatenate([acts_l, acts_o]), idx)
        final[idx[fin]] = scores[fin]
        done[idx[fin]] = True

    tid = np.concatenate(steps["tid"])
    order = np.argsort(tid, kind="stable")  # trajectories contiguous, in time order
    tid = tid[order]
    last = np.ones(len(tid), dtype=bool)
    last[:-1] = tid[1:] != tid[:-1]
    game, player = tid // 2, tid % 2
    margin = final[game, player] - final[game, 1 - player]
    rewards = np.where(last, np.sign(margin), 0).astype(np.float32)
    values = np.concatenate(steps["val"])[order].astype(np.float32)
    adv, ret = compute_gae(values, rewards, last, gamma, lam)
    results: dict[str, list[int]] = {}
    if opponent is not None:
        m = np.where(learner_seat == 0, final[:, 0] - final[:, 1], final[:, 1] - final[:, 0])
        results[spec.opponent] = [int((m > 0).sum()), int((m < 0).sum()), int((m == 0).sum())]
    return Rollout(
        obs=np.concatenate(steps["obs"])[order],
        mask=np.concatenate(steps["mask"])[order],
        actions=np.concatenate(steps["act"])[order],
        logp=np.concatenate(steps["logp"])[order].astype(np.float32),
        values=values,
        advantages=adv,
        returns=ret,
        results=results,
        games=n,
    )


def _opponent_for(
    name: str, seed: int, net_cfg: NetworkConfig, snapshots: dict[int, StateDict], temperature: float
) -> Agent | None:
    if name == "self":
        return None
    if name.startswith("checkpoint:"):
        k = int(name.split(":", 1)[1])
        return NeuralAgent(net_from_numpy(net_cfg, snapshots[k]), False, temperature, seed, name)
    return make(name, seed=seed)


def run_groups(
    net_cfg: NetworkConfig,
    learner: StateDict,
    specs: list[GroupSpec],
    snapshots: dict[int, StateDict],
    temperature: float,
    gamma: float,
    lam: float,
) -> list[Rollout]:
    """Worker entry point: rebuild the learner and play the groups."""
    return play_groups(net_from_numpy(net_cfg, learner), specs, snapshots, temperature, gamma, lam)


def play_groups(
    net: PolicyValueNet,
    specs: list[GroupSpec],
    snapshots: dict[int, StateDict],
    temperature: float,
    gamma: float,
    lam: float,
) -> list[Rollout]:
    """Plays each group against its opponent (seeded by the group's seed)."""
    return [
        generate_group(
            net,
            s,
            temperature,
            gamma,
            lam,
            _opponent_for(s.opponent, s.seed, net.cfg, snapshots, temperature),
        )
        for s in specs
    ]


def _worker_init() -> None:
    torch.set_num_threads(1)
    # Ctrl-C reaches the whole process group: the trainer decides when to stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class GameGenerator:
    """Runs groups in this process or, with ``num_workers``, in a pool of
    ``spawn`` worker processes (the groups are dealt round-robin to the
    workers; results come back in spec order, so the rollout is identical
    to the in-process one)."""

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
        snapshots: dict[int, StateDict],
        temperature: float,
        gamma: float,
        lam: float,
    ) -> Rollout:
        if self._pool is None:
            return Rollout.concat(play_groups(net, specs, snapshots, temperature, gamma, lam))
        learner = state_dict_to_numpy(net)
        shares = [list(range(w, len(specs), self.num_workers)) for w in range(self.num_workers)]
        shares = [share for share in shares if share]
        pending = []
        for share in shares:
            mine = [specs[i] for i in share]
            # ship each worker only the snapshots its groups play against
            used = {int(s.opponent.split(":", 1)[1]) for s in mine if s.opponent.startswith("checkpoint:")}
            needed = {k: snapshots[k] for k in used}
            pending.append(
                self._pool.apply_async(run_groups, (net.cfg, learner, mine, needed, temperature, gamma, lam))
            )
        ordered: list[Rollout | None] = [None] * len(specs)
        for share, p in zip(shares, pending, strict=True):
            for i, part in zip(share, p.get(), strict=True):
                ordered[i] = part
        return Rollout.concat([p for p in ordered if p is not None])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> GameGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
