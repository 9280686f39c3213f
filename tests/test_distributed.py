"""Evaluation, the ladder and expert iteration on Ray (a local Ray with 2
CPUs): the same deals and seeds as the local backends, so the same results."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

pytest.importorskip("ray")

from beasty.agents import make
from beasty.evaluate import evaluate
from beasty.ladder import ladder


@pytest.fixture(scope="module")
def local_ray():
    import ray

    from beasty.distributed import start_ray

    started = start_ray(2)
    yield
    if started:
        ray.shutdown()


def test_evaluation_on_ray_equals_one_process(local_ray):
    agent = make("search", seed=4, simulations=30)
    here = evaluate(agent, ["random", "outcome_heuristic"], 12, seed=5)
    there = evaluate(agent, ["random", "outcome_heuristic"], 12, seed=5, workers=2, backend="ray")
    assert [r.to_dict() for r in there] == [r.to_dict() for r in here]


def test_the_ladder_on_ray_equals_one_process(local_ray):
    players = ["random", "heuristic", "outcome_heuristic"]
    here = ladder(players, 8, seed=2, bootstrap=20)
    there = ladder(players, 8, seed=2, workers=2, bootstrap=20, backend="ray")
    assert there.to_dict() == here.to_dict()


def test_expert_iteration_on_ray_equals_processes(tmp_path, local_ray):
    pytest.importorskip("torch")
    from beasty.agents.guided import read_network
    from beasty.train.expert import make_config, run_expert

    small = {"games": 8, "simulations": 8, "fast_simulations": 4, "hidden": 8, "depth": 2, "epochs": 1,
             "opponents": ["random"], "gate_games": 4, "gate_simulations": 8, "generations": 1,
             "workers": 2, "gate_threshold": 0.0}  # fmt: skip
    run_expert(make_config(small), tmp_path / "processes", progress=False)
    run_expert(make_config({**small, "backend": "ray"}), tmp_path / "ray", progress=False)

    def rows(folder: str) -> list[dict[str, str]]:
        return [{k: v for k, v in row.items() if not k.endswith(("seconds", "per_second"))}
                for row in csv.DictReader((tmp_path / folder / "metrics.csv").open())]  # fmt: skip

    assert rows("ray") == rows("processes")
    ray_net, _ = read_network(tmp_path / "ray" / "expert-1.npz")
    local_net, _ = read_network(tmp_path / "processes" / "expert-1.npz")
    assert (ray_net.weights == local_net.weights).all()


def test_local_backends_never_import_ray():
    code = (
        "import sys\n"
        "from beasty.agents import make\n"
        "from beasty.evaluate import evaluate\n"
        "if __name__ == '__main__':\n"
        "    evaluate(make('heuristic'), ['random'], 4, workers=2)\n"
        "    assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd="/")


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of processes, ray"):
        evaluate(make("heuristic"), ["random"], 4, workers=2, backend="spark")


def test_an_address_needs_the_ray_backend():
    from beasty.cli import main

    with pytest.raises(SystemExit, match="beasty: --address auto is for --backend ray"):
        main(["eval", "--agent", "random", "--opponents", "random", "--games", "2", "--address", "auto"])
    with pytest.raises(ValueError, match=r"an address .* is for backend ray"):
        evaluate(make("heuristic"), ["random"], 4, workers=2, address="auto")
