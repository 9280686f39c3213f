"""A trained network as a :class:`beasty.agents.Agent` (needs torch)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from beasty._ext import GameBatch, check_seed
from beasty.agents.base import Agent, IntArray
from beasty.files import load_yaml
from beasty.policy.network import MASKED_LOGIT, PolicyOutputs, PolicyValueNet, sample_actions


class NeuralAgent(Agent):
    """Greedy (argmax over legal logits, lowest index on ties) or sampled at
    ``temperature``."""

    def __init__(
        self,
        net: PolicyValueNet,
        greedy: bool = True,
        temperature: float = 1.0,
        seed: int = 0,
        name: str = "ppo",
    ) -> None:
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        self.net = net
        self.greedy = greedy
        self.temperature = temperature
        self.name = name
        self.outputs = PolicyOutputs(net)
        self.rng = np.random.default_rng(check_seed(seed))

    def reseed(self, seed: int) -> None:
        self.rng = np.random.default_rng(check_seed(seed))

    def act_batch(self, games: GameBatch, idx: Sequence[int] | npt.NDArray[np.integer]) -> IntArray:
        ids = np.asarray(idx)
        if len(ids) == 0:
            return np.zeros(0, dtype=np.int32)
        obs, mask = games.observe(ids)
        if not mask.any(axis=1).all():
            raise ValueError("a selected game is over: there is no action to choose")
        logits, _ = self.outputs(obs)
        if self.greedy:
            return np.asarray(np.where(mask != 0, logits, MASKED_LOGIT).argmax(axis=1), dtype=np.int32)
        return sample_actions(logits, mask, self.temperature, self.rng.random(len(ids)))[0].astype(np.int32)


def load_policy(path: str | Path) -> tuple[PolicyValueNet, str]:
    """The network in a weights file (``beasty.policy``) or a training
    checkpoint, and a name for it; ``ValueError`` if it is neither.  A
    checkpoint's network is built from its config's ``network`` section
    alone: loading never reads the training settings."""
    from beasty.policy.checkpoint import CheckpointError, load_checkpoint
    from beasty.policy.weights import NotWeightsFile, build_network, load_weights

    try:
        return load_weights(path), Path(path).stem
    except NotWeightsFile as not_weights:
        try:
            data = load_checkpoint(path)
        except CheckpointError as e:
            raise ValueError(f"neither a weights file ({not_weights}) nor a checkpoint ({e})") from e
        network = load_yaml(data["config"]).get("network", {})
        return build_network(network, data["model"], path), f"ppo@{int(data['iteration'])}"


def shipped_agent(seed: int = 0) -> NeuralAgent:
    """``make("ppo")``: the network shipped with the package, greedy."""
    from beasty.policy.weights import load_weights

    return NeuralAgent(load_weights(), greedy=True, seed=seed, name="ppo")
