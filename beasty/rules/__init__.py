"""Pure-Python reference implementation of the Beasty Bar rules.

Written from ``docs/RULES.md`` and independent of the C engine: readable
rather than fast.  It is the oracle the C engine is tested against (state by
state, through :meth:`beasty._ext.GameBatch.get_state`), and the
:class:`State` type is how a single game crosses the C/Python boundary.
"""

from beasty.rules.actions import (
    ACTION_NAMES,
    ACTIONS,
    NUM_ACTIONS,
    Action,
    action_index,
    species_actions,
)
from beasty.rules.cards import POINTS, Card, Species
from beasty.rules.game import (
    State,
    deal,
    is_terminal,
    legal_actions,
    play,
    score,
    step,
    winner,
)
from beasty.rules.observe import observe
from beasty.rules.rng import SplitMix64

__all__ = [
    "ACTIONS",
    "ACTION_NAMES",
    "NUM_ACTIONS",
    "POINTS",
    "Action",
    "Card",
    "Species",
    "SplitMix64",
    "State",
    "action_index",
    "deal",
    "is_terminal",
    "legal_actions",
    "observe",
    "play",
    "score",
    "species_actions",
    "step",
    "winner",
]
