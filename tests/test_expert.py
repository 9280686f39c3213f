"""The search's guide network (csrc/net.c) and expert iteration
(beasty/train/expert.py): the C forward pass against numpy and torch, the
network as a policy, the file format, the guided search, the training loop."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from beasty._ext import NET_OUTPUTS, NUM_ACTIONS, OBS_DIM, GameBatch, Network, Rng, network_size
from beasty.agents import make
from beasty.agents.guided import (
    SHIPPED_NETWORK,
    NetworkFileError,
    load_network,
    read_network_about,
    save_network,
)
from beasty.evaluate import play_match


def _random_weights(hidden: int, seed: int = 0, depth: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.3, network_size(hidden, depth)).astype(np.float32)


def _numpy_forward(weights: np.ndarray, hidden: int, obs: np.ndarray, depth: int = 1,
                   residual: bool = False) -> np.ndarray:  # fmt: skip
    """csrc/net.h's layout, read independently: W[in][out] then the bias."""
    shapes = [(OBS_DIM, hidden), *[(hidden, hidden)] * depth, (hidden, NET_OUTPUTS)]
    x, at = obs.astype(np.float64), 0
    for k, (n_in, n_out) in enumerate(shapes):
        w = weights[at : at + n_in * n_out].reshape(n_in, n_out)
        at += n_in * n_out
        b = weights[at : at + n_out]
        at += n_out
        y = x @ w + b
        if k < len(shapes) - 1:
            y = np.maximum(y, 0.0)
        x = x + y if residual and 0 < k < len(shapes) - 1 else y
    assert at == len(weights)
    x[:, NUM_ACTIONS] = np.tanh(x[:, NUM_ACTIONS])
    return x


def _positions(n: int, seed: int) -> GameBatch:
    games = GameBatch(n, seed=seed, auto_reset=False)
    rng = Rng(seed)
    for _ in range(int(seed % 13)):
        running = np.flatnonzero(~games.done).astype(np.int32)
        games.step(games.random_actions(rng, running), running)
    return games


@pytest.mark.parametrize(
    ("hidden", "depth", "residual"),
    [(1, 1, False), (7, 1, False), (64, 1, False), (16, 3, True), (9, 2, False), (32, 4, True)],
)
def test_forward_pass_matches_numpy(hidden, depth, residual):
    weights = _random_weights(hidden, hidden, depth) / np.float32(depth)
    net = Network(weights, hidden, depth, residual)
    obs, _ = _positions(32, 5 + hidden).observe()
    obs[:, -8:] += 0.37  # non-binary inputs too
    expected = _numpy_forward(weights, hidden, obs, depth, residual)
    np.testing.assert_allclose(net.forward(obs), expected, rtol=1e-4, atol=1e-4)


