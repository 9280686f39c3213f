"""``beasty play``: the words it uses, and whole games through a real
pseudo-terminal.  Child processes run outside the checkout, so that they
import the installed package rather than the source folder."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from beasty import rules
from beasty._ext import GameBatch
from beasty.agents import make
from beasty.play.narrate import action_label, describe_turn
from beasty.rules import Card, Species

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_action_labels_name_targets_and_copies():
    queue = (Card(1, Species.LION), Card(0, Species.ZEBRA), Card(1, Species.PARROT))
    hand = (Card(0, Species.PARROT), Card(0, Species.CHAMELEON), Card(0, Species.KANGAROO))
    state = rules.State(queue, (), (), (hand, ()), ((), ()))
    labels = {rules.ACTION_NAMES[a]: action_label(state, a, viewer=0) for a in rules.legal_actions(state)}
    assert labels["parrot_t0"] == "Parrot: throw out their Lion (queue 1)"
    assert labels["parrot_t1"] == "Parrot: throw out your Zebra (queue 2)"
    assert labels["chameleon_as_lion"] == "Chameleon copying the Lion"
    assert labels["chameleon_as_parrot_t1"] == "Chameleon copying the Parrot: throw out your Zebra (queue 2)"
    assert labels["kangaroo_hop2"] == "Kangaroo: hop over 2 animals"


def test_describe_turn_follows_the_rules():
    games = GameBatch(200, seed=3, auto_reset=False)
    for i in range(200):
        while not games.done[i]:
            before = games.get_state(i)
            action = games.legal_actions(i)[0]
            after = rules.step(before, action)
            lines = describe_turn(before, action, after, viewer=0)
            assert lines[0].startswith("You played" if before.to_move == 0 else "They played")
            thrown = len(after.thats_it) - len(before.thats_it)
            entered = len(after.bar) - len(before.bar)
            assert any(line.startswith("Thrown out") for line in lines) == (thrown > 0)
            assert any(line.startswith("Into the bar") for line in lines) == (entered > 0)
            games.step([action], [i])


class Terminal:
    """A child process on a pseudo-terminal, read until a pattern shows."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.master, slave = os.openpty()
        env = {**os.environ, "COLUMNS": "120", "LINES": "60", "TERM": "xterm-256color"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "beasty.cli", *args],
            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, cwd=cwd,
        )  # fmt: skip
        os.close(slave)
        self.seen = self.before = ""

    def expect(self, *patterns: str, timeout: float = 60.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            for pattern in patterns:
                match = re.search(pattern, self.seen)
                if match:
                    self.before, self.seen = self.seen[: match.start()], self.seen[match.end() :]
                    return match
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"none of {patterns} in {timeout} s; output:\n{self.seen[-2000:]}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    chunk = ""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"the process ended; last output:\n{self.seen[-2000:]}")
                self.seen += ANSI.sub("", chunk).replace("\r", "")

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


@pytest.mark.parametrize("seat", [0, 1])
def test_a_whole_game_through_a_pseudo_terminal(seat, tmp_path):
    seed = 11 + seat
    term = Terminal(tmp_path, "play", "--agent", "heuristic", "--seat", str(seat), "--seed", str(seed))
    first = True
    while True:
        match = term.expect(r"Choose 1-(\d+) \(q quits\): ", r"Final score: you (\d+), heuristic (\d+)")
        if match.group(0).startswith("Final"):
            mine, theirs = int(match.group(1)), int(match.group(2))
            break
        for shown in ("Bar (heaven)", "Queue (door", "THAT'S IT", "Your hand", "Your moves:", "points"):
            assert shown in term.before
        if first:  # bad input asks again, it never crashes
            for bad in ("", "abc", "0", match.group(1) + "9", "-1"):
                term.send(bad)
                term.expect(r"Type a number from 1 to \d+, or q to quit\.")
                term.expect(r"Choose 1-\d+ \(q quits\): ")
            first = False
        term.send("1")
    assert term.close() == 0

    # the same game, replayed here: the human always took the first move listed
    games = GameBatch(1, seed=seed, auto_reset=False)
    agent = make("heuristic", seed=seed)
    while not games.done[0]:
        mover = int(games.to_move[0])
        action = games.legal_actions(0)[0] if mover == seat else int(agent.act(games, 0))
        games.step([action])
    assert (mine, theirs) == (int(games.scores()[0, seat]), int(games.scores()[0, 1 - seat]))


def test_q_quits_and_so_does_end_of_input(tmp_path):
    term = Terminal(tmp_path, "play", "--agent", "random", "--seed", "4")
    term.expect(r"Choose 1-\d+ \(q quits\): ")
    term.send("q")
    term.expect("You left the game.")
    assert term.close() == 0
    done = subprocess.run(
        [sys.executable, "-m", "beasty.cli", "play", "--agent", "random", "--seed", "4"],
        input="", capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0 and "You left the game." in done.stdout


def test_play_rejects_unknown_agents_with_a_message(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "beasty.cli", "play", "--agent", "nobody"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode != 0 and "beasty: unknown agent 'nobody'" in done.stderr


def test_a_deal_the_player_did_not_choose_stays_secret(tmp_path):
    run = [sys.executable, "-m", "beasty.cli", "play", "--agent", "random"]
    chosen = subprocess.run([*run, "--seed", "4"], input="", capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)  # fmt: skip
    secret = subprocess.run(run, input="", capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "(deal 4)" in chosen.stdout
    assert secret.returncode == 0 and "against random" in secret.stdout and "deal" not in secret.stdout


def test_play_with_standard_input_closed_says_so(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "beasty.cli", "play", "--seed", "5"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd=tmp_path,
        preexec_fn=lambda: os.close(0),
    )  # fmt: skip
    assert done.returncode == 1 and "beasty: play reads your moves from standard input" in done.stderr
    assert "Traceback" not in done.stderr
