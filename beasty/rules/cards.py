"""Species, points and cards."""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class Species(IntEnum):
    """The twelve animals; the value is the animal's strength."""

    SKUNK = 1
    PARROT = 2
    KANGAROO = 3
    MONKEY = 4
    CHAMELEON = 5
    SEAL = 6
    ZEBRA = 7
    GIRAFFE = 8
    SNAKE = 9
    CROCODILE = 10
    HIPPO = 11
    LION = 12


#: Printed points (docs/RULES.md 1.4): 2 lion/hippo/snake/seal, 3 crocodile/giraffe/
#: chameleon/monkey, 4 zebra/kangaroo/parrot/skunk.
POINTS: dict[Species, int] = {
    Species.LION: 2,
    Species.HIPPO: 2,
    Species.SNAKE: 2,
    Species.SEAL: 2,
    Species.CROCODILE: 3,
    Species.GIRAFFE: 3,
    Species.CHAMELEON: 3,
    Species.MONKEY: 3,
    Species.ZEBRA: 4,
    Species.KANGAROO: 4,
    Species.PARROT: 4,
    Species.SKUNK: 4,
}

RECURRING = frozenset({Species.HIPPO, Species.CROCODILE, Species.GIRAFFE})


class Card(NamedTuple):
    """One animal card: its owner (0 or 1) and species."""

    owner: int
    species: Species

    @property
    def strength(self) -> int:
        return int(self.species)

    @property
    def points(self) -> int:
        return POINTS[self.species]

    def __repr__(self) -> str:
        return f"{'AB'[self.owner]}.{self.species.name.lower()}"
