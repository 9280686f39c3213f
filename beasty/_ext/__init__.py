"""``beasty._ext``: the compiled engine (C core + Cython binding).

>>> from beasty._ext import GameBatch, Rng
>>> games = GameBatch(1024, seed=0)
>>> obs, mask = games.observe()
>>> rewards, dones, scores = games.step(games.random_actions(Rng(1)))
"""

from beasty._ext._engine import (
    ACTION_NAMES,
    NUM_ACTIONS,
    OBS_DIM,
    OBS_SEGMENTS,
    QUEUE_MAX,
    SCALAR_NAMES,
    AgentParams,
    GameBatch,
    Rng,
    action_table,
)

__all__ = [
    "ACTION_NAMES",
    "NUM_ACTIONS",
    "OBS_DIM",
    "OBS_SEGMENTS",
    "QUEUE_MAX",
    "SCALAR_NAMES",
    "AgentParams",
    "GameBatch",
    "Rng",
    "action_table",
]
