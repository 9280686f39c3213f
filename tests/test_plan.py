"""The original plan's config file, exploit-patch cycles and the device setting."""

from __future__ import annotations

import csv

import pytest

pytest.importorskip("torch")

import torch
from train_support import CONFIGS

from beasty.cli import main as cli_main
from beasty.policy.checkpoint import load_checkpoint
from beasty.train import ConfigError, Trainer, load_config
from beasty.train.config import torch_device
from beasty.train.plan import HEURISTIC_VARIANTS, from_plan

PLAN = CONFIGS / "plan_iter600_to_1000.yaml"
#: The plan at a size CI runs in seconds: its own settings otherwise.
SMALLER = {
    "device": "cpu", "progress": False, "network.hidden_dim": 16, "network.num_heads": 2,
    "network.num_layers": 1, "network.species_embedding_dim": 8, "generation.games_per_iteration": 32,
    "generation.games_per_chunk": 16, "generation.backend": "inprocess", "total_iterations": 2,
    "eval.games": 4, "eval.frequency": 1, "opponents.exploit_patch.interval": 1,
    "opponents.exploit_patch.iterations": 2, "opponents.exploit_patch.games": 16,
    "opponents.exploit_patch.eval_games": 8, "opponents.exploit_patch.keep_threshold": 0.0,
}  # fmt: skip


def test_the_plans_file_maps_onto_todays_settings():
    notes: list[str] = []
    cfg = load_config("plan_iter600_to_1000", on_note=notes.append)
    assert (cfg.network.encoder, cfg.network.hidden_dim, cfg.network.num_heads, cfg.network.num_layers) == (
        "attention", 256, 8, 4
    )
    assert (cfg.network.dropout, cfg.network.species_embedding_dim) == (0.1, 64)
    ppo = cfg.ppo
    assert (ppo.learning_rate, ppo.epochs, ppo.minibatch_size, ppo.target_kl) == (1e-4, 4, 2048, 0.02)
    assert cfg.ppo.value_clip == cfg.ppo.clip_epsilon == 0.2  # clip_value: true
    assert (cfg.total_iterations, cfg.checkpoint_frequency, cfg.eval.frequency) == (1000, 50, 25)
    assert cfg.generation.games_per_iteration == 8192 and cfg.generation.backend == "processes"
    assert cfg.generation.async_num_workers == 32 and cfg.seed == 42 and cfg.device == "cuda"
    assert (cfg.entropy.start, cfg.entropy.end, cfg.temperature.end) == (0.04, 0.01, 0.5)
    assert cfg.opponents.adaptive and cfg.opponents.min_weight == 0.05
    weights = cfg.opponents.weights
    assert (weights["self"], weights["checkpoint"], weights["random"]) == (0.5, 0.1, 0.1)
    assert all(weights[name] == pytest.approx(0.3 / 9) for name in HEURISTIC_VARIANTS)
    assert cfg.opponents.exploit_patch.interval == 100 and cfg.run_name == "iter600_to_1000"
    assert any(note.endswith("force_cython: the C engine is the only path here, so it is always on")
               for note in notes)  # fmt: skip
    assert any("buffer_size" in note for note in notes)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"games_per_iteration": 64, "colour": 1}, "unknown plan key.*colour"),
        ({"ppo_config": {"lr": 1}}, "ppo_config.lr"),
        ({"opponent_config": {"minimax_weight": 1}}, "opponent_config.minimax_weight"),
        ({"network_config": [1]}, "network_config must be a mapping"),
        ({"ppo_config": {"ppo_epochs": 0}}, "ppo.epochs must be in"),
        ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
        ({"use_exploit_patch": "yes"}, "use_exploit_patch must be true or false"),
        ({"ppo_config": {"clip_value": 1}}, "ppo_config.clip_value must be true or false"),
    ],
)
def test_a_bad_plan_file_names_the_key(tmp_path, data, match):
    import yaml

    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"experiment_name": "x", **data}))
    with pytest.raises(ConfigError, match=match):
        load_config(path)


