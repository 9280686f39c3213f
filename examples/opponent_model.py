"""A learned model of players that plan, as one of the champion's opponent models.

    python examples/opponent_model.py collect runs/planners --games 800
    python examples/opponent_model.py train runs/planners [--hold-out ismcts]
    python examples/opponent_model.py play runs/planners --games 400 --seed 0 [--hold-out ismcts]

collect: games between the planners (the champion, champion_v1, the rollout
champion and ``ismcts``), recorded with ``evaluate(..., record="all")``; every
move that was not forced becomes a row (the mover's observation, legal mask
and the move played, one-hot).  ``ppo`` plays none of them: it is held out,
so the model's value against it is a measure of how well it generalises.
train: a network of the champion's shape fitted to those moves (expert.py's
``fit``), written as ``<dir>/planners.npz``; with ``--hold-out NAME`` the
games NAME played are left out too (``<dir>/planners-without-NAME.npz``).  play: the champion with that
network added to its opponent models, against ``ppo`` and ``ismcts``,
beside the champion as shipped on the same deals.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from beasty._ext import NUM_ACTIONS, GameBatch
from beasty.agents import make
from beasty.agents.guided import save_network
from beasty.agents.search import DEFAULT_MODELS
from beasty.evaluate import evaluate
from beasty.policy.network import NetworkConfig, PolicyValueNet, c_network
from beasty.records import read_records, replay, write_records
from beasty.train.expert import Positions, fit, make_config

#: (agent, opponent) pairs whose games the model learns from; ppo is held out.
PAIRS = (
    ("champion", "ismcts"),
    ("champion_v1", "ismcts"),
    ("rollout_champion", "ismcts"),
    ("champion", "champion_v1"),
    ("champion", "rollout_champion"),
)


def collect(out: Path, games: int, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for k, (name, opponent) in enumerate(PAIRS):
        path = out / f"{name}-{opponent}.jsonl"
        if path.exists():
            continue
        [result] = evaluate(make(name, seed=seed + k), [opponent], games, seed=seed + 1000 * k, workers=2,
                            record="all")  # fmt: skip
        write_records(path, result.records)
        print(f"{name} vs {opponent}: {result.wins}/{result.draws}/{result.losses}", flush=True)


def model_path(out: Path, hold_out: str | None) -> Path:
    return out / ("planners.npz" if hold_out is None else f"planners-without-{hold_out}.npz")


def positions(out: Path, hold_out: str | None = None) -> Positions:
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
    batch = GameBatch(1, auto_reset=False)
    for path in sorted(out.glob("*.jsonl")):
        if hold_out is not None and hold_out in path.stem.split("-"):
            continue
        for record in read_records(path):
            states = replay(record)
            winner = record.winner
            for state, action in zip(states, record.actions, strict=False):
                batch.set_state(0, state)
                obs, mask = batch.observe(np.array([0], dtype=np.int32))
                if mask[0].sum() < 2:
                    continue
                target = np.zeros(NUM_ACTIONS, np.float32)
                target[action] = 1.0
                mover = state.to_move
                result = 0.0 if winner is None else (1.0 if winner == mover else -1.0)
                rows.append((obs[0], mask[0].astype(bool), target, result))
    obs, mask, target, result = (np.array(c) for c in zip(*rows, strict=True))
    result = result.astype(np.float32)
    return Positions(obs, mask, target, result, result.copy())


def train(out: Path, hold_out: str | None) -> None:
    data = positions(out, hold_out)
    cfg = make_config({})
    torch.manual_seed(0)
    net = PolicyValueNet(NetworkConfig(encoder="flat", hidden_dim=cfg.hidden, depth=cfg.depth,
                                       residual=cfg.residual))  # fmt: skip
    losses = fit(net, data, cfg, torch.Generator().manual_seed(0))
    about = {"study": "opponent model of planners", "positions": len(data), "pairs": PAIRS,
             "held_out": hold_out, **losses}  # fmt: skip
    save_network(model_path(out, hold_out), c_network(net), about)
    print(f"{len(data)} positions: {json.dumps(losses)}", flush=True)


def play(out: Path, games: int, seed: int, hold_out: str | None) -> None:
    model = str(model_path(out, hold_out))
    variants = {
        "as shipped": {},
        "+ planners model": {"models": [*DEFAULT_MODELS, model]},
        "+ planners model, model_in_tree off": {"models": [*DEFAULT_MODELS, model], "model_in_tree": False},
    }
    for label, change in variants.items():
        agent = make("champion", **change)
        results = evaluate(agent, ["ppo", "ismcts"], games, seed=seed, workers=2)
        rows = [(r.opponent, r.wins, r.draws, r.losses, round(r.win_rate, 3)) for r in results]
        print(label, rows, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("collect", "train", "play"))
    parser.add_argument("dir", type=Path)
    parser.add_argument("--games", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hold-out", help="leave the games of this agent out of the model's data too")
    args = parser.parse_args()
    if args.step == "collect":
        collect(args.dir, args.games, args.seed + 10_000)
    elif args.step == "train":
        train(args.dir, args.hold_out)
    else:
        play(args.dir, args.games, args.seed, args.hold_out)


if __name__ == "__main__":
    main()
