"""The agent interface shared by scripted opponents, the random agent and
neural policies."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from beasty._ext import GameBatch
from beasty.rules import State

IntArray = npt.NDArray[np.int32]


class Agent(abc.ABC):
    """Chooses actions for the player to move.

    ``act_batch`` is the primary entry point: it decides for the games
    ``idx`` of a :class:`GameBatch` at once (the C engine does the work for
    scripted agents).  ``act`` decides for one :class:`State`.  Agents only
    look at what the mover may see: their own hand and pile, the public
    zones, and the set of the opponent's unplayed animals.
    """

    name: str = "agent"

    @abc.abstractmethod
    def act_batch(self, games: GameBatch, idx: Sequence[int] | npt.NDArray[np.integer]) -> IntArray:
        """One action per selected game (all games must be running)."""

    def act(self, game: State | GameBatch, index: int = 0, seed: int | None = None) -> int:
        """The action for one game: a :class:`State` (the player
        ``state.to_move``) or game ``index`` of a :class:`GameBatch`.  With
        ``seed`` the agent's random stream is reset first, so the same seed
        gives the same choice."""
        if seed is not None:
            self.reseed(seed)
        if isinstance(game, State):
            games = GameBatch(1, auto_reset=False)
            games.set_state(0, game, strict=False)
            index = 0
        elif isinstance(game, GameBatch):
            games = game
            if not 0 <= index < len(games):
                raise IndexError(f"game index {index} out of range for a batch of {len(games)}")
        else:
            raise TypeError(f"expected a State or a GameBatch, got {type(game).__name__}")
        if games.done[index]:
            raise ValueError("the game is over: there is no action to choose")
        return int(self.act_batch(games, np.array([index], dtype=np.int32))[0])

    def reseed(self, seed: int) -> None:  # noqa: B027 - optional for deterministic agents
        """Resets the agent's random stream (no-op for deterministic agents)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
