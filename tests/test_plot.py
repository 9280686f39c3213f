"""Pictures: learning curves of a run, eval charts, and their bad inputs."""

import json

import pytest

pytest.importorskip("matplotlib")

from beasty.cli import main as cli_main
from beasty.match import MatchResult, wilson_interval
from beasty.plot import PlotError, plot_results, plot_run, read_metrics

PNG = b"\x89PNG\r\n\x1a\n"


def _fake_run(folder, iterations=(10, 20)):
    """A run folder as the trainer writes it (config.yaml, metrics.csv)."""
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("total_iterations: 20\neval: {games: 200, final_games: 1000}\n")
    rows = ["iteration,key,value"]
    for it in iterations:
        for key, value in (("train/entropy", 2.0 - it / 20), ("train/approx_kl", 0.01),
                           ("train/policy_loss", -0.01), ("train/value_loss", 0.3),
                           ("time/decisions_per_second", 9000.0), ("eval/win_rate/random", 0.9),
                           ("eval/win_rate/heuristic", 0.7), ("eval/win_rate/all", 0.8)):  # fmt: skip
            rows.append(f"{it},{key},{value!r}")
    (folder / "metrics.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_plot_run_writes_both_pictures(tmp_path):
    run = _fake_run(tmp_path / "run")
    written = plot_run(run)
    assert [p.name for p in written] == ["win_rates.png", "training.png"]
    assert all(p.read_bytes().startswith(PNG) and p.parent == run / "plots" for p in written)
    assert read_metrics(run)["eval/win_rate/random"] == [(10, 0.9), (20, 0.9)]


def test_plot_results_and_the_cli(tmp_path, capsys):
    results = [MatchResult("random", 100, 90, 8, 2, ci95=wilson_interval(90, 100)),
               MatchResult("online", 100, 60, 30, 10, ci95=wilson_interval(60, 100))]  # fmt: skip
    assert plot_results(results, tmp_path / "r.png").read_bytes().startswith(PNG)
    out = tmp_path / "eval.png"
    data = tmp_path / "eval.json"
    assert cli_main(["eval", "--agent", "heuristic", "--opponents", "random", "--games", "10",
                     "--json", str(data), "--plot", str(out), "--no-progress"]) == 0  # fmt: skip
    assert out.read_bytes().startswith(PNG)
    again = tmp_path / "again.png"
    assert cli_main(["plot", str(data), "--out", str(again)]) == 0
    assert again.read_bytes().startswith(PNG)
    run = _fake_run(tmp_path / "run")
    assert cli_main(["plot", str(run)]) == 0
    assert "win_rates.png" in capsys.readouterr().out


def test_bad_inputs_get_messages(tmp_path):
    with pytest.raises(PlotError, match="does not exist"):
        plot_run(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.csv").write_text("iteration,key,value\n3,train/entropy,abc\n")
    with pytest.raises(PlotError, match="line 2"):
        plot_run(bad)
    with pytest.raises(SystemExit, match=r"beasty: .*neither"):
        cli_main(["plot", str(tmp_path / "nothing.txt")])
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"results": [{"opponent": "x"}]}))
    with pytest.raises(SystemExit, match="not a beasty evaluation file"):
        cli_main(["plot", str(broken)])
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SystemExit, match="beasty: --plot"):
        cli_main(["eval", "--agent", "random", "--games", "2", "--plot", str(blocker / "x.png")])
