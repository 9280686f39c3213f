"""Game records (beasty/records.py): recording every way of playing, exact
replay in the engine, clear errors for damaged files, the terminal replay
and the review."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from rich.console import Console

from beasty.agents import make
from beasty.cli import main
from beasty.evaluate import evaluate
from beasty.play.terminal import play
from beasty.records import RecordError, read_records, replay, write_records
from beasty.review import review_game


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    path = tmp_path_factory.mktemp("records") / "games.jsonl"
    assert main(["eval", "--agent", "heuristic", "--opponents", "random,outcome_heuristic", "--games", "6",
                 "--seed", "4", "--record", str(path), "--no-progress"]) == 0  # fmt: skip
    return path


def test_every_game_of_an_evaluation_is_recorded_and_replays(recorded):
    records = read_records(recorded)
    results = evaluate(make("heuristic"), ["random", "outcome_heuristic"], 6, seed=4, record="all")
    assert [r.actions for r in records] == [g.actions for res in results for g in res.records]
    for record, game in zip(records, [g for res in results for g in res.records], strict=True):
        states = replay(record)
        assert states[0].turn == 0 and len(states) == len(record.actions) + 1
        assert record.scores == game.scores and record.seed == game.seed
        assert {p["name"] for p in record.players} <= {"heuristic", "random", "outcome_heuristic"}
    first = json.loads(recorded.read_text().splitlines()[0])
    assert first["format"] == "beasty-game-v1" and len(first["deal"]["piles"][0]) == 8
    assert all(move["label"] for move in first["moves"])


def test_record_losses_keeps_only_the_games_not_won(tmp_path):
    path = tmp_path / "losses.jsonl"
    results = evaluate(make("random"), ["heuristic"], 20, seed=2)
    assert main(["eval", "--agent", "random", "--opponents", "heuristic", "--games", "20", "--seed", "2",
                 "--record-losses", str(path), "--no-progress"]) == 0  # fmt: skip
    records = read_records(path)
    assert len(records) == results[0].losses + results[0].draws
    for record in records:
        random_seat = [p["name"] for p in record.players].index("random")
        assert record.scores[random_seat] <= record.scores[1 - random_seat]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda g: g.update(format="other"), "field format"),
        (lambda g: g["moves"][3].update(action=40), r"field moves\[3\]\.action"),
        (lambda g: g.update(scores=[g["scores"][0] + 1, g["scores"][1]]), "scores"),
        (lambda g: g["deal"]["hands"][0].__setitem__(0, "dragon"), "is not an animal"),
        (lambda g: g["deal"]["piles"][1].pop(), r"field deal\.piles"),
        (lambda g: g["moves"].pop(), "not over"),
        (lambda g: g["moves"][0].update(player=1 - g["moves"][0]["player"]), r"moves\[0\]\.player"),
        (lambda g: g.update(winner=5), "field winner"),
        (lambda g: g["players"].pop(), "field players"),
        (lambda g: g.update(seed=-1), "field seed"),
    ],
)
def test_a_damaged_record_names_the_game_and_the_field(recorded, tmp_path, edit, message):
    lines = recorded.read_text().splitlines()
    game = json.loads(lines[1])
    edit(game)
    lines[1] = json.dumps(game)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join(lines))
    with pytest.raises(RecordError, match=message) as error:
        read_records(damaged)
    assert "game 2 (line 2)" in str(error.value)


def test_files_that_are_not_records_get_a_message(tmp_path):
    for name, text in (("empty.jsonl", ""), ("broken.jsonl", "{not json"), ("deep.jsonl", "[" * 5000),
                       ("list.jsonl", "[1, 2]")):  # fmt: skip
        (tmp_path / name).write_text(text)
        with pytest.raises(RecordError):
            read_records(tmp_path / name)
    with pytest.raises(SystemExit, match="beasty: "):
        main(["replay", str(tmp_path / "broken.jsonl")])
    with pytest.raises(SystemExit, match="holds games 1 to"):
        main(["replay", str(_one_record(tmp_path)), "--game", "9"])


def _one_record(tmp_path):
    path = tmp_path / "one.jsonl"
    results = evaluate(make("heuristic"), ["random"], 2, seed=1, record="all")
    write_records(path, results[0].records[:1])
    return path


def test_a_game_played_in_the_terminal_can_be_saved_and_replayed(tmp_path):
    path = tmp_path / "mine.jsonl"
    out = io.StringIO()
    winner = play(make("heuristic"), 1, 77, Console(file=out, width=120), read=lambda prompt: "1", save=path)
    (record,) = read_records(path)
    assert record.seed == 77 and [p["name"] for p in record.players] == ["heuristic", "you"]
    assert record.winner == (None if winner == -1 else winner) and "Saved the game" in out.getvalue()


def test_replay_steps_forward_and_back_and_shows_the_hidden_cards_at_the_end(recorded, tmp_path):
    moves = len(read_records(recorded)[0].actions)
    command = [sys.executable, "-m", "beasty.cli", "replay", str(recorded), "--game", "1"]
    keys = f"n\nn\np\n{moves}\nq\n"
    done = subprocess.run(command, input=keys, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"move 2 of {moves}" in done.stdout and f"move 1 of {moves}" in done.stdout
    out = done.stdout
    assert out.count("piles, top first") == 1  # hidden until the last move is shown, then revealed
    assert out.rindex("move 1 of") < out.index("piles, top first") < out.index(f"move {moves} of")
    command = [sys.executable, "-m", "beasty.cli", "replay", str(recorded), "--reveal"]
    revealed = subprocess.run(command, input="q\n", capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "piles, top first" in revealed.stdout


def test_review_marks_clear_mistakes_and_only_those(recorded, capsys):
    record = next(r for r in read_records(recorded) if "random" in [p["name"] for p in r.players])
    random_seat = [p["name"] for p in record.players].index("random")
    reviews = review_game(record, "champion", repeats=3)
    assert reviews and all(r.player in (0, 1) for r in reviews)
    for r in reviews:
        if r.marked:
            assert r.played != r.best and (r.gap is None or r.gap > r.threshold)
        assert r.played_value is None or -1.0 <= r.played_value <= 1.0
    by_seat = [sum(r.marked for r in reviews if r.player == seat) for seat in (0, 1)]
    assert by_seat[random_seat] >= by_seat[1 - random_seat]  # the random player errs more
    assert main(["review", str(recorded), "--game", "1", "--seat", "0"]) == 0
    assert "marked moves" in capsys.readouterr().out


def test_a_search_agents_reports_are_recorded_and_change_no_move(tmp_path):
    from beasty.evaluate import play_match

    plain = play_match(make("champion", simulations=150), make("heuristic"), 8, seed=5)
    recorded = play_match(make("champion", simulations=150), make("heuristic"), 8, seed=5, record="all")
    assert recorded.to_dict() == plain.to_dict()  # reporting plays the very same moves
    write_records(tmp_path / "s.jsonl", recorded.records)
    for record in read_records(tmp_path / "s.jsonl"):
        seat = [p["name"] for p in record.players].index("champion")
        states = replay(record)
        for t, search in enumerate(record.searches):
            if states[t].to_move == seat:
                assert search is not None and str(record.actions[t]) in search["visits"]
            else:
                assert search is None
