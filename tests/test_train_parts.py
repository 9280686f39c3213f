"""The PPO trainer's parts: schedules, the opponent pool, rollouts and the game-generation backends."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

torch = pytest.importorskip("torch")

from train_support import SMALL  # noqa: E402

from beasty._ext import NUM_ACTIONS, GameBatch  # noqa: E402
from beasty.policy.network import PolicyOutputs, sample_actions  # noqa: E402
from beasty.train import (  # noqa: E402
    AdaptiveOpponentPool,
    ConfigError,
    NeuralAgent,
    PolicyValueNet,
    get_entropy_coef,
    get_temperature,
)
from beasty.train.ppo import compute_gae, evaluate_actions  # noqa: E402
from beasty.train.rollout import (  # noqa: E402
    GameGenerator,
    GroupSpec,
    Snapshot,
    generate_groups,
)


# ------------------------------------------------------------------ schedules
def test_schedule_values():
    assert get_entropy_coef(0, 1000, 0.04, 0.01, "linear") == pytest.approx(0.04)
    assert get_entropy_coef(600, 1000, 0.04, 0.01, "linear") == pytest.approx(0.022)
    assert get_entropy_coef(1000, 1000, 0.04, 0.01, "linear") == pytest.approx(0.01)
    assert get_entropy_coef(500, 1000, 0.04, 0.01, "cosine") == pytest.approx(0.025)
    assert get_entropy_coef(250, 1000, 0.04, 0.01, "cosine") == pytest.approx(
        0.01 + 0.03 * (1 + math.cos(math.pi / 4)) / 2
    )
    assert get_entropy_coef(500, 1000, 0.04, 0.01, "exponential") == pytest.approx(0.02)
    assert get_temperature(600, 1000, 1.0, 0.5, "linear") == pytest.approx(0.7)
    assert get_temperature(2000, 1000, 1.0, 0.5, "linear") == pytest.approx(0.5)  # clipped
    assert get_temperature(1000, 1000, 1.0, 0.25, "exponential") == pytest.approx(0.25)
    with pytest.raises(ValueError):
        get_entropy_coef(1, 10, 0.04, 0.0, "exponential")
    with pytest.raises(ValueError):
        get_temperature(1, 10, 1.0, 0.5, "quadratic")


# ----------------------------------------------------------------------- pool
def test_pool_weights_follow_win_rates_with_floor():
    pool = AdaptiveOpponentPool({"self": 0.5, "checkpoint": 0.0, "random": 0.1, "heuristic": 0.1}, 0.05)
    pool.update({"random": 0.99, "heuristic": 0.4, "online": 0.5})  # online: not a member
    raw = {"self": 0.5, "checkpoint": 0.05, "random": 0.05, "heuristic": 0.6}
    probs = pool.probabilities()
    assert probs == pytest.approx({k: v / 1.2 for k, v in raw.items()})
    assert min(probs.values()) > 0 and sum(probs.values()) == pytest.approx(1.0)
    no_ckpt = pool.probabilities(has_checkpoints=False)
    assert "checkpoint" not in no_ckpt and no_ckpt["self"] == pytest.approx(0.55 / 1.2)
    pool.update({"heuristic": 1.0})
    assert pool.probabilities()["heuristic"] > 0
    counts = pool.sample(10000, np.random.default_rng(0))
    assert sum(counts.values()) == 10000 and counts["self"] / 10000 == pytest.approx(0.5 / 0.65, abs=0.02)
    other = AdaptiveOpponentPool({"self": 1.0})
    other.load_state_dict(pool.state_dict())
    assert other.probabilities() == pool.probabilities()
    with pytest.raises(ValueError):
        pool.update({"random": 1.5})


def test_pool_not_adaptive_keeps_weights():
    pool = AdaptiveOpponentPool({"self": 0.5, "random": 0.5}, adaptive=False)
    pool.update({"random": 1.0})
    assert pool.probabilities() == pytest.approx({"self": 0.5, "random": 0.5})


# ------------------------------------------------------------------- rollouts
def test_gae_matches_reference_loop():
    rng = np.random.default_rng(0)
    values = rng.normal(size=9).astype(np.float32)
    last = np.array([0, 0, 1, 0, 1, 0, 0, 0, 1], dtype=bool)
    rewards = np.where(last, rng.choice([-1.0, 0.0, 1.0], size=9), 0).astype(np.float32)
    adv, ret = compute_gae(values, rewards, last, 0.9, 0.8)
    start = 0
    for end in np.flatnonzero(last):
        v, r = values[start : end + 1], rewards[start : end + 1]
        for t in range(len(v)):
            expected = sum(
                (0.9 * 0.8) ** (k - t) * (r[k] + 0.9 * (v[k + 1] if k + 1 < len(v) else 0.0) - v[k])
                for k in range(t, len(v))
            )
            assert adv[start + t] == pytest.approx(expected, abs=1e-5)
        start = end + 1
    np.testing.assert_allclose(ret, adv + values)
    with pytest.raises(ValueError, match="end a trajectory"):
        compute_gae(values, rewards, np.zeros(9, dtype=bool), 0.9, 0.8)


@pytest.mark.parametrize("encoder", ["attention", "flat"])
@pytest.mark.parametrize("opponent", ["self", "heuristic"])
def test_rollout_logp_at_sampling_temperature(opponent, encoder):
    """The stored log-probabilities and values are the torch network's, also
    when a flat network's rollouts run through the C forward pass."""
    torch.manual_seed(0)
    net = PolicyValueNet(SMALL.model_copy(update={"encoder": encoder}))
    from beasty.agents import make

    spec, agent = GroupSpec(opponent, 16, 3), None if opponent == "self" else make(opponent)
    [data] = generate_groups(PolicyOutputs(net), [spec], [agent], 0.5)
    assert (data.mask[np.arange(len(data)), data.actions] == 1).all()  # never illegal
    net.eval()
    with torch.no_grad():
        logp, _, values = evaluate_actions(
            net, torch.from_numpy(data.obs), torch.from_numpy(data.mask), torch.from_numpy(data.actions), 0.5
        )
    np.testing.assert_allclose(logp.numpy(), data.logp, atol=1e-5)
    np.testing.assert_allclose(values.numpy(), data.values, atol=1e-5)
    per_game = 2 if opponent == "self" else 1  # trajectories per game
    advantages, returns = compute_gae(data.values, data.rewards, data.ends, 0.99, 0.95)
    assert (advantages != 0).any() and data.games == 16
    assert int((returns != 0).sum()) > 0 and len(data) >= 16 * per_game * 9
    assert int(data.ends.sum()) == 16 * per_game  # one trajectory per learner seat and game
    assert set(np.flatnonzero(data.rewards)) <= set(np.flatnonzero(data.ends))
    if opponent != "self":
        assert sum(data.results[opponent]) == 16


