"""``beasty play``: one game against an agent in the terminal (rich).

The table is drawn from the human's point of view: the opponent's hand and
both piles' order stay hidden.  Bad input asks again; ``q`` (or end of
input) quits.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from beasty._ext import GameBatch
from beasty.agents import Agent
from beasty.play.narrate import ABILITIES, action_label, describe_turn, species_name
from beasty.records import from_game, write_records
from beasty.rules import POINTS, Card, State, score

YOURS, THEIRS = "green", "red"


def _cards(cards: tuple[Card, ...], viewer: int, numbered: bool = False) -> Text:
    text = Text()
    for i, card in enumerate(cards):
        if i:
            text.append("  ")
        if numbered:
            text.append(f"{i + 1}:", style="dim")
        text.append(species_name(card.species), style=YOURS if card.owner == viewer else THEIRS)
    return text if cards else Text("-", style="dim")


def render(console: Console, state: State, viewer: int, opponent: str) -> None:
    """The table: scores, bar, queue (door first), THAT'S IT, hands, piles."""
    other = 1 - viewer
    title = (
        f"turn {state.turn + 1}   you [{YOURS}]{score(state, viewer)}[/] points"
        f" - {opponent} [{THEIRS}]{score(state, other)}[/] points"
    )
    table = Table(title=title, show_header=False, expand=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    table.add_row("Bar (heaven)", _cards(state.bar, viewer))
    table.add_row("Queue (door →)", _cards(state.queue, viewer, numbered=True))
    table.add_row("THAT'S IT", _cards(state.thats_it, viewer))
    hand = Text()
    for i, card in enumerate(sorted(state.hands[viewer], key=lambda c: c.species)):
        if i:
            hand.append("\n")
        hand.append(f"{species_name(card.species)} ({int(card.species)}, {POINTS[card.species]} pts)",
                    style=YOURS)  # fmt: skip
        hand.append(f"  {ABILITIES[card.species]}", style="dim")
    table.add_row("Your hand", hand)
    table.add_row(
        "Cards left",
        f"your pile {len(state.decks[viewer])}, their hand {len(state.hands[other])}, "
        f"their pile {len(state.decks[other])}",
    )
    console.print(table)


def table_text(state: State, viewer: int, opponent: str, width: int = 100) -> str:
    """The table of :func:`render` as plain text (the envs' ``ansi`` render)."""
    out = io.StringIO()
    render(Console(file=out, width=width, color_system=None), state, viewer, opponent)
    return out.getvalue()


def ask_action(console: Console, state: State, legal: list[int], viewer: int,
               read: Callable[[str], str]) -> int | None:  # fmt: skip
    """The human's choice among ``legal`` (None to quit); re-asks on bad input."""
    console.print("Your moves:")
    for i, action in enumerate(legal):
        console.print(f"  [bold]{i + 1:>2}[/]  {action_label(state, action, viewer)}")
    while True:
        try:
            answer = read(f"Choose 1-{len(legal)} (q quits): ").strip().lower()
        except EOFError:
            return None
        if answer in ("q", "quit", "exit"):
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(legal):
            return legal[int(answer) - 1]
        console.print(f"[yellow]Type a number from 1 to {len(legal)}, or q to quit.[/]")


def play(agent: Agent, seat: int, seed: int, console: Console | None = None,
         read: Callable[[str], str] | None = None, show_deal: bool = True,
         save: str | Path | None = None) -> int | None:  # fmt: skip
    """Plays one game dealt from ``seed``, the human in ``seat`` (0 or 1);
    ``show_deal=False`` keeps the deal's number to itself (it would
    reproduce the hidden cards: for a deal the human did not choose).
    ``save`` writes the finished game's record (beasty.records) there.
    Returns the winner (0/1), -1 for a draw, None if the human quit."""
    console = console or Console(highlight=False)
    read = read or console.input
    games = GameBatch(1, seed=seed, auto_reset=False)
    opponent = agent.name
    deal = f" (deal {seed})" if show_deal else ""
    console.print(
        f"[bold]Beasty Bar[/] against [bold]{opponent}[/]{deal}: you are player {seat}, "
        f"[{YOURS}]green[/] cards are yours, [{THEIRS}]red[/] theirs. "
        "Two animals enter the bar each time the queue holds five; the last is thrown out."
    )
    while not games.done[0]:
        before = games.get_state(0)
        legal = games.legal_actions(0)
        if before.to_move == seat:
            render(console, before, seat, opponent)
            action = ask_action(console, before, legal, seat, read)
            if action is None:
                console.print("You left the game.")
                return None
        else:
            action = int(agent.act(games, 0))
        games.step([action])
        after = games.get_state(0)
        for line in describe_turn(before, action, after, seat):
            console.print(line, style=None if before.to_move == seat else "bold")
    final = games.get_state(0)
    render(console, final, seat, opponent)
    mine, theirs = score(final, seat), score(final, 1 - seat)
    verdict = "You win!" if mine > theirs else "You lose." if mine < theirs else "A draw."
    console.print(f"[bold]Final score: you {mine}, {opponent} {theirs}. {verdict}[/]")
    if save is not None:
        them = {"name": agent.name, "settings": dict(getattr(agent, "settings", {}))}
        players = [{"name": "you", "settings": {}}, them]
        write_records(save, [from_game(games, 0, players if seat == 0 else players[::-1], seed)])
        console.print(f"Saved the game to {save} (beasty replay {save}).")
    winner = games.winner(0)
    return -1 if winner is None else winner


__all__ = ["ask_action", "play", "render", "table_text"]
