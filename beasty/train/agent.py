"""A trained network as a :class:`beasty.agents.Agent`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch

from beasty._ext import GameBatch
from beasty.agents.base import Agent, IntArray
from beasty.train.network import PolicyValueNet, masked_logits


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
        self.generator = torch.Generator().manual_seed(seed)

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    @torch.no_grad()
    def act_batch(self, games: GameBatch, idx: Sequence[int] | npt.NDArray[np.integer]) -> IntArray:
        ids = np.asarray(idx)
        if len(ids) == 0:
            return np.zeros(0, dtype=np.int32)
        obs, mask = games.observe(ids)
        if not mask.any(axis=1).all():
            raise ValueError("a selected game is over: there is no action to choose")
        was_training = self.net.training
        self.net.eval()
        logits, _ = self.net(torch.from_numpy(obs))
        self.net.train(was_training)
        z = masked_logits(logits, torch.from_numpy(mask), self.temperature)
        if self.greedy:
            return z.argmax(dim=1).numpy().astype(np.int32)
        probs = torch.softmax(z, dim=1)
        return torch.multinomial(probs, 1, generator=self.generator).squeeze(1).numpy().astype(np.int32)
