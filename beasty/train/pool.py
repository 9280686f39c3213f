"""The adaptive opponent pool.

Members are "self" (self-play), "checkpoint" (a past snapshot) and opponent
names.  Raw weight of a member: its configured weight, and after an
evaluation ``max(1 - win_rate, min_weight)`` for every evaluated member;
members never evaluated ("self", "checkpoint") keep ``max(weight,
min_weight)``.  Probabilities are the raw weights normalised, so no member
ever drops to 0.  While no snapshot exists, "checkpoint"'s share goes to
"self".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np


class AdaptiveOpponentPool:
    def __init__(self, weights: Mapping[str, float], min_weight: float = 0.05, adaptive: bool = True) -> None:
        if not weights:
            raise ValueError("the pool needs at least one opponent")
        if not 0 < min_weight <= 1:
            raise ValueError("min_weight must be in (0, 1]")
        if any(w < 0 for w in weights.values()):
            raise ValueError("weights must be >= 0")
        self.min_weight = float(min_weight)
        self.adaptive = adaptive
        self.raw: dict[str, float] = {k: max(float(w), self.min_weight) for k, w in weights.items()}
        self.win_rates: dict[str, float] = {}

    def add(self, name: str, weight: float = 1.0) -> None:
        """A new member (a no-op for one already in the pool)."""
        if weight < 0:
            raise ValueError("weights must be >= 0")
        self.raw.setdefault(name, max(float(weight), self.min_weight))

    def update(self, win_rates: Mapping[str, float]) -> None:
        """Recompute the weights from evaluation win rates (draws are not wins)."""
        for name, rate in win_rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"win rate of {name} must be in [0, 1], got {rate}")
            self.win_rates[name] = float(rate)
            if self.adaptive and name in self.raw:
                self.raw[name] = max(1.0 - float(rate), self.min_weight)

    def probabilities(self, has_checkpoints: bool = True) -> dict[str, float]:
        raw = dict(self.raw)
        if not has_checkpoints and "checkpoint" in raw:
            moved = raw.pop("checkpoint")
            raw["self"] = raw.get("self", 0.0) + moved
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}

    def sample(self, n: int, rng: np.random.Generator, has_checkpoints: bool = True) -> Counter[str]:
        """Draws ``n`` chunk opponents; returns how many chunks each got."""
        probs = self.probabilities(has_checkpoints)
        names = sorted(probs)
        picks = rng.choice(len(names), size=n, p=np.array([probs[k] for k in names]))
        return Counter(names[i] for i in picks)

    def state_dict(self) -> dict[str, object]:
        return {
            "raw": dict(self.raw),
            "win_rates": dict(self.win_rates),
            "min_weight": self.min_weight,
            "adaptive": self.adaptive,
        }

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        raw, rates = state["raw"], state["win_rates"]
        if not isinstance(raw, dict) or not isinstance(rates, dict):
            raise ValueError("bad opponent pool state")
        self.raw = {str(k): float(v) for k, v in raw.items()}
        self.win_rates = {str(k): float(v) for k, v in rates.items()}
        self.min_weight = float(state["min_weight"])  # type: ignore[arg-type]
        self.adaptive = bool(state["adaptive"])
