"""Helpers to write rule scenarios as text ("A.lion B.hippo", A = player 0),
and to reach a position by random play."""

from __future__ import annotations

from beasty._ext import GameBatch, Rng
from beasty.rules import Card, Species, State, action_index


def cards(text: str) -> tuple[Card, ...]:
    out = []
    for tok in text.split():
        who, name = tok.split(".")
        out.append(Card("AB".index(who), Species[name.upper()]))
    return tuple(out)


def action(spec: str) -> int:
    """'lion', 'kangaroo:2', 'parrot:0', 'chameleon:snake', 'chameleon:parrot:1'."""
    parts = spec.split(":")
    species = Species[parts[0].upper()]
    if species is Species.CHAMELEON:
        copy = Species[parts[1].upper()]
        param = int(parts[2]) if len(parts) > 2 else None
        return action_index(species, copy, param)
    return action_index(species, None, int(parts[1]) if len(parts) > 1 else None)


def scenario(queue: str, played: str, turn: int = 5) -> State:
    """Player A (0) to move, holding only the card it plays; no piles."""
    species = Species[played.split(":")[0].upper()]
    return State(
        queue=cards(queue),
        bar=(),
        thats_it=(),
        hands=((Card(0, species),), ()),
        decks=((), ()),
        turn=turn,
        to_move=0,
        early_stop=False,
    )


def played(seed: int, turns: int) -> GameBatch:
    """A game dealt from ``seed`` after ``turns`` random moves (or its end)."""
    games = GameBatch(1, seed=seed, auto_reset=False)
    rng = Rng(seed)
    for _ in range(turns):
        if games.done[0]:
            break
        games.step(games.random_actions(rng))
    return games
