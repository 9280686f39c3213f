"""``beasty replay``: step through a recorded game in the terminal.

The table is drawn from one seat's side (``seat``); the other seat's hand and
both piles stay hidden until the game's end, or throughout with ``reveal``.
``n`` (or Enter) steps forward, ``p`` back, a number jumps to that move,
``q`` (or end of input) quits.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

from beasty.play.narrate import describe_turn, species_name
from beasty.play.terminal import render
from beasty.records import GameRecord, replay
from beasty.rules import State


def _hidden(console: Console, state: State, seat: int, names: list[str]) -> None:
    other = 1 - seat
    hand = ", ".join(species_name(c.species) for c in state.hands[other]) or "-"
    piles = [", ".join(species_name(c.species) for c in state.decks[p]) or "-" for p in (seat, other)]
    console.print(f"[dim]{names[other]}'s hand: {hand}; piles, top first: yours {piles[0]}; "
                  f"theirs {piles[1]}[/]")  # fmt: skip


def replay_game(record: GameRecord, seat: int = 0, reveal: bool = False, console: Console | None = None,
                read: Callable[[str], str] | None = None) -> None:  # fmt: skip
    """Steps through ``record`` interactively (module docstring)."""
    console = console or Console(highlight=False)
    read = read or console.input
    states = replay(record)
    names = [p["name"] for p in record.players]
    last, t = len(record.actions), 0
    console.print(f"[bold]{names[0]}[/] (seat 0) against [bold]{names[1]}[/] (seat 1): {last} moves, "
                  f"final score {record.scores[0]} - {record.scores[1]}; shown from seat {seat}")  # fmt: skip
    while True:
        if t > 0:
            told = describe_turn(states[t - 1], record.actions[t - 1], states[t], seat, (names[0], names[1]))
            for line in told:
                console.print(line, style="bold")
        render(console, states[t], seat, names[1 - seat])
        if reveal or t == last:
            _hidden(console, states[t], seat, names)
        try:
            answer = read(f"move {t} of {last}: n next, p previous, a number jumps, q quits: ")
            answer = answer.strip().lower()
        except EOFError:
            return
        if answer in ("q", "quit", "exit"):
            return
        if answer in ("", "n"):
            t = min(t + 1, last)
        elif answer == "p":
            t = max(t - 1, 0)
        elif answer.isdigit() and int(answer) <= last:
            t = int(answer)
        else:
            console.print(f"[yellow]Type n, p, a move number from 0 to {last}, or q.[/]")
