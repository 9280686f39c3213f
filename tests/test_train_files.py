"""Training's files and signals: checkpoints, weights, interrupted runs, threads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from train_support import CONFIGS, SMALL, smoke  # noqa: E402

from beasty._ext import GameBatch  # noqa: E402
from beasty.cli import main as cli_main  # noqa: E402
from beasty.evaluate import play_match  # noqa: E402
from beasty.train import (  # noqa: E402
    CheckpointError,
    ConfigError,
    PolicyValueNet,
    Trainer,
    load_checkpoint,
    load_config,
    save_checkpoint,
)
from beasty.train.config import shipped_configs  # noqa: E402
from beasty.train.trainer import TrainingDiverged  # noqa: E402


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
