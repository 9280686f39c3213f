"""The random agent and the scripted one-ply opponents of docs/OPPONENTS.md.

Every scripted agent is a parameter set for the C scorer
(``csrc/agents.c``): it simulates each legal action with the C engine's
steps 1-4 on a copy of the game, scores the result and picks the best,
breaking exact ties (|diff| < 1e-6) uniformly with its own seeded stream.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from beasty._ext import AgentParams, GameBatch, Policy, RandomPolicy, ScriptedPolicy, check_seed
from beasty.agents.base import Agent, IntArray


def _check_running(games: GameBatch, idx: npt.NDArray[np.int32], out: IntArray) -> IntArray:
    if (out < 0).any():
        j = int(np.flatnonzero(out < 0)[0])
        raise ValueError(f"game {int(idx[j])} is over: there is no action to choose")
    return out


def _as_idx(idx: Sequence[int] | npt.NDArray[np.integer]) -> npt.NDArray[np.int32]:
    arr = np.asarray(idx)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"idx must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int32, copy=False)


class PolicyAgent(Agent):
    """An agent whose decisions are a C policy (:class:`beasty._ext.Policy`),
    driven through :meth:`GameBatch.actions`: each decision's random stream
    comes from the agent's seed and what the mover knows, so a game played
    alone and the same game inside any batch get the same moves."""

    def __init__(self, name: str, policy: Policy, seed: int = 0) -> None:
        self.name = name
        self.policy = policy
        self.seed = check_seed(seed)

    def reseed(self, seed: int) -> None:
        self.seed = check_seed(seed)

    def act_batch(self, games: GameBatch, idx: Sequence[int] | npt.NDArray[np.integer]) -> IntArray:
        ids = _as_idx(idx)
        return _check_running(games, ids, games.actions(self.policy, self.seed, ids))


class RandomAgent(PolicyAgent):
    """Uniform over the legal *actions* (a parrot with a 3-card queue is 3
    options), drawn in C."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__("random", RandomPolicy(), seed)

    def __reduce__(self) -> tuple[Any, ...]:
        return (RandomAgent, (self.seed,))


class ScriptedAgent(PolicyAgent):
    """A one-ply scorer: ``kind`` "material" (HeuristicAgent), "online"
    (OnlineStrategies) or "outcome" (OutcomeHeuristic); keyword arguments
    are :class:`beasty._ext.AgentParams` fields."""

    def __init__(self, name: str, kind: str, seed: int = 0, **params: Any) -> None:
        self.kind = kind
        self.params = AgentParams(kind, **params)
        self._overrides = params
        super().__init__(name, ScriptedPolicy(self.params), seed)

    def __reduce__(self) -> tuple[Any, ...]:  # the C policy is rebuilt from the settings
        return (functools.partial(ScriptedAgent, **self._overrides), (self.name, self.kind, self.seed))

    def scores(self, games: GameBatch, i: int) -> npt.NDArray[np.float64]:
        """Score of every action in game i (NaN where illegal), noise excluded."""
        return games.agent_scores(i, self.params)


#: docs/OPPONENTS.md 1.5, ``DISTILLED_WEIGHTS``.
DISTILLED_WEIGHTS: dict[str, float] = {
    "my_bar": 4.2,
    "opp_bar": -2.5,
    "my_ti": -3.5,
    "opp_ti": 2.8,
    "queue_position": 1.8,
    "front_bonus": 2.5,
    "threat_removal": 2.2,
    "parrot_bonus": 0.6,
    "monkey_combo": 18.0,
    "skunk_mult": 0.7,
    "early_recurring": 0.6,
    "late_removal": 0.4,
}

#: name -> (kind, parameters): the ten evaluation opponents, docs/OPPONENTS.md.
#: "aggression" is left out: it adds the same constant to every action.
OPPONENT_SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "random": ("random", {}),
    "heuristic": ("material", {}),
    "aggressive": ("material", {"bar_weight": 3.0}),
    "defensive": ("material", {"bar_weight": 1.0}),
    "queue": ("material", {"queue_front_weight": 2.0}),
    "skunk": ("material", {"species_weights": {"skunk": 2.0}}),
    "noisy": ("material", {"noise_epsilon": 0.15}),
    "online": ("online", {}),
    "outcome_heuristic": ("outcome", {}),
    "distilled_outcome": ("outcome", DISTILLED_WEIGHTS),
}

OPPONENT_NAMES: tuple[str, ...] = tuple(OPPONENT_SPECS)


def policy_for(name: str) -> Policy:
    """The C policy of a reference opponent (for rollouts and opponent models)."""
    try:
        kind, params = OPPONENT_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown opponent {name!r}; known: {', '.join(OPPONENT_NAMES)}") from None
    return RandomPolicy() if kind == "random" else ScriptedPolicy(AgentParams(kind, **params))


def make_opponent(name: str, seed: int = 0) -> Agent:
    """Builds one of the ten reference opponents by name, seeded."""
    try:
        kind, params = OPPONENT_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; known: {', '.join(OPPONENT_NAMES)}") from None
    if kind == "random":
        return RandomAgent(seed)
    return ScriptedAgent(name, kind, seed, **params)
