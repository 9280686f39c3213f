"""The search agents (csrc/search.c): a configurable search, the generic
IS-MCTS baseline and the tuned champion.

None of them is told which opponent it faces: the opponent is modelled as a
mixture of policies whose weights, together with the opponent's likely
hand, are inferred from the opponent's own earlier moves in the game.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from beasty._ext import SEARCH_DEFAULTS, Policy, Search
from beasty.agents.guided import load_network, network_path
from beasty.agents.scripted import OPPONENT_NAMES, PolicyAgent, policy_for

#: The opponent models of the search by default: one greedy player of each
#: scripted family (material, reactive, outcome).  Besides them the search
#: keeps the hypothesis "unknown" (``unknown_prior``): a player none of them
#: explains, assumed to play as well as the searcher itself.
DEFAULT_MODELS: tuple[str, ...] = ("heuristic", "online", "outcome_heuristic")


class SearchAgent(PolicyAgent):
    """Determinized search in C (PIMC or IS-MCTS, csrc/search.h).

    ``rollout`` names the policy that plays the agent's own side in
    rollouts (and gives the PUCT prior); ``models`` the opponent models
    (reference opponents' names; ``"network"``: the guide network's
    policy, a model of a strong player; or a network file or package
    network name, whose policy models the opponent) and ``model_prior`` their prior
    weights.  ``network`` (``"shipped"``, the
    name of another network in the package such as ``"champion_v1"``, or
    the path of a network file, :mod:`beasty.agents.guided`) guides the search:
    the PUCT prior with ``use_prior`` and the leaf value with
    ``value_weight``.  Other keywords are the search's parameters: the keys
    of :data:`beasty._ext.SEARCH_DEFAULTS`, each described (with its range)
    in ``csrc/search.h``'s ``bb_search_config``.  Bad values raise
    ``ValueError`` or ``TypeError``."""

    def __init__(
        self,
        name: str = "search",
        seed: int = 0,
        rollout: str = "outcome_heuristic",
        models: Sequence[str] = DEFAULT_MODELS,
        model_prior: Sequence[float] | None = None,
        network: str | None = None,
        **params: Any,
    ) -> None:
        if isinstance(models, str):
            raise TypeError("models must be a sequence of opponent names, not one string")
        if network is not None and not isinstance(network, str):
            raise TypeError(f"network must be 'shipped' or a file path, got {type(network).__name__}")
        guide = None
        if network is not None:
            guide = load_network(network_path(network))
        opponent_models: list[Policy] = []
        for m in models:
            if m in OPPONENT_NAMES:
                opponent_models.append(policy_for(m))
            elif m != "network":
                if network_path(m).suffix != ".npz":
                    raise ValueError(f"unknown opponent model {m!r}: an opponent, 'network' or a .npz file")
                opponent_models.append(load_network(network_path(m)))
            elif guide is None:
                raise ValueError("the opponent model 'network' is the guide network: give network=...")
            else:
                opponent_models.append(guide)
        search = Search(policy_for(rollout), opponent_models, model_prior, guide, **params)
        super().__init__(name, search, seed)
        self.search = search
        self.settings: dict[str, Any] = {
            "rollout": rollout,
            "models": list(models),
            "model_prior": None if model_prior is None else list(model_prior),
            "network": network,
            **search.config,
        }

    def __reduce__(self) -> tuple[Any, ...]:  # the C search is rebuilt from the settings
        return (functools.partial(SearchAgent, **self.settings), (self.name, self.seed))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.settings.items() if SEARCH_DEFAULTS.get(k, object()) != v}
        return f"SearchAgent({self.name!r}, {changed})"


#: A generic planner that knows nothing of the ten opponents, to measure
#: general strength: IS-MCTS, random rollouts for both sides, UCB1 with
#: c = 2 (values in [-1, 1]), win/draw/loss values, uniform determinizations.
ISMCTS_SETTINGS: dict[str, Any] = {
    "algorithm": "ismcts",
    "simulations": 400,
    "rollout": "random",
    "models": ("random",),
    "exploration": 2.0,
    "use_prior": False,
    "margin_weight": 0.0,
    "endgame_cards": 0,
    "infer_hands": False,
    "unknown_prior": 0.0,
}

#: The search with scripted rollouts that was the champion before expert
#: iteration (docs/SEARCH.md): IS-MCTS at under 10 ms per decision on one
#: core; the opponent's tree moves follow the opponent model that its own
#: earlier moves make most likely, hands weighed by them too.
ROLLOUT_CHAMPION_SETTINGS: dict[str, Any] = {
    "algorithm": "ismcts",
    "simulations": 1500,  # about 9.9 ms per decision on one core (docs/SEARCH.md)
    "exploration": 1.2,
    "margin_weight": 0.0,
    # solving the last six cards exactly (for the result alone) beats
    # rolling them out: +1.5 points against outcome_heuristic, +2.7 against
    # ismcts (docs/SEARCH.md)
    "endgame_cards": 6,
    "infer_hands": True,
    "model_in_tree": True,
    "candidates": 1024,
    "model_temperature": 0.1,
    "model_epsilon": 0.02,
    # 4 to 1 on "none of the models" at the start: a player that plans is
    # not mistaken for a greedy one (+2.4 points against ismcts, the same
    # against the ten; docs/SEARCH.md)
    "unknown_prior": 4.0,
}

#: The first champion (network-guided, beasty/agents/models/champion_v1.npz:
#: 16,802 parameters, 4 generations of expert iteration), kept so that every
#: later champion is measured head to head against it.
CHAMPION_V1_SETTINGS: dict[str, Any] = {
    **ROLLOUT_CHAMPION_SETTINGS,
    "simulations": 2500,
    "network": "champion_v1",
    "use_prior": True,
    "exploration": 1.0,
    "value_weight": 1.0,
}

#: The champion: the same search guided by the network shipped in the
#: package (beasty/agents/models/expert.npz, evaluated in C), trained by
#: expert iteration on the search's own games (docs/EXPERT.md): PUCT with
#: the network's prior, the network's value at new leaves instead of
#: rollouts, and twice as many simulations in the same time (under 10 ms per
#: decision on one core).  It reads a planner's hand from its choices as the
#: network would have chosen (unknown_temperature), and trusts the scripted
#: models less at the start (docs/EXPERT.md, "Reading a planner's hand").
CHAMPION_SETTINGS: dict[str, Any] = {
    **CHAMPION_V1_SETTINGS,
    "network": "shipped",
    "unknown_temperature": 0.5,
    "unknown_prior": 16.0,
}
