"""The fixed action space (33 indices), independent of hand order.

An index names the animal played and its parameters: a parrot's target and a
kangaroo's hop, and for a chameleon the species it imitates plus that
species' sub-choice.  Targets are queue positions before the move (0 = the
front, next to Heaven's Gate).  ``param`` is ``None`` for "no parameter";
a parrot or kangaroo with no parameter is legal only into an empty queue.
"""

from __future__ import annotations

from typing import NamedTuple

from beasty.rules.cards import Species


class Action(NamedTuple):
    species: Species
    copy: Species | None = None
    param: int | None = None

    @property
    def name(self) -> str:
        head = self.species.name.lower()
        if self.copy is not None:
            head += f"_as_{self.copy.name.lower()}"
        elif self.species is Species.CHAMELEON:
            head += "_none"
        acting = self.copy if self.copy is not None else self.species
        if acting is Species.PARROT:
            return head + ("_none" if self.param is None else f"_t{self.param}")
        if acting is Species.KANGAROO:
            return head + ("_none" if self.param is None else f"_hop{self.param}")
        return head


def _build() -> list[Action]:
    table: list[Action] = []
    for s in Species:
        if s is Species.PARROT:
            table.append(Action(s))
            table.extend(Action(s, None, t) for t in range(4))
        elif s is Species.KANGAROO:
            table.append(Action(s))
            table.extend(Action(s, None, hop) for hop in (1, 2))
        elif s is Species.CHAMELEON:
            table.append(Action(s))
            for c in Species:
                if c is Species.CHAMELEON:
                    continue
                if c is Species.PARROT:
                    table.extend(Action(s, c, t) for t in range(4))
                elif c is Species.KANGAROO:
                    table.extend(Action(s, c, hop) for hop in (1, 2))
                else:
                    table.append(Action(s, c))
        else:
            table.append(Action(s))
    return table


ACTIONS: tuple[Action, ...] = tuple(_build())
NUM_ACTIONS = len(ACTIONS)
ACTION_NAMES: tuple[str, ...] = tuple(a.name for a in ACTIONS)
_INDEX = {a: i for i, a in enumerate(ACTIONS)}


def action_index(species: Species, copy: Species | None = None, param: int | None = None) -> int:
    """Index of an action; raises ``KeyError`` for a combination that does not exist."""
    return _INDEX[Action(Species(species), None if copy is None else Species(copy), param)]


def species_actions(species: Species) -> range:
    """The contiguous block of indices whose card is ``species``."""
    idx = [i for i, a in enumerate(ACTIONS) if a.species is species]
    return range(idx[0], idx[-1] + 1)