def test_forward_pass_matches_the_torch_twin():
    torch = pytest.importorskip("torch")
    from beasty.policy.network import NetworkConfig, PolicyValueNet, c_weights, load_c_weights

    torch.manual_seed(3)
    twin = PolicyValueNet(NetworkConfig(encoder="flat", hidden_dim=16))
    net = Network(c_weights(twin), 16)
    back = PolicyValueNet(NetworkConfig(encoder="flat", hidden_dim=16))
    load_c_weights(back, c_weights(twin))
    np.testing.assert_array_equal(c_weights(back), c_weights(twin))
    with pytest.raises(ValueError, match="flat"):
        c_weights(PolicyValueNet(NetworkConfig()))
    obs, _ = _positions(16, 9).observe()
    logits, value = twin(torch.from_numpy(obs))
    out = net.forward(obs)
    np.testing.assert_allclose(out[:, :NUM_ACTIONS], logits.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(out[:, NUM_ACTIONS], value.detach().numpy(), atol=1e-5)


def test_network_policy_plays_the_best_legal_logit():
    net = Network(_random_weights(8), 8)
    games = _positions(64, 11)
    running = np.flatnonzero(~games.done).astype(np.int32)
    chosen = games.actions(net, 0, running)
    obs, mask = games.observe(running)
    logits = np.where(mask.astype(bool), net.forward(obs)[:, :NUM_ACTIONS], -np.inf)
    assert (chosen == logits.argmax(1)).all()


@pytest.mark.parametrize(
    ("weights", "hidden", "error"),
    [
        (np.zeros(network_size(4), np.float64), 4, TypeError),
        (np.zeros(network_size(4) - 1, np.float32), 4, ValueError),
        (np.zeros((2, network_size(4)), np.float32), 4, ValueError),
        (np.full(network_size(4), np.nan, np.float32), 4, ValueError),
        (np.zeros(10, np.float32), 0, ValueError),
        (np.zeros(10, np.float32), 513, ValueError),
        (np.zeros(10, np.float32), 2.5, TypeError),
    ],
)
def test_bad_networks_raise(weights, hidden, error):
    with pytest.raises(error):
        Network(weights, hidden)


def test_bad_forward_inputs_raise():
    net = Network(_random_weights(4), 4)
    with pytest.raises(TypeError):
        net.forward(np.zeros((2, OBS_DIM), np.float64))
    with pytest.raises(ValueError):
        net.forward(np.zeros((2, OBS_DIM + 1), np.float32))


def test_network_file_round_trip_and_damage(tmp_path):
    weights = _random_weights(6)
    path = save_network(tmp_path / "n.npz", Network(weights, 6), {"generation": 2})
    assert read_network_about(path) == {"generation": 2}
    obs, _ = _positions(4, 3).observe()
    np.testing.assert_array_equal(load_network(path).forward(obs), Network(weights, 6).forward(obs))
    with pytest.raises(NetworkFileError, match="does not exist"):
        load_network(tmp_path / "missing.npz")
    (tmp_path / "cut.npz").write_bytes(path.read_bytes()[:200])
    with pytest.raises(NetworkFileError, match="corrupt"):
        load_network(tmp_path / "cut.npz")
    np.savez(tmp_path / "other.npz", weights=weights)
    with pytest.raises(NetworkFileError, match="not a"):
        load_network(tmp_path / "other.npz")
    np.savez(tmp_path / "size.npz", format="beasty-net-v1", hidden=7, weights=weights, about="{}")
    with pytest.raises(NetworkFileError, match="float32"):
        load_network(tmp_path / "size.npz")
    pickled = np.array({"format": "beasty-net-v1"}, dtype=object)  # refused, never unpickled
    np.savez(tmp_path / "pickled.npz", format=pickled, hidden=6, weights=weights, about="{}")
    with pytest.raises(NetworkFileError, match="corrupt"):
        load_network(tmp_path / "pickled.npz")
    with pytest.raises(ValueError):
        save_network(tmp_path / "nan.npz", Network(np.full(network_size(6), np.inf, np.float32), 6))
    assert not (tmp_path / "nan.npz").exists()


def test_shipped_network_loads_and_says_how_it_was_trained():
    net = load_network()
    about = read_network_about()
    assert net.hidden == about["hidden"] and about["generation"] >= 1
    assert SHIPPED_NETWORK.stat().st_size < 200_000


GUIDED = {"simulations": 60, "candidates": 32, "use_prior": True, "value_weight": 0.5}


@pytest.mark.parametrize("algorithm", ["pimc", "ismcts"])
@pytest.mark.parametrize("value_weight", [0.0, 0.5, 1.0])
def test_guided_search_plays_legal_moves_and_is_deterministic(algorithm, value_weight):
    agent = make("search", algorithm=algorithm, network="shipped", **{**GUIDED, "value_weight": value_weight})
    result = play_match(agent, make("heuristic"), 6, seed=2)  # step() raises on an illegal action
    assert result.mean_length >= 20  # every game played to the end (fewer than 5 cards left)
    games = _positions(8, 6)
    running = np.flatnonzero(~games.done).astype(np.int32)
    assert (agent.act_batch(games, running) == agent.act_batch(games, running)).all()


def test_guided_search_ignores_hidden_cards():
    from test_search import _midgame, _permute_hidden

    agent = make("search", network="shipped", **GUIDED)
    for deal in range(3):
        games = _midgame(300 + deal, 5)
        state = games.get_state(0)
        chosen = agent.act(state, seed=4)
        for k in range(3):
            assert agent.act(_permute_hidden(state, k), seed=4) == chosen


def test_guide_settings_are_checked(tmp_path):
    with pytest.raises(ValueError, match="guide"):
        make("search", value_weight=0.5)  # no network to take the value from
    with pytest.raises(ValueError, match="value_weight"):
        make("search", network="shipped", value_weight=1.5)
    with pytest.raises(TypeError, match="network"):
        make("search", network=3)
    with pytest.raises(NetworkFileError):
        make("search", network=str(tmp_path / "none.npz"))


def test_guided_agents_pickle():
    import pickle

    agent = make("search", network="shipped", **GUIDED)
    copy = pickle.loads(pickle.dumps(agent))
    games = _positions(1, 4)
    assert copy.act(games, 0) == agent.act(games, 0)


SMALL = {"games": 8, "simulations": 8, "fast_simulations": 4, "hidden": 8, "depth": 2, "epochs": 1,
         "workers": 1, "opponents": ["random"], "gate_games": 4, "gate_simulations": 8}  # fmt: skip


def test_playing_records_the_searchers_decisions_and_its_record():
    pytest.importorskip("torch")
    from beasty.agents import ROLLOUT_CHAMPION_SETTINGS
    from beasty.train.expert import make_config, play_games, search_settings

    cfg = make_config(SMALL)
    first = search_settings(cfg, None, 8)  # generation 1: the search without any network
    assert first == {**ROLLOUT_CHAMPION_SETTINGS, "simulations": 8} and "network" not in first
    guided = search_settings(cfg, "x.npz", 8)
    assert guided["network"] == "x.npz" and guided["use_prior"] and guided["value_weight"] == 1.0
    picks = ["self", "random", "self", "random", "random", "self"]
    league = {"random": {"name": "random"}}
    played = play_games(first, {**first, "simulations": 2}, 1.0, league, picks, seed=1)
    positions = played.positions
    assert len(positions) > 6
    np.testing.assert_allclose(positions.target.sum(1), 1.0, atol=1e-6)
    assert not (positions.target[~positions.mask] > 0).any()  # mass on legal actions only
    assert (positions.mask.sum(1) >= 2).all() and set(np.unique(positions.result)) <= {-1.0, 0.0, 1.0}
    assert (np.abs(positions.search_value) <= 1.0).all()
    wins, games = played.record["random"]
    assert games == 3 and 0 <= wins <= 3
    fewer = play_games(first, {**first, "simulations": 2}, 0.3, league, picks, seed=1)
    assert len(fewer.positions) < len(positions)  # playout-cap randomisation records only full searches


def test_expert_iteration_end_to_end_with_gates_and_resume(tmp_path):
    pytest.importorskip("torch")
    from beasty.train.expert import ExpertConfigError, make_config, run_expert

    cfg = make_config({"generations": 2, **SMALL, "gate_threshold": 0.0})  # 4 games decide nothing: promote
    best = run_expert(cfg, tmp_path / "run", progress=False)
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    assert [r["generation"] for r in rows] == ["1", "2"]
    for row in rows:
        assert 0.0 <= float(row["gate_low"]) <= float(row["gate_score"]) <= float(row["gate_high"]) <= 1.0
        assert int(row["gate_wins"]) + int(row["gate_draws"]) + int(row["gate_losses"]) == 4
        assert row["promoted"] == "True"
        assert min(float(row[k]) for k in ("play_seconds", "train_seconds", "gate_seconds")) >= 0
    assert "random" in json.loads(rows[0]["league_win_rates"])  # the league's only member then
    about = read_network_about(tmp_path / "run" / "expert-2.npz")
    assert about["generation"] == 2 and about["hidden"] == 8 and about["depth"] == 2
    assert load_network(tmp_path / "run" / "expert-2.npz").depth == 2
    assert best.name == "expert-2.npz"
    assert (tmp_path / "run" / "best.npz").read_bytes() == best.read_bytes()
    agent = make("search", network=str(best), simulations=20, use_prior=True, value_weight=1.0)
    assert play_match(agent, make("random"), 2, seed=0).games == 2
    with pytest.raises(ExpertConfigError, match="already holds"):  # never overwrites a run
        run_expert(cfg, tmp_path / "run", progress=False)
    run_expert(make_config({**SMALL, "generations": 3}), tmp_path / "run", resume=True, progress=False)
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    assert [r["generation"] for r in rows] == ["1", "2", "3"]  # went on where it stopped
    with pytest.raises(ExpertConfigError, match="no expert run"):
        run_expert(cfg, tmp_path / "empty", resume=True, progress=False)


def test_start_from_makes_a_network_the_first_one_to_beat(tmp_path):
    pytest.importorskip("torch")
    from beasty.train.expert import ExpertConfigError, make_config, run_expert

    start = save_network(tmp_path / "start.npz", Network(_random_weights(6), 6))
    cfg = make_config({**SMALL, "generations": 1, "gate_threshold": 1.0, "start_from": str(start)})
    best = run_expert(cfg, tmp_path / "run", progress=False)
    row = next(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    if row["promoted"] == "False":  # it stays the best unless beaten
        assert best == start.resolve() and row["best"] == "start"
    with pytest.raises(ExpertConfigError, match="start_from"):
        run_expert(make_config({**SMALL, "start_from": str(tmp_path / "none.npz")}), tmp_path / "none")


@pytest.mark.parametrize(
    "overrides",
    [{"games": 0}, {"hidden": 600}, {"self_play": 2.0}, {"opponents": ["nobody"]}, {"opponents": "random"},
     {"seed": -1}, {"learning_rate": "fast"}, {"depth": 0}, {"generations": True}, {"gate_games": 3},
     {"residual": 1}, {"root_noise": 2.0}],
)  # fmt: skip
def test_bad_expert_settings_raise(overrides):
    pytest.importorskip("torch")
    from beasty.train.expert import ExpertConfigError, make_config

    with pytest.raises(ExpertConfigError):
        make_config(overrides)


def test_cli_reports_bad_expert_settings(capsys):
    pytest.importorskip("torch")
    from beasty.cli import main

    with pytest.raises(SystemExit, match="beasty: games must be"):
        main(["expert", "--out", "unused", "--set", "games=0"])


def test_cli_plays_a_network_file(tmp_path, capsys):
    from beasty.cli import main

    path = save_network(tmp_path / "net.npz", Network(_random_weights(8), 8), {"generation": 1})
    assert main(["eval", "--agent", str(path), "--opponents", "random", "--games", "2", "--no-progress"]) == 0
    assert "random" in capsys.readouterr().out
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(SystemExit, match="beasty: cannot load"):
        main(["eval", "--agent", str(tmp_path / "bad.npz"), "--opponents", "random", "--games", "2"])
