"""The PPO training system: schedules, pool, update, resume, workers, files."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

torch = pytest.importorskip("torch")

from beasty._ext import NUM_ACTIONS, GameBatch  # noqa: E402
from beasty.agents import OPPONENT_NAMES  # noqa: E402
from beasty.cli import main as cli_main  # noqa: E402
from beasty.evaluate import play_match  # noqa: E402
from beasty.policy.network import NetworkConfig, PolicyOutputs, sample_actions  # noqa: E402
from beasty.train import (  # noqa: E402
    AdaptiveOpponentPool,
    CheckpointError,
    ConfigError,
    NeuralAgent,
    PolicyValueNet,
    Trainer,
    get_entropy_coef,
    get_temperature,
    load_checkpoint,
    load_config,
    save_checkpoint,
)
from beasty.train.config import PPOConfig, shipped_configs  # noqa: E402
from beasty.train.ppo import compute_losses, evaluate_actions, ppo_update  # noqa: E402
from beasty.train.rollout import (  # noqa: E402
    GameGenerator,
    GroupSpec,
    compute_gae,
    generate_groups,
)
from beasty.train.trainer import TrainingDiverged  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "beasty" / "configs"
SMALL = NetworkConfig(hidden_dim=32, num_heads=2, num_layers=1, dropout=0.0, species_embedding_dim=8)


def smoke(tmp_path: Path, **overrides: object):
    return load_config(CONFIGS / "smoke.yaml", {"out_dir": str(tmp_path), **overrides})


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
    net = PolicyValueNet(replace(SMALL, encoder=encoder))
    from beasty.agents import make

    spec, agent = GroupSpec(opponent, 16, 3), None if opponent == "self" else make(opponent)
    [data] = generate_groups(PolicyOutputs(net), [spec], [agent], 0.5, 0.99, 0.95)
    assert (data.mask[np.arange(len(data)), data.actions] == 1).all()  # never illegal
    net.eval()
    with torch.no_grad():
        logp, _, values = evaluate_actions(
            net, torch.from_numpy(data.obs), torch.from_numpy(data.mask), torch.from_numpy(data.actions), 0.5
        )
    np.testing.assert_allclose(logp.numpy(), data.logp, atol=1e-5)
    np.testing.assert_allclose(values.numpy(), data.values, atol=1e-5)
    per_game = 2 if opponent == "self" else 1  # trajectories per game
    assert (data.advantages != 0).any() and data.games == 16
    assert int((data.returns != 0).sum()) > 0 and len(data) >= 16 * per_game * 9
    if opponent != "self":
        assert sum(data.results[opponent]) == 16


@pytest.mark.parametrize("encoder", ["attention", "flat"])
def test_policy_outputs_follow_the_network_as_it_changes(encoder):
    """Playing outputs equal torch's, also after an optimizer step or a
    load_state_dict (a flat network's C copy is rebuilt)."""
    torch.manual_seed(0)
    net = PolicyValueNet(replace(SMALL, encoder=encoder))
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
    net.load_state_dict(PolicyValueNet(replace(SMALL, encoder=encoder)).state_dict())
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
    net = PolicyValueNet(replace(SMALL, encoder="flat"))
    snapshot = NeuralAgent(PolicyValueNet(replace(SMALL, encoder="flat")), False, 0.8, 5, "checkpoint:1")
    specs = [GroupSpec("self", 8, 1), GroupSpec("heuristic", 6, 2), GroupSpec("checkpoint:1", 4, 3),
             GroupSpec("random", 10, 4)]  # fmt: skip

    def opponents(chosen: list[GroupSpec]) -> list[Any]:
        return [None if s.opponent == "self" else snapshot if s.opponent.startswith("checkpoint")
                else make(s.opponent, seed=s.seed) for s in chosen]  # fmt: skip

    together = generate_groups(PolicyOutputs(net), specs, opponents(specs), 0.8, 0.99, 0.95)
    for spec, part in zip(specs, together, strict=True):
        snapshot.reseed(5)
        [alone] = generate_groups(PolicyOutputs(net), [spec], opponents([spec]), 0.8, 0.99, 0.95)
        for field in ("obs", "mask", "actions", "logp", "values", "advantages", "returns"):
            np.testing.assert_array_equal(getattr(part, field), getattr(alone, field))
        assert part.results == alone.results and part.games == spec.games


def test_spawn_workers_produce_the_same_games():
    torch.manual_seed(1)
    net = PolicyValueNet(SMALL)
    from beasty.train.rollout import state_dict_to_numpy

    snapshots = {5: state_dict_to_numpy(PolicyValueNet(SMALL)), 7: state_dict_to_numpy(PolicyValueNet(SMALL))}
    specs = [GroupSpec("self", 8, 1), GroupSpec("random", 8, 2), GroupSpec("checkpoint:7", 8, 3)]
    local = GameGenerator(0).generate(net, specs, snapshots, 0.8, 0.99, 0.95)
    with GameGenerator(2) as gen:
        remote = gen.generate(net, specs, snapshots, 0.8, 0.99, 0.95)
    for field in ("obs", "mask", "actions", "logp", "values", "advantages", "returns"):
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
    snapshots = {3: state_dict_to_numpy(PolicyValueNet(SMALL))}
    specs = [GroupSpec("self", 8, 1), GroupSpec("heuristic", 8, 2), GroupSpec("checkpoint:3", 8, 3)]
    with RayGameGenerator(2) as gen:
        for _version in range(2):
            local = GameGenerator(0).generate(net, specs, snapshots, 0.8, 0.99, 0.95)
            remote = gen.generate(net, specs, snapshots, 0.8, 0.99, 0.95)
            for field in ("obs", "mask", "actions"):
                np.testing.assert_array_equal(getattr(remote, field), getattr(local, field))
            # torch's last bits depend on its thread count
            for field in ("logp", "values", "advantages", "returns"):
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
    import subprocess
    import sys

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


# --------------------------------------------------------------------- update
def _batch(seed: int = 0):
    torch.manual_seed(seed)
    net = PolicyValueNet(SMALL)
    data = GameGenerator(0).generate(
        net, [GroupSpec("self", 32, seed), GroupSpec("random", 32, seed + 1)], {}, 1.0, 0.99, 0.95
    )
    return net, data


def _total_loss(net, data, cfg):
    net.eval()
    t = {
        k: torch.from_numpy(getattr(data, k))
        for k in ("obs", "mask", "actions", "logp", "values", "advantages", "returns")
    }
    with torch.no_grad():
        return compute_losses(
            net,
            t["obs"],
            t["mask"],
            t["actions"],
            t["logp"],
            t["values"],
            t["advantages"],
            t["returns"],
            cfg,
            0.01,
            1.0,
        )[0].item()


def test_ppo_update_lowers_the_loss_on_a_fixed_batch():
    net, data = _batch()
    cfg = PPOConfig(learning_rate=1e-3, epochs=8, minibatch_size=256)
    before = _total_loss(net, data, cfg)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    stats = ppo_update(net, opt, data, cfg, 0.01, 1.0, torch.Generator().manual_seed(0))
    assert _total_loss(net, data, cfg) < before - 1e-3
    assert stats.grad_norm_post_clip <= cfg.max_grad_norm + 1e-4
    assert stats.grad_norm_pre_clip >= stats.grad_norm_post_clip - 1e-6
    assert not stats.early_stopped and stats.epochs == pytest.approx(8)


def test_target_kl_really_stops():
    net, data = _batch(2)
    cfg = PPOConfig(learning_rate=5e-3, epochs=10, minibatch_size=128, target_kl=1e-7)
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    stats = ppo_update(net, opt, data, cfg, 0.0, 1.0, torch.Generator().manual_seed(0))
    # the first minibatch has ratio 1 exactly (KL 0); the update after it must trip the limit
    assert stats.early_stopped and stats.minibatches <= 3 and stats.epochs < 1


# ------------------------------------------------------------ training + resume
def _params(trainer):
    return {k: v.clone() for k, v in trainer.net.state_dict().items()}


def test_resume_reproduces_the_uninterrupted_run(tmp_path):
    full = Trainer(smoke(tmp_path / "a", total_iterations=4), echo=lambda s: None)
    full.train()
    part = Trainer(smoke(tmp_path / "b", total_iterations=4), echo=lambda s: None)
    part.train(until=2)
    ckpt = tmp_path / "b" / "smoke" / "checkpoints" / "iter_0002.pt"
    resumed = Trainer(
        smoke(tmp_path / "b", total_iterations=4, resume_from=str(ckpt), start_iteration=2),
        echo=lambda s: None,
    )
    assert resumed.iteration == 2
    resumed.train()
    a, b = _params(full), _params(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert full.pool.state_dict() == resumed.pool.state_dict()
    assert [r.to_dict() for r in full.last_eval] == [r.to_dict() for r in resumed.last_eval]

    def logged(run):
        rows = (tmp_path / run / "smoke" / "metrics.csv").read_text().splitlines()[1:]
        return sorted(tuple(r.split(",")[:2]) for r in rows)

    assert logged("a") == logged("b")  # every iteration logged exactly once
    assert not list((tmp_path / "b" / "smoke" / "checkpoints").glob("*.tmp"))


def test_training_logs_required_metrics_and_evaluates_all_ten(tmp_path):
    trainer = Trainer(smoke(tmp_path), echo=lambda s: None)
    results = trainer.train()
    assert [r.opponent for r in results] == list(OPPONENT_NAMES)
    text = (tmp_path / "smoke" / "metrics.csv").read_text()
    for key in (
        "train/grad_norm_pre_clip",
        "train/grad_norm_post_clip",
        "train/entropy_coef",
        "train/temperature",
        "eval/win_rate/distilled_outcome",
        "pool/weight/self",
        "time/decisions_per_second",
    ):
        assert key in text
    assert (tmp_path / "smoke" / "eval_final.json").exists()
    assert list((tmp_path / "smoke" / "tb").iterdir())
    assert {p.name for p in (tmp_path / "smoke" / "plots").iterdir()} == {"win_rates.png", "training.png"}
    again = Trainer(smoke(tmp_path, total_iterations=1), echo=lambda s: None)
    assert again.run_dir == tmp_path / "smoke-2"  # the first run's files are kept
    again.train()
    assert (tmp_path / "smoke" / "metrics.csv").read_text() == text


def test_start_iteration_mismatch_and_bad_checkpoints(tmp_path):
    trainer = Trainer(smoke(tmp_path), echo=lambda s: None)
    trainer.train(until=1)
    ckpt = tmp_path / "smoke" / "checkpoints" / "iter_0001.pt"
    with pytest.raises(ConfigError, match="iteration 1"):
        Trainer(smoke(tmp_path, resume_from=str(ckpt), start_iteration=600))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"), pytest.warns(UserWarning, match="no checksum"):
        load_checkpoint(bad)
    truncated = tmp_path / "trunc.pt"
    truncated.write_bytes(ckpt.read_bytes()[:1000])
    with pytest.raises(CheckpointError):
        load_checkpoint(truncated)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not a"), pytest.warns(UserWarning, match="no checksum"):
        load_checkpoint(other)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    wider = smoke(tmp_path, resume_from=str(ckpt))
    wider.network.hidden_dim = 64
    with pytest.raises(CheckpointError, match="does not fit"):
        Trainer(wider)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_checkpoints_load_weights_only(tmp_path):
    path = tmp_path / "evil.pt"
    payload = {k: 0 for k in ("iteration", "config", "model", "optimizer", "pool", "snapshots", "rng")}
    save_checkpoint(path, {**payload, "x": Evil()})
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


# --------------------------------------------------------------------- config
def test_shipped_configs_load():
    cfg = load_config(CONFIGS / "iter600_to_1000.yaml")
    assert cfg.start_iteration == 600 and cfg.total_iterations == 1000
    assert (cfg.entropy.start, cfg.entropy.end, cfg.entropy.decay) == (0.04, 0.01, "linear")
    assert (cfg.temperature.start, cfg.temperature.end, cfg.temperature.decay) == (1.0, 0.5, "linear")
    assert cfg.opponents.adaptive and cfg.opponents.min_weight == 0.05
    assert cfg.eval.opponents == list(OPPONENT_NAMES)
    assert cfg.resume_from and cfg.resume_from.endswith("iter_0600.pt")
    default = load_config(CONFIGS / "default.yaml")
    assert default.resume_from is None and default.eval.opponents == list(OPPONENT_NAMES)


@pytest.mark.parametrize(
    "text,match",
    [
        ("a: [1, 2", "not valid YAML"),
        ("- 1\n- 2\n", "mapping"),
        ("total_iteratons: 5\n", "unknown config key"),
        ("ppo: {learning_rate: fast}\n", "ppo.learning_rate must be a number"),
        ("network: {hidden_dim: 30, num_heads: 4}\n", "num_heads must divide"),
        ("network: {encoder: convolution}\n", "network.encoder must be one of attention, flat"),
        ("network: {encoder: 3}\n", "network.encoder must be"),
        ("entropy: {start: 0.1, end: 0.0, decay: exponential}\n", "exponential"),
        ("opponents: {weights: {self: 1.0, minimax: 1.0}}\n", "unknown opponent"),
        ("eval: {games: 3}\n", "even"),
        ("progress: 1\n", "true or false"),
        ("ppo: {value_coef: .nan}\n", "ppo.value_coef must be a finite number"),
        ("entropy: {start: .inf}\n", "entropy.start must be a finite number"),
        ("ppo: {clip_epsilon: .inf}\n", "ppo.clip_epsilon must be a finite number"),
        ("ppo: {value_clip: -1}\n", "ppo.value_clip must be in"),
        ("opponents: {weights: {self: .inf}}\n", "opponents.weights.self must be a finite"),
        ("network: {hidden_dim: 100000000}\n", "network.hidden_dim must be in"),
        ("generation: {games_per_iteration: 10000000000}\n", "generation.games_per_iteration"),
        ("ppo: {minibatch_size: 0}\n", "ppo.minibatch_size must be in"),
        ("seed: -1\n", "seed must be in"),
        ("seed: 1180591620717411303424\n", "seed must be in"),
        ("run_name: ../../elsewhere\n", "run_name must be a plain folder name"),
        ("run_name: ..\n", "run_name must be a plain folder name"),
        ("run_name: ''\n", "run_name must be a plain folder name"),
    ],
)
def test_bad_yaml_raises(tmp_path, text, match):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_config(path)


# ------------------------------------------------------------------------ CLI
def test_cli_eval_and_checkpoint_agent(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        cli_main(
            [
                "eval",
                "--agent",
                "heuristic",
                "--opponents",
                "random,online",
                "--games",
                "20",
                "--json",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert "online" in capsys.readouterr().out and out.exists()
    trainer = Trainer(smoke(tmp_path), echo=lambda s: None)
    trainer.train(until=1)
    ckpt = tmp_path / "smoke" / "checkpoints" / "iter_0001.pt"
    assert (
        cli_main(["eval", "--agent", str(ckpt), "--opponents", "random", "--games", "10", "--no-progress"])
        == 0
    )
    assert "ppo@1" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["eval", "--agent", "nobody", "--games", "10"])
    with pytest.raises(SystemExit):
        cli_main(["eval", "--agent", "random", "--games", "7", "--no-progress"])


def test_neural_agent_greedy_is_legal_and_deterministic():
    torch.manual_seed(0)
    agent = NeuralAgent(PolicyValueNet(SMALL), greedy=True)
    r1 = play_match(agent, NeuralAgent(PolicyValueNet(SMALL), greedy=False, seed=3), 20, seed=4)
    r2 = play_match(agent, NeuralAgent(agent.net, greedy=False, seed=3), 20, seed=4)
    assert r1.games == r2.games == 20
    games = GameBatch(4, seed=1)
    acts = agent.act_batch(games, [0, 1, 2, 3])
    assert all(a in games.legal_actions(i) for i, a in enumerate(acts))


def test_iter600_to_1000_config_resumes_at_600(tmp_path):
    """The shipped config continues an iteration-600 checkpoint with the
    schedules of the 1000-iteration plan (small generation sizes here)."""
    small = {"out_dir": str(tmp_path), "generation.games_per_iteration": 64, "generation.games_per_chunk": 32,
             "progress": False}  # fmt: skip
    first = Trainer(
        load_config(
            CONFIGS / "iter600_to_1000.yaml", {**small, "resume_from": None, "start_iteration": None}
        ),
        echo=lambda s: None,
    )
    first.iteration = 600  # stands in for 600 iterations of training
    ckpt = first.save(tmp_path / "main" / "checkpoints" / "iter_0600.pt")
    cfg = load_config(CONFIGS / "iter600_to_1000.yaml", {**small, "resume_from": str(ckpt)})
    trainer = Trainer(cfg, echo=lambda s: None)
    assert trainer.iteration == 600 and trainer.run_dir == tmp_path / "main"
    trainer.train(until=601)
    assert (tmp_path / "main" / "checkpoints" / "iter_0601.pt").exists()
    rows = [r.split(",") for r in (tmp_path / "main" / "metrics.csv").read_text().splitlines()[1:]]
    logged = {k: float(v) for it, k, v in rows if it == "601"}
    assert logged["train/entropy_coef"] == pytest.approx(0.022)
    assert logged["train/temperature"] == pytest.approx(0.7)


# ------------------------------------------------------------------- hardening
def test_until_must_be_a_future_iteration_and_out_dir_writable(tmp_path):
    trainer = Trainer(smoke(tmp_path), echo=lambda s: None)
    with pytest.raises(ConfigError, match="--until 0 must be after the current iteration 0"):
        trainer.train(until=0)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="out_dir"):
        Trainer(smoke(blocker / "runs"), echo=lambda s: None).train()
    with pytest.raises(SystemExit, match=r"beasty: --set ppo\.epochs: the value is not valid YAML"):
        cli_main(["train", "--config", str(CONFIGS / "smoke.yaml"), "--set", "ppo.epochs=[1"])
    with pytest.raises(SystemExit, match="beasty: out_dir"):
        cli_main(["train", "--config", str(CONFIGS / "smoke.yaml"), "--set", f"out_dir={blocker}"])


def test_non_finite_weights_are_never_saved(tmp_path):
    trainer = Trainer(smoke(tmp_path), echo=lambda s: None)
    step = trainer.optimizer.step

    def diverging_step(*args, **kwargs):  # an update that blows up, as a too-high rate does
        step(*args, **kwargs)
        with torch.no_grad():
            next(trainer.net.parameters()).fill_(float("nan"))

    trainer.optimizer.step = diverging_step
    with pytest.raises(TrainingDiverged, match="iteration 1"):
        trainer.train()
    assert not list((tmp_path / "smoke" / "checkpoints").iterdir())
    with pytest.raises(CheckpointError, match="non-finite"):
        trainer.save(tmp_path / "nan.pt")
    assert not (tmp_path / "nan.pt").exists()


def _saved(tmp_path):
    Trainer(smoke(tmp_path), echo=lambda s: None).train()
    return tmp_path / "smoke" / "checkpoints" / "iter_0001.pt"


def test_checkpoint_checksum_finds_flipped_bytes(tmp_path):
    ckpt = _saved(tmp_path)
    raw = bytearray(ckpt.read_bytes())
    assert load_checkpoint(ckpt)["iteration"] == 1
    rng = np.random.default_rng(0)
    for trial in range(20):
        flipped = bytearray(raw)
        position = int(rng.integers(len(raw) // 2, len(raw)))  # inside the payload
        flipped[position] ^= 0x20
        bad = tmp_path / f"flip{trial}.pt"
        bad.write_bytes(bytes(flipped))
        with pytest.raises(CheckpointError, match="checksum"):
            load_checkpoint(bad)
    assert oct(ckpt.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert oct((tmp_path / "smoke" / "eval_final.json").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    "field,value,match",
    [
        ("model", [1, 2], "model must map"),
        ("config", "a: [1, 2", "not valid YAML"),
        ("config", "- 1\n", "YAML mapping"),
        ("iteration", "abc", "iteration must be an integer"),
        ("snapshots", [1], "snapshots must map"),
        ("pool", None, "pool must be a mapping"),
    ],
)
def test_malformed_checkpoints_get_clear_messages(tmp_path, capsys, field, value, match):
    good = load_checkpoint(_saved(tmp_path))
    bad = tmp_path / "bad.pt"
    save_checkpoint(bad, {**{k: v for k, v in good.items() if k != "format"}, field: value})
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(bad)
    with pytest.raises(SystemExit, match=f"beasty: cannot load {bad}.*{match}"):
        cli_main(["eval", "--agent", str(bad), "--games", "2", "--no-progress"])
    with pytest.raises(SystemExit, match=f"beasty: .*{match}"):
        cli_main(["train", "--config", str(CONFIGS / "smoke.yaml"), "--set", f"out_dir={tmp_path}",
                  "--set", f"resume_from={bad}"])  # fmt: skip


def test_stale_temporaries_of_a_killed_write_are_removed(tmp_path):
    folder = tmp_path / "smoke" / "checkpoints"
    folder.mkdir(parents=True)
    stale = folder / "latest.ptab12cd.tmp"
    stale.write_bytes(b"half a checkpoint")
    said = []
    Trainer(smoke(tmp_path, total_iterations=1), echo=said.append).train()
    assert not stale.exists() and any("removed" in line for line in said)


@pytest.mark.parametrize("seed", ["-1", "18446744073709551616", "abc"])
def test_eval_seed_out_of_range_is_a_usage_error(seed, capsys):
    with pytest.raises(SystemExit):
        cli_main(["eval", "--agent", "random", "--games", "2", "--seed", seed])
    assert "--seed" in capsys.readouterr().err


def test_eval_json_path_is_checked_before_playing(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit, match="beasty: --json"):
        cli_main(["eval", "--agent", "random", "--games", "2", "--json", str(blocker / "r.json")])
    assert "reference opponents" not in capsys.readouterr().out  # nothing was played


def test_sigterm_checkpoints_the_iteration_in_flight_and_resume_continues(tmp_path):
    config = tmp_path / "long.yaml"
    config.write_text(
        (CONFIGS / "smoke.yaml").read_text()
        + f"out_dir: {tmp_path}\ntotal_iterations: 100000\ncheckpoint_frequency: 100000\n"
        + "eval: {frequency: 100000, games: 2}\n"
    )
    config.write_text(config.read_text().replace("eval: {frequency: 2, games: 20}\n", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "beasty.cli", "train", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("beasty train: run"), first
    metrics = tmp_path / "smoke" / "metrics.csv"
    deadline = time.monotonic() + 120
    while metrics.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # iteration 1 logged: the signal lands with an iteration in flight
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, out
    saved = sorted((tmp_path / "smoke" / "checkpoints").glob("iter_*.pt"))
    assert len(saved) == 1 and f"--set resume_from={saved[0]}" in out
    iteration = load_checkpoint(saved[0])["iteration"]
    resumed = Trainer(load_config(config, {"resume_from": str(saved[0])}), echo=lambda s: None)
    assert resumed.iteration == iteration >= 1
    resumed.train(until=iteration + 1)
    assert resumed.iteration == iteration + 1


def test_latest_names_the_newest_run_and_final_table_equals_beasty_eval(tmp_path):
    said: list[str] = []
    Trainer(smoke(tmp_path), echo=said.append).train()
    second = Trainer(smoke(tmp_path), echo=said.append)
    second.train()
    assert second.run_dir.name == "smoke-2"
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == second.run_dir.resolve()
    assert f"run folder {second.run_dir}" in said[-1]
    final = json.loads((second.run_dir / "eval_final.json").read_text())["results"]
    out = tmp_path / "again.json"
    opponents = ",".join(r["opponent"] for r in final)
    cli_main(["eval", "--agent", str(latest / "checkpoints" / "latest.pt"), "--opponents", opponents,
              "--games", str(final[0]["games"]), "--json", str(out), "--no-progress"])  # fmt: skip
    again = json.loads(out.read_text())["results"]
    assert [(r["wins"], r["losses"], r["draws"]) for r in again] == [
        (r["wins"], r["losses"], r["draws"]) for r in final
    ]


def test_shipped_configs_are_found_by_name():
    assert {"default", "long", "smoke", "iter600_to_1000"} <= set(shipped_configs())
    assert load_config("smoke").run_name == "smoke"
    with pytest.raises(ConfigError, match="shipped configs: default"):
        load_config("no-such-config")


# ------------------------------------------------------------ inference package
def test_weights_round_trip_and_bad_files(tmp_path):
    from beasty.policy import WeightsError, load_weights, save_weights

    torch.manual_seed(0)
    net = PolicyValueNet(SMALL)
    path = save_weights(tmp_path / "w.pt", net, {"run": "test"})
    again = load_weights(path)
    obs = torch.from_numpy(GameBatch(8, seed=1).observe()[0])
    assert all(torch.equal(a, b) for a, b in zip(net(obs), again(obs), strict=True))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(WeightsError, match="corrupt"):
        load_weights(tmp_path / "junk.pt")
    with torch.no_grad():
        next(net.parameters()).fill_(float("inf"))
    with pytest.raises(WeightsError, match="non-finite"):
        save_weights(tmp_path / "inf.pt", net)


@pytest.mark.parametrize("encoder", ["attention", "flat"])
def test_training_exports_weights_that_beasty_eval_plays(tmp_path, capsys, encoder):
    from beasty.policy import load_weights

    Trainer(smoke(tmp_path, **{"network.encoder": encoder}), echo=lambda s: None).train()
    weights = tmp_path / "smoke" / "policy.pt"
    assert load_weights(weights).cfg.encoder == encoder
    assert cli_main(["eval", "--agent", str(weights), "--opponents", "random", "--games", "4",
                     "--no-progress"]) == 0  # fmt: skip
    assert "policy vs reference opponents" in capsys.readouterr().out


def test_the_shipped_network_plays_as_ppo():
    from beasty.agents import AGENT_NAMES, make
    from beasty.policy import SHIPPED, read_about

    assert "ppo" in AGENT_NAMES and SHIPPED.is_file() and SHIPPED.stat().st_size < 3_000_000
    agent = make("ppo")
    games = GameBatch(16, seed=2)
    actions = agent.act_batch(games, np.arange(16))
    assert all(a in games.legal_actions(i) for i, a in enumerate(actions))
    assert read_about()["run"] == "long"
    result = play_match(agent, make("random"), 40, seed=1)
    assert result.win_rate > 0.8


def test_evaluation_workers_run_torch_on_one_thread_each():
    """--workers N is the parallelism: each worker's torch keeps to one
    thread instead of one per core (oversubscription)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from beasty.match import one_thread_per_worker

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=one_thread_per_worker) as pool:
        assert pool.submit(torch.get_num_threads).result() == 1


@pytest.mark.parametrize(
    ("module", "preset", "expected"),
    [("beasty.policy", None, "PASSIVE"), ("beasty.train", None, "PASSIVE"),
     ("beasty.policy", "ACTIVE", "ACTIVE"), ("beasty", None, "unset"), ("beasty.agents", None, "unset")],
)  # fmt: skip
def test_torch_users_make_openmp_wait_passively_unless_told(module, preset, expected, tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if preset is not None:
        env["OMP_WAIT_POLICY"] = preset
    code = f"import {module}, os; print(os.environ.get('OMP_WAIT_POLICY', 'unset'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.stdout.strip() == expected, out.stderr
