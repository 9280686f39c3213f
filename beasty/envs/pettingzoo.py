"""A PettingZoo AEC environment (``pip install "beasty[pettingzoo]"``): the
two players of one game, each observing from their own seat.

>>> from beasty.envs.pettingzoo import env
>>> game = env(render_mode="ansi")
>>> game.reset(seed=0)
>>> for agent in game.agent_iter():
...     observation, reward, termination, truncation, info = game.last()
...     action = None if termination or truncation else \\
...         game.action_space(agent).sample(observation["action_mask"])
...     game.step(action)

Conventions (those of PettingZoo's classic games): agents ``player_0`` and
``player_1`` (the engine's seats), observations are dicts of
``observation`` (162 floats in [0, 1], what that player knows) and
``action_mask`` (int8, all zero when it is not their turn); the reward is
+1/-1 (0 for a draw) at the end.  :func:`env` wraps :class:`raw_env` in
PettingZoo's standard wrappers: an illegal move ends the game with reward
-1 for the offender (``TerminateIllegalWrapper``); the raw env raises
``ValueError`` instead.  ``reset(seed=s)`` makes the deal reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from gymnasium.utils import seeding
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from beasty._ext import ACTION_NAMES, NUM_ACTIONS, OBS_DIM, GameBatch
from beasty.envs import action_index

AGENTS = ("player_0", "player_1")


def env(render_mode: str | None = None) -> AECEnv[str, dict[str, Any], int]:
    """The wrapped environment (illegal moves terminate, order enforced)."""
    wrapped: Any = raw_env(render_mode=render_mode)
    wrapped = wrappers.TerminateIllegalWrapper(wrapped, illegal_reward=-1)
    wrapped = wrappers.AssertOutOfBoundsWrapper(wrapped)
    return wrappers.OrderEnforcingWrapper(wrapped)


class raw_env(AECEnv[str, dict[str, Any], int]):
    metadata: dict[str, Any] = {  # noqa: RUF012 - PettingZoo declares it so
        "render_modes": ["ansi"],
        "name": "beasty_bar_v0",
        "is_parallelizable": False,
        "render_fps": 1,
    }

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__()
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.possible_agents = list(AGENTS)
        self.agents = list(AGENTS)
        space = spaces.Dict(
            {
                "observation": spaces.Box(0.0, 1.0, (OBS_DIM,), np.float32),
                "action_mask": spaces.Box(0, 1, (NUM_ACTIONS,), np.int8),
            }
        )
        self.observation_spaces = dict.fromkeys(AGENTS, space)
        self.action_spaces = dict.fromkeys(AGENTS, spaces.Discrete(NUM_ACTIONS))
        self.games = GameBatch(1, auto_reset=False)
        self.np_random, _ = seeding.np_random(None)
        self._start()

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    def observe(self, agent: str) -> dict[str, npt.NDArray[Any]]:
        obs, mask = self.games.observe(np.zeros(1, np.int32), players=[AGENTS.index(agent)])
        return {"observation": obs[0], "action_mask": mask[0].astype(np.int8)}

    def _start(self) -> None:
        self.games.reset(int(self.np_random.integers(0, 2**63)))
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos: dict[str, dict[str, Any]] = {agent: {} for agent in AGENTS}
        self.agent_selection = AGENTS[int(self.games.to_move[0])]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self._start()

    def step(self, action: int | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        legal = self.games.legal_actions(0)
        if action is None or action_index(action) not in legal:
            names = ", ".join(f"{a} ({ACTION_NAMES[a]})" for a in legal)
            raise ValueError(f"illegal action {action!r} for {agent}; legal now: {names}")
        self._cumulative_rewards[agent] = 0.0
        self.games.step([action_index(action)])
        if self.games.done[0]:
            scores = self.games.scores()[0]
            result = float(np.sign(int(scores[0]) - int(scores[1])))
            self.rewards = {AGENTS[0]: result, AGENTS[1]: -result}
            self.terminations = dict.fromkeys(AGENTS, True)
        else:
            self.agent_selection = AGENTS[int(self.games.to_move[0])]
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        from beasty.play.terminal import table_text

        seat = AGENTS.index(self.agent_selection)
        return table_text(self.games.get_state(0), seat, "the other player")

    def close(self) -> None:
        pass


__all__ = ["AGENTS", "env", "raw_env"]
