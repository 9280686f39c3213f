"""The observation every network learns from, written in plain Python from
its specification in ``csrc/beasty.h`` (an independent reference for the C
encoder, ``GameBatch.observe``).

162 floats from ``player``'s side: five queue slots of 14 (the species
one-hot, then "mine", then "theirs"), then twelve-species indicator blocks
(species s at index s - 1): my hand, my pile, the opponent's animals not yet
played (hand and pile together: which is where is hidden), my bar, their
bar, my THAT'S IT, theirs; then eight scalars: my bar points / 36, theirs /
36, my hand size / 4, theirs / 4, my pile size / 8, theirs / 8, turn / 24,
queue length / 5.
"""

from __future__ import annotations

from beasty.rules.cards import Card
from beasty.rules.game import QUEUE_MAX, State

SLOT = 14
SPECIES = 12
OBS_SIZE = QUEUE_MAX * SLOT + 7 * SPECIES + 8


def _indicator(cards: list[Card]) -> list[float]:
    block = [0.0] * SPECIES
    for card in cards:
        block[card.species - 1] = 1.0
    return block


def observe(state: State, player: int) -> list[float]:
    """The observation of ``state`` from ``player``'s seat (see the module)."""
    me, them = player, 1 - player
    out: list[float] = []
    for i in range(QUEUE_MAX):
        slot = [0.0] * SLOT
        if i < len(state.queue):
            card = state.queue[i]
            slot[card.species - 1] = 1.0
            slot[SPECIES if card.owner == me else SPECIES + 1] = 1.0
        out += slot
    out += _indicator(list(state.hands[me]))
    out += _indicator(list(state.decks[me]))
    out += _indicator([*state.hands[them], *state.decks[them]])
    out += _indicator([c for c in state.bar if c.owner == me])
    out += _indicator([c for c in state.bar if c.owner == them])
    out += _indicator([c for c in state.thats_it if c.owner == me])
    out += _indicator([c for c in state.thats_it if c.owner == them])
    points = [sum(c.points for c in state.bar if c.owner == p) for p in (me, them)]
    out += [
        points[0] / 36, points[1] / 36,
        len(state.hands[me]) / 4, len(state.hands[them]) / 4,
        len(state.decks[me]) / 8, len(state.decks[them]) / 8,
        state.turn / 24, len(state.queue) / 5,
    ]  # fmt: skip
    assert len(out) == OBS_SIZE
    return out
