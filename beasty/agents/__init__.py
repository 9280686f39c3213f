"""Agents: the random agent, the ten reference opponents and the registry.

>>> from beasty.agents import make, OPPONENT_NAMES
>>> opponent = make("outcome_heuristic", seed=1)
"""

from beasty.agents.base import Agent
from beasty.agents.scripted import (
    DISTILLED_WEIGHTS,
    OPPONENT_NAMES,
    OPPONENT_SPECS,
    RandomAgent,
    ScriptedAgent,
    make,
)

__all__ = [
    "DISTILLED_WEIGHTS",
    "OPPONENT_NAMES",
    "OPPONENT_SPECS",
    "Agent",
    "RandomAgent",
    "ScriptedAgent",
    "make",
]
