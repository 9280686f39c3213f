"""The studies of docs/EXPERT.md, reproducible.

    python examples/expert_studies.py value-targets runs/champion2 7,8,9,10 0,0.5,1
    python examples/expert_studies.py win-only runs/champion2 13,14,15,16
    python examples/expert_studies.py settings --games 400 --seed 0 \\
        '{"draw_value": -0.3}' '{"model_in_tree": false}'
    python examples/expert_studies.py versus-v1 '{"simulations": 25000}' --games 1000
    python examples/expert_studies.py hands 0.25,0.5,1 --games 150
    python examples/expert_studies.py agreement shipped other.npz --games 100
    python examples/expert_studies.py known-player 60 --games 2000

value-targets: networks of the run's shape trained from scratch on the same
positions with the value target (1 - v) * result + v * search value, each
gated against champion_v1 (1,000 mirrored games at 400 simulations).
win-only: the same with a draw counted as a loss, then played at the
champion's settings (with and without ``draw_value`` -1) against ``ppo``
and ``ismcts``.  settings: the first champion (``champion_v1``, the
champion of those studies) with one setting changed (JSON) at a time,
against ``ppo`` and ``ismcts``.  versus-v1: the same, head to head against
``champion_v1`` (W/D/L and the score (W + D/2)/N).  hands: how much of a planner's hand the
search's determinizations hold (the share of its cards, and how often all
of them), at each of its decisions from turn 4 while the opponent's pile
is not empty, with uniform hands, the first champion's inference, and the
guide's choices read at each ``unknown_temperature``, over ``--games``
games against ``ppo`` and ``ismcts`` each.  agreement: how well each
network (a package name or a file) predicts the moves of ``ppo`` and
``ismcts`` playing the champion, with their true hands: how often its
highest logit is their move, the mean log-probability of their move
under its softmax, and how often their move is the one after which its
value (one ply on, from their seat) is highest.  known-player: the
champion against the guide network played greedily, whose choices it can
model exactly: the hands read in the first N games (as in hands), then
``--games`` games each for uniform hands, the champion, the exact reader,
the true hand and every card revealed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from beasty._ext import GameBatch, Network
from beasty.agents import Agent, PolicyAgent, make
from beasty.agents.guided import load_network, network_path, save_network
from beasty.evaluate import evaluate, head_to_head
from beasty.match import worker_pool
from beasty.policy.network import NetworkConfig, PolicyValueNet, c_network
from beasty.train.expert import Positions, _gate, fit, make_config


def _trained(positions: Positions, value_target: float, path: Path) -> Path:
    cfg = make_config({"value_target": value_target})
    torch.manual_seed(0)
    shape = NetworkConfig(encoder="flat", hidden_dim=cfg.hidden, depth=cfg.depth, residual=cfg.residual)
    net = PolicyValueNet(shape)
    print(f"value target {value_target}: {fit(net, positions, cfg, torch.Generator().manual_seed(0))}")
    return save_network(path, c_network(net))


def _table(agent_settings: dict, games: int, seed: int) -> None:
    results = evaluate(make("champion_v1", **agent_settings), ["ppo", "ismcts"], games, seed=seed, workers=2)
    print(json.dumps(agent_settings), [(r.opponent, r.wins, r.losses, r.draws, round(r.win_rate, 3))
                                       for r in results], flush=True)  # fmt: skip


def _decisions(
    player: Agent, opponent: Agent, games: int, first_seed: int
) -> Iterator[tuple[int, GameBatch, int, bool, int]]:
    """Plays `games` games of player against opponent (seats alternating)
    and yields each decision before it is played: the game's number, the
    game, the player's seat, whether the opponent moves, and the action
    chosen."""
    for deal in range(games):
        game, me = GameBatch(1, seed=first_seed + deal, auto_reset=False), deal % 2
        while not game.done[0]:
            mover = player if game.to_move[0] == me else opponent
            action = mover.act(game, 0)
            yield deal, game, me, mover is opponent, action
            game.step(np.array([action]), np.array([0]))


def _versus_v1(agent_settings: dict, games: int, seed: int) -> None:
    r = head_to_head(make("champion_v1", **agent_settings), make("champion_v1"), games, seed=seed, workers=2)
    outcome = f"{r.wins}/{r.draws}/{r.losses} W/D/L, score {r.score_rate:.3f}"
    print(json.dumps(agent_settings), outcome, flush=True)


def _hand_hits(searches: dict[str, Any], player: Agent, opponent: Agent, games: int) -> None:
    """Prints how much of the opponent's hand each search's determinizations
    hold at the player's decisions from turn 4 while the opponent's pile is
    not empty (200 worlds each): the share of its cards, how often all of
    them, and how many distinct hands the worlds hold."""
    share: dict[str, list[float]] = {k: [] for k in searches}
    whole: dict[str, list[float]] = {k: [] for k in searches}
    distinct: dict[str, list[int]] = {k: [] for k in searches}
    for deal, game, me, theirs, _ in _decisions(player, opponent, games, 900):
        state = game.get_state(0)
        if theirs or game.turn[0] < 4 or not state.decks[1 - me]:
            continue
        truth = {c.species for c in state.hands[1 - me]}
        for key, search in searches.items():
            worlds, _ = search.sample(game, 0, 200, seed=deal)
            states = [worlds.get_state(j) for j in range(len(worlds))]
            hands = [frozenset(c.species for c in w.hands[1 - me]) for w in states]
            share[key].append(np.mean([len(h & truth) / len(truth) for h in hands]))
            whole[key].append(np.mean([h == truth for h in hands]))
            distinct[key].append(len(set(hands)))
    for key in searches:
        print(f"{opponent.name}: {key}: share {np.mean(share[key]):.3f},"
              f" whole hand {np.mean(whole[key]):.3f}, distinct hands {np.mean(distinct[key]):.1f}"
              f" ({len(share[key])} decisions)", flush=True)  # fmt: skip


def _hands(temperatures: list[float], games: int) -> None:
    searches = {
        "uniform": make("champion_v1", infer_hands=False).search,
        "champion_v1": make("champion_v1").search,
    }
    for t in temperatures:
        searches[f"unknown_temperature {t}"] = make("champion_v1", unknown_temperature=t).search
    player = make("champion_v1", simulations=300)
    for name in ("ppo", "ismcts"):
        _hand_hits(searches, player, make(name), games)


#: The champion reading the greedy guide's hand with the exact model of its choices.
EXACT_READER: dict[str, Any] = {
    "unknown_temperature": 0.01,
    "model_epsilon": 0.0,
    "model_prior": [0.0, 0.0, 0.0],
}


def _known_player(hand_games: int, games: int) -> None:
    """The champion against a player whose policy it knows exactly (the
    guide network played greedily): how much of its hand the exact model
    of its choices reads, and what that and the true hand are worth."""
    known = PolicyAgent("greedy guide", load_network())
    searches = {
        "uniform": make("champion", infer_hands=False).search,
        "champion": make("champion").search,
        "exact reader": make("champion", **EXACT_READER).search,
        "exact reader, 256 candidates": make("champion", **EXACT_READER, candidates=256).search,
        "exact reader, 64 candidates": make("champion", **EXACT_READER, candidates=64).search,
    }
    _hand_hits(searches, make("champion", simulations=300), known, hand_games)
    variants: dict[str, dict[str, Any]] = {
        "uniform": {"infer_hands": False},
        "champion": {},
        "exact reader": EXACT_READER,
        "true hand": {"reveal": 1},
        "every card": {"reveal": 2},
    }
    for key, settings in variants.items():
        r = head_to_head(make("champion", **settings), known, games, seed=0, workers=2)
        print(f"{key}: {r.wins}/{r.losses}/{r.draws} W/L/D, win rate {r.win_rate:.3f}", flush=True)


def _one_ply_values(net: Network, game: GameBatch, legal: np.ndarray) -> np.ndarray:
    """The mover's value of the position after each legal move, by the
    network's value from the next mover's seat (or the final result)."""
    mover, values = int(game.to_move[0]), []
    for action in legal:
        after = game.clone()
        after.step(np.array([action]), np.array([0]))
        if after.done[0]:
            scores = after.scores()[0]
            values.append(float(np.sign(scores[mover] - scores[1 - mover])))
        else:
            values.append(-float(net.forward(after.observe_player(0, 1 - mover)[None, :])[0, -1]))
    return np.array(values)


def _agreement(networks: list[str], games: int) -> None:
    nets = {name: load_network(network_path(name)) for name in networks}
    champion = make("champion", simulations=300)
    for name in ("ppo", "ismcts"):
        top: dict[str, list[bool]] = {k: [] for k in nets}
        logp: dict[str, list[float]] = {k: [] for k in nets}
        by_value: dict[str, list[bool]] = {k: [] for k in nets}
        for _, game, _, theirs, action in _decisions(champion, make(name), games, 5000):
            obs, mask = game.observe()
            legal = mask[0].astype(bool)
            if not theirs or legal.sum() < 2:
                continue
            for key, net in nets.items():
                logits = np.where(legal, net.forward(obs[:1])[0, : len(legal)], -np.inf)
                top[key].append(int(np.argmax(logits)) == action)
                shifted = logits - logits.max()
                logp[key].append(shifted[action] - np.log(np.exp(shifted).sum()))
                moves = np.flatnonzero(legal)
                by_value[key].append(int(moves[np.argmax(_one_ply_values(net, game, moves))]) == action)
        for key in nets:
            print(f"{name}: {key}: top-1 {np.mean(top[key]):.3f}, mean log-probability"
                  f" {np.mean(logp[key]):.3f}, best one-ply value {np.mean(by_value[key]):.3f}"
                  f" ({len(top[key])} choices)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "study",
        choices=("value-targets", "win-only", "settings", "versus-v1", "hands", "agreement", "known-player"),
    )
    parser.add_argument("args", nargs="*")
    parser.add_argument("--games", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.study == "settings":
        for text in args.args or ["{}"]:
            _table(json.loads(text), args.games, args.seed)
        return
    if args.study == "versus-v1":
        for text in args.args or ["{}"]:
            _versus_v1(json.loads(text), args.games, args.seed)
        return
    if args.study == "agreement":
        _agreement(args.args or ["shipped"], args.games)
        return
    if args.study == "known-player":
        _known_player(int(args.args[0]) if args.args else 60, args.games)
        return
    if args.study == "hands":
        _hands([float(t) for t in (args.args or ["0.5"])[0].split(",")], args.games)
        return
    run, generations = Path(args.args[0]), [int(g) for g in args.args[1].split(",")]
    positions = Positions.concatenate([Positions.load(run / f"positions-{g}.npz") for g in generations])
    print(f"{len(positions)} positions from generations {generations}")
    if args.study == "win-only":
        won = np.where(positions.result > 0, 1.0, -1.0).astype(np.float32)
        relabelled = Positions(positions.obs, positions.mask, positions.target, won, positions.search_value)
        path = _trained(relabelled, 0.0, run / "win-only.npz")
        for extra in ({}, {"draw_value": -1.0}):
            _table({"network": str(path), **extra}, args.games, args.seed)
        return
    pool = worker_pool(2)
    try:
        for value_target in (float(v) for v in args.args[2].split(",")):
            path = _trained(positions, value_target, run / f"value-target-{value_target}.npz")
            gate = _gate(make_config({}), str(path), str(network_path("champion_v1")), 12345, pool)
            print(f"value target {value_target}: gate {gate}", flush=True)
    finally:
        pool.shutdown()


if __name__ == "__main__":
    main()