def test_heuristic_weight_goes_to_heuristic_alone_without_variants():
    out, _ = from_plan({"opponent_config": {"heuristic_weight": 0.3}, "use_heuristic_variants": False})
    assert out["opponents"]["weights"] == {"heuristic": 0.3}


def test_the_plan_runs_two_iterations_with_exploiters(tmp_path, capsys):
    """The shipped plan file, as written but for its size and device: two
    iterations, an exploit-patch cycle after each, through the CLI."""
    sets = [arg for k, v in {**SMALLER, "out_dir": str(tmp_path)}.items() for arg in ("--set", f"{k}={v}")]
    assert cli_main(["train", "--config", "plan_iter600_to_1000", *sets]) == 0
    out = capsys.readouterr().out
    assert "beasty: plan_iter600_to_1000.yaml: force_cython" in out
    assert "exploiter of iteration 1 wins" in out and "against the exploiters kept in the pool" in out
    run = tmp_path / "iter600_to_1000"
    rows = list(csv.reader((run / "metrics.csv").open()))[1:]
    logged = {(int(it), key): float(value) for it, key, value in rows}
    for it in (1, 2):
        assert 0.0 <= logged[it, "exploit/win_rate"] <= 1.0 and logged[it, "exploit/kept"] == 1.0
    assert logged[2, "exploit/exploiters"] == 2.0 and (2, "eval/win_rate/exploiter:1") in logged
    assert (2, "pool/weight/exploiter:1") in logged  # the adaptive pool treats it like any opponent
    saved = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert sorted(saved["exploiters"]) == ["1", "2"]
    more = {**SMALLER, "out_dir": str(tmp_path), "total_iterations": 3,
            "resume_from": str(run / "checkpoints" / "latest.pt")}  # fmt: skip
    resumed = Trainer(load_config(PLAN, more, on_note=print), echo=lambda s: None)
    assert sorted(resumed.exploiters) == [1, 2]
    assert {"exploiter:1", "exploiter:2"} <= set(resumed.pool.probabilities())


def test_device_auto_is_the_cpu_here_and_cuda_without_a_gpu_is_refused():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert torch_device("auto") == torch.device("cpu") == torch_device("cpu")
    with pytest.raises(ConfigError, match="device cuda: torch sees no GPU"):
        torch_device("cuda")
    with pytest.raises(SystemExit, match="beasty: device cuda: torch sees no GPU"):
        cli_main(["train", "--config", "smoke", "--set", "device=cuda"])


def test_a_checkpoint_holds_cpu_tensors_whatever_the_device(tmp_path):
    cfg = load_config(PLAN, {**SMALLER, "out_dir": str(tmp_path)}, on_note=print)
    trainer = Trainer(cfg, echo=lambda s: None)
    payload = trainer.state_payload()
    assert all(t.device.type == "cpu" for t in payload["model"].values())


@pytest.mark.parametrize("start", ["fresh", "learner"])
def test_an_exploiter_starts_fresh_or_from_the_learner(tmp_path, start):
    import numpy as np

    from beasty.train.rollout import GameGenerator, state_dict_to_numpy

    sets = {**SMALLER, "out_dir": str(tmp_path), "ppo.learning_rate": 1e-12, "ppo.min_learning_rate": 0.0,
            "opponents.exploit_patch.iterations": 1, "opponents.exploit_patch.start": start}  # fmt: skip
    trainer = Trainer(load_config(PLAN, sets, on_note=print), echo=lambda s: None)
    trainer.iteration = 3
    with GameGenerator(0) as generator:
        metrics = trainer.exploit_patch(generator)
    assert metrics["exploit/kept"] == 1.0 and list(trainer.exploiters) == [3]
    learner = state_dict_to_numpy(trainer.net)
    same = all(np.allclose(trainer.exploiters[3][k], learner[k], atol=1e-6) for k in learner)
    assert same == (start == "learner")  # a learning rate of 1e-12 leaves the start as it was
