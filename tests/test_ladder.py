"""The rating ladder (beasty/ladder.py): the Bradley-Terry fit against known
ratings, a small round robin end to end, files as players, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from beasty._ext import Network, network_size
from beasty.agents.guided import save_network
from beasty.cli import main
from beasty.evaluate import evaluate
from beasty.ladder import fit_ratings, ladder


def _expected_score(ri: float, rj: float) -> float:
    return 1.0 / (1.0 + 10 ** ((rj - ri) / 400.0))


def test_the_fit_recovers_known_ratings():
    truth = np.array([0.0, 150.0, -220.0, 400.0])
    games = np.full((4, 4), 40_000.0)
    np.fill_diagonal(games, 0.0)
    points = np.array([[games[i, j] * _expected_score(truth[i], truth[j]) for j in range(4)]
                       for i in range(4)])  # fmt: skip
    fitted = fit_ratings(points, games, anchor=0)
    np.testing.assert_allclose(fitted, truth, atol=2.0)  # the virtual draws pull by well under 2 points
    assert fit_ratings(points, games, anchor=3)[3] == 0.0


def test_a_player_who_never_scores_gets_a_finite_rating_below_the_rest():
    points = np.array([[0.0, 0.0], [10.0, 0.0]])
    games = np.array([[0.0, 10.0], [10.0, 0.0]])
    fitted = fit_ratings(points, games, anchor=1)
    assert np.isfinite(fitted).all() and fitted[0] < -300


def test_a_small_ladder_orders_the_players_and_pins_the_anchor():
    result = ladder(["random", "heuristic", "outcome_heuristic"], games=40, seed=3, bootstrap=100)
    by_name = {r.agent: r for r in result.ratings}
    assert result.anchor == "random" and by_name["random"].rating == 0.0
    assert by_name["heuristic"].rating > 100 and by_name["outcome_heuristic"].rating > 100
    for r in result.ratings:
        assert r.low <= r.rating + 1e-9 and r.rating - 1e-9 <= r.high and r.games == 80
    assert [r.rating for r in result.ratings] == sorted((r.rating for r in result.ratings), reverse=True)
    assert result.scores["heuristic"]["random"] + result.scores["random"]["heuristic"] == pytest.approx(1.0)
    again = ladder(["random", "heuristic", "outcome_heuristic"], games=40, seed=3, bootstrap=100)
    assert again == result  # the same deals and seeds, the same ladder


def test_the_ladder_command_writes_a_table_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    network = save_network(tmp_path / "tiny.npz", Network(np.zeros(network_size(4), np.float32), 4))
    out_json, out_png = tmp_path / "ladder.json", tmp_path / "ladder.png"
    code = main(["ladder", "random", "heuristic", str(network), "--games", "4", "--bootstrap", "20",
                 "--anchor", "heuristic", "--json", str(out_json), "--plot", str(out_png),
                 "--no-progress"])  # fmt: skip
    assert code == 0
    shown = capsys.readouterr().out
    assert "heuristic pinned at 0" in shown and "tiny" in shown
    data = json.loads(out_json.read_text())
    assert data["anchor"] == "heuristic"
    assert {r["agent"] for r in data["ratings"]} == {"random", "heuristic", "tiny"}
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["random"], "at least two"),
        (["random", "random"], "at least two different"),
        (["random", "nobody"], "unknown agent 'nobody'"),
        (["random", "heuristic", "--anchor", "champion"], "anchor 'champion'"),
        (["random", "heuristic", "--games", "3"], "even"),
        (["random", "missing.npz"], "cannot load missing.npz"),
    ],
)
def test_bad_ladders_get_a_message(args, message):
    with pytest.raises(SystemExit, match=message):
        main(["ladder", *args, "--no-progress"])


def test_eval_takes_files_as_opponents(tmp_path):
    network = save_network(tmp_path / "tiny.npz", Network(np.zeros(network_size(4), np.float32), 4))
    from beasty.agents import make

    (result,) = evaluate(make("heuristic"), [str(network)], games=2)
    assert result.opponent == "tiny" and result.games == 2
    with pytest.raises(ValueError, match="unknown opponent"):
        evaluate(make("heuristic"), ["tiny"], games=2)


def test_the_first_champion_is_kept_by_name():
    from beasty.agents import make
    from beasty.agents.guided import load_network, network_path, read_network_about

    first = load_network(network_path("champion_v1"))
    assert (first.hidden, first.depth, first.residual) == (64, 1, False)  # a first-format file still loads
    assert read_network_about(network_path("champion_v1"))["generation"] == 4
    assert make("champion_v1").settings["network"] == "champion_v1"
    # the champion is the first one reading a planner's hand: nothing else differs
    changed = {k for k, v in make("champion").settings.items() if make("champion_v1").settings[k] != v}
    assert changed == {"network", "unknown_temperature", "unknown_prior"}
    assert make("champion_v1").settings["unknown_temperature"] == 0.0