@pytest.mark.parametrize("encoder", ["attention", "flat"])
def test_policy_outputs_follow_the_network_as_it_changes(encoder):
    """Playing outputs equal torch's, also after an optimizer step or a
    load_state_dict (a flat network's C copy is rebuilt)."""
    torch.manual_seed(0)
    net = PolicyValueNet(SMALL.model_copy(update={"encoder": encoder}))
    games = GameBatch(64, seed=1)
    obs, _ = games.observe()
    outputs = PolicyOutputs(net)

    def check() -> npt.NDArray[np.float32]:
        logits, values = outputs(obs)
        with torch.no_grad():
            expected_logits, expected_values = net(torch.from_numpy(obs))
        np.testing.assert_allclose(logits, expected_logits.numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(values, expected_values.numpy(), atol=1e-5)
        return logits

    before = check()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    net(torch.from_numpy(obs))[0].sum().backward()
    optimizer.step()
    stepped = check()
    net.load_state_dict(PolicyValueNet(SMALL.model_copy(update={"encoder": encoder})).state_dict())
    loaded = check()
    assert not np.allclose(before, stepped) and not np.allclose(stepped, loaded)


def test_sample_actions_follows_the_tempered_legal_softmax():
    rng = np.random.default_rng(0)
    logits = np.array([[2.0, 0.0, 1.0, 5.0], [0.0, 0.0, 0.0, 0.0]] * 20000, np.float32)
    logits = np.pad(logits, ((0, 0), (0, NUM_ACTIONS - 4)), constant_values=9.0)  # illegal, high
    mask = np.zeros(logits.shape, np.uint8)
    mask[0::2, [0, 1, 2]] = 1  # action 3 (the highest logit) is illegal
    mask[1::2, 2] = 1  # one legal action
    actions, logp = sample_actions(logits, mask, 0.5, rng.random(len(logits)))
    assert (mask[np.arange(len(actions)), actions] == 1).all()
    expected = np.exp(np.array([2.0, 0.0, 1.0]) / 0.5)
    expected /= expected.sum()
    counts = np.bincount(actions[0::2], minlength=3)[:3] / 20000
    np.testing.assert_allclose(counts, expected, atol=0.01)
    np.testing.assert_allclose(logp[0::2], np.log(expected[actions[0::2]]), rtol=1e-5)
    assert (actions[1::2] == 2).all() and np.allclose(logp[1::2], 0.0)


def test_a_group_plays_the_same_games_alone_or_beside_others():
    """generate_groups plays all groups in one batch; each group's rollout
    equals the one it gets alone (what a worker backend plays)."""
    from beasty.agents import make

    torch.manual_seed(3)
    flat = SMALL.model_copy(update={"encoder": "flat"})
    net = PolicyValueNet(flat)
    snapshot = NeuralAgent(PolicyValueNet(flat), False, 0.8, 5, "checkpoint:1")
    specs = [GroupSpec("self", 8, 1), GroupSpec("heuristic", 6, 2), GroupSpec(Snapshot(1), 4, 3),
             GroupSpec("random", 10, 4)]  # fmt: skip

    def opponents(chosen: list[GroupSpec]) -> list[Any]:
        return [None if s.opponent == "self" else snapshot if isinstance(s.opponent, Snapshot)
                else make(s.opponent, seed=s.seed) for s in chosen]  # fmt: skip

    together = generate_groups(PolicyOutputs(net), specs, opponents(specs), 0.8)
    for spec, part in zip(specs, together, strict=True):
        snapshot.reseed(5)
        [alone] = generate_groups(PolicyOutputs(net), [spec], opponents([spec]), 0.8)
        for field in ("obs", "mask", "actions", "logp", "values", "rewards", "ends"):
            np.testing.assert_array_equal(getattr(part, field), getattr(alone, field))
        assert part.results == alone.results and part.games == spec.games


def test_spawn_workers_produce_the_same_games():
    torch.manual_seed(1)
    net = PolicyValueNet(SMALL)
    from beasty.train.rollout import state_dict_to_numpy

    snapshots = {Snapshot(k): state_dict_to_numpy(PolicyValueNet(SMALL)) for k in (5, 7)}
    specs = [GroupSpec("self", 8, 1), GroupSpec("random", 8, 2), GroupSpec(Snapshot(7), 8, 3)]
    local = GameGenerator(0).generate(net, specs, snapshots, 0.8)
    with GameGenerator(2) as gen:
        remote = gen.generate(net, specs, snapshots, 0.8)
    for field in ("obs", "mask", "actions", "logp", "values", "rewards", "ends"):
        np.testing.assert_allclose(getattr(remote, field), getattr(local, field), atol=1e-6)
    assert remote.results == local.results and remote.games == 24


def test_ray_actors_produce_the_same_games():
    """generation.backend: ray, on a local Ray with 2 CPUs: the same rollout
    as in process, also after the weights change (a new version)."""
    pytest.importorskip("ray")
    from beasty.train.ray_workers import RayGameGenerator
    from beasty.train.rollout import state_dict_to_numpy

    torch.manual_seed(2)
    net = PolicyValueNet(SMALL)
    snapshots = {Snapshot(3): state_dict_to_numpy(PolicyValueNet(SMALL))}
    specs = [GroupSpec("self", 8, 1), GroupSpec("heuristic", 8, 2), GroupSpec(Snapshot(3), 8, 3)]
    with RayGameGenerator(2) as gen:
        for _version in range(2):
            local = GameGenerator(0).generate(net, specs, snapshots, 0.8)
            remote = gen.generate(net, specs, snapshots, 0.8)
            for field in ("obs", "mask", "actions"):
                np.testing.assert_array_equal(getattr(remote, field), getattr(local, field))
            # torch's last bits depend on its thread count
            for field in ("logp", "values", "rewards", "ends"):
                np.testing.assert_allclose(getattr(remote, field), getattr(local, field), atol=1e-5)
            assert remote.results == local.results and remote.games == 24
            with torch.no_grad():  # new weights: the actors must pick them up
                for p in net.parameters():
                    p.add_(0.05)


def test_generation_backend_config_and_older_configs():
    from beasty.train.config import config_from_dict

    ray_cfg = config_from_dict({"generation": {"backend": "ray"}, "ray": {"address": "auto"}})
    assert ray_cfg.ray.address == "auto"
    old = config_from_dict({"generation": {"async_game_generation": True, "async_num_workers": 3}})
    assert old.generation.backend == "processes" and old.generation.async_num_workers == 3
    older = config_from_dict({"generation": {"async_game_generation": False}})
    assert older.generation.backend == "inprocess"
    with pytest.raises(ConfigError, match=r"generation\.backend"):
        config_from_dict({"generation": {"backend": "cluster"}})
    with pytest.raises(ConfigError, match="async_game_generation"):
        config_from_dict({"generation": {"async_game_generation": "yes"}})


def test_the_single_machine_backends_never_import_ray(tmp_path):

    code = (
        "import sys\n"
        "from beasty.train.trainer import make_generator\n"
        "from beasty.train.trainer import Trainer\n"
        "for backend in ('inprocess', 'processes'):\n"
        "    with make_generator(backend, 1) as generator:\n"
        "        pass\n"
        "print('ray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
