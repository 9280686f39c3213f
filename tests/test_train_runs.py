"""Training runs end to end: resume, metrics, configs and the command line."""

from __future__ import annotations

import os

import pytest

torch = pytest.importorskip("torch")

from train_support import CONFIGS, SMALL, smoke  # noqa: E402

from beasty._ext import GameBatch  # noqa: E402
from beasty.agents import OPPONENT_NAMES  # noqa: E402
from beasty.cli import main as cli_main  # noqa: E402
from beasty.evaluate import play_match  # noqa: E402
from beasty.train import (  # noqa: E402
    CheckpointError,
    ConfigError,
    NeuralAgent,
    PolicyValueNet,
    Trainer,
    load_checkpoint,
    load_config,
    save_checkpoint,
)


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
