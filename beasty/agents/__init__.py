"""Agents: the random agent, the ten reference opponents, the search agents
and the registry.

>>> from beasty.agents import make, OPPONENT_NAMES
>>> opponent = make("outcome_heuristic", seed=1)
>>> champion = make("champion")
>>> planner = make("search", simulations=200, algorithm="pimc")
"""

from __future__ import annotations

from typing import Any

from beasty.agents.base import Agent
from beasty.agents.scripted import (
    DISTILLED_WEIGHTS,
    OPPONENT_NAMES,
    OPPONENT_SPECS,
    PolicyAgent,
    RandomAgent,
    ScriptedAgent,
    make_opponent,
    policy_for,
)
from beasty.agents.search import (
    CHAMPION_SETTINGS,
    CHAMPION_V1_SETTINGS,
    DEFAULT_MODELS,
    ISMCTS_SETTINGS,
    ROLLOUT_CHAMPION_SETTINGS,
    SearchAgent,
)

#: Agents with settings of their own: name -> the SearchAgent keywords.
SEARCH_AGENTS: dict[str, dict[str, Any]] = {
    "search": {},
    "ismcts": ISMCTS_SETTINGS,
    "champion": CHAMPION_SETTINGS,
    "champion_v1": CHAMPION_V1_SETTINGS,
    "rollout_champion": ROLLOUT_CHAMPION_SETTINGS,
}

#: Agents backed by a trained network shipped in the package (need torch).
NEURAL_AGENTS: tuple[str, ...] = ("ppo",)

AGENT_NAMES: tuple[str, ...] = (*OPPONENT_NAMES, *SEARCH_AGENTS, *NEURAL_AGENTS)


def make(name: str, seed: int = 0, **settings: Any) -> Agent:
    """Builds an agent by name: one of the ten reference opponents (no
    settings), ``search``, ``ismcts``, ``champion``, ``champion_v1``, ``rollout_champion``
    (keywords override their settings, see :class:`SearchAgent`), or ``ppo`` (the network
    shipped with the package; needs torch)."""
    if name in SEARCH_AGENTS:
        return SearchAgent(name, seed, **{**SEARCH_AGENTS[name], **settings})
    if name in NEURAL_AGENTS:
        if settings:
            raise TypeError(f"agent {name!r} takes no settings, got {', '.join(settings)}")
        from beasty.agents.neural import shipped_agent  # torch only when asked for

        return shipped_agent(seed)
    if settings:
        raise TypeError(f"agent {name!r} takes no settings, got {', '.join(settings)}")
    if name not in OPPONENT_SPECS:
        raise ValueError(f"unknown agent {name!r}; known: {', '.join(AGENT_NAMES)}")
    return make_opponent(name, seed)


def load(spec: str, seed: int = 0) -> Agent:
    """Any player by its spec: a registry name (:func:`make`), a network
    file (``.npz``: the champion's search guided by it, named after the
    file), or a weights or training-checkpoint file (``.pt``: its greedy
    policy; needs torch).  ``ValueError`` for anything else or a bad file,
    ``ImportError`` when torch is needed and missing."""
    if not isinstance(spec, str):
        raise TypeError(f"an agent is a name or a file path, got {type(spec).__name__}")
    if spec in AGENT_NAMES:
        return make(spec, seed=seed)
    if spec.endswith(".npz"):
        from pathlib import Path

        agent = make("champion", seed=seed, network=spec)
        agent.name = Path(spec).stem
        return agent
    if not spec.endswith(".pt"):
        raise ValueError(
            f"unknown agent {spec!r}: use one of {', '.join(AGENT_NAMES)}, a .npz network or a .pt file"
        )
    from beasty.agents.neural import NeuralAgent, load_policy  # torch only when asked for

    net, name = load_policy(spec)
    return NeuralAgent(net, greedy=True, seed=seed, name=name)


__all__ = [
    "AGENT_NAMES",
    "CHAMPION_SETTINGS",
    "CHAMPION_V1_SETTINGS",
    "DEFAULT_MODELS",
    "DISTILLED_WEIGHTS",
    "ISMCTS_SETTINGS",
    "NEURAL_AGENTS",
    "OPPONENT_NAMES",
    "OPPONENT_SPECS",
    "ROLLOUT_CHAMPION_SETTINGS",
    "SEARCH_AGENTS",
    "Agent",
    "PolicyAgent",
    "RandomAgent",
    "ScriptedAgent",
    "SearchAgent",
    "load",
    "make",
    "policy_for",
]
