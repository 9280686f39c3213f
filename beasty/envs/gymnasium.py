"""Gymnasium environments: the learner against any agent of
:func:`beasty.agents.make`, one game (:class:`BeastyBarEnv`) or many stepped
together in C (:class:`BeastyBarVectorEnv`).

Conventions (Gymnasium's, for masked discrete actions): the observation is
the mover's 162 floats in [0, 1] (``beasty._ext.OBS_SEGMENTS``), the action
one of the 33 indices of ``beasty._ext.ACTION_NAMES``, and
``info["action_mask"]`` (int8) marks the legal ones, so
``env.action_space.sample(info["action_mask"])`` is a legal random move.
An illegal action raises ``ValueError``; with ``illegal_action="lose"``
it ends the game as a loss instead (reward -1, ``info["forfeit"]``), as
board-game environments often do, and as tools that step random unmasked
actions need (``gymnasium.utils.env_checker.check_env``).  The reward is
+1, -1 or 0 (a draw) from the learner's seat when the game ends, 0 before;
a game always ends (``terminated``), it is never truncated.  The opponent's moves happen
inside ``step``; the learner's seat is ``seat`` (0 or 1) or drawn per game.

Seeding: ``reset(seed=s)`` seeds the env's generator, which draws a key;
game k after it is dealt from splitmix64(key + k * golden) and its seat
(when drawn) is that seed's top bit, so a vector env derives every sub-env's
games at once in numpy.  The opponent is seeded once (``opponent_seed``); the
C agents' decisions then depend only on that seed and what they know, so
sub-env ``i`` of a vector env reset with seed ``s`` plays exactly as a
single env reset with ``s + i``.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import numpy.typing as npt
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv

from beasty._ext import ACTION_NAMES, NUM_ACTIONS, OBS_DIM, GameBatch
from beasty.agents import Agent, make
from beasty.envs import action_index
from beasty.match import play_until_turn

OBSERVATION_SPACE = spaces.Box(0.0, 1.0, (OBS_DIM,), np.float32)
ACTION_SPACE = spaces.Discrete(NUM_ACTIONS)
ONE_GAME = np.zeros(1, dtype=np.int32)


def _opponent(opponent: str | Agent, opponent_seed: int, settings: dict[str, Any]) -> Agent:
    if isinstance(opponent, Agent):
        if settings:
            raise TypeError("settings apply to an opponent given by name, not to an Agent")
        return opponent
    return make(opponent, seed=opponent_seed, **settings)


def _check_seat(seat: int | None) -> int | None:
    if seat is not None and (isinstance(seat, bool) or seat not in (0, 1)):
        raise ValueError(f"seat must be 0, 1 or None (drawn per game), got {seat!r}")
    return seat


GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finalizer, elementwise (uint64 arithmetic wraps)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _new_key(rng: np.random.Generator) -> np.uint64:
    return rng.integers(0, 2**64, dtype=np.uint64)


def _games(
    keys: npt.NDArray[np.uint64], episodes: npt.NDArray[np.uint64], seat: int | None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32]]:
    """Deal seeds and learner seats of game ``episodes[i]`` of key ``keys[i]``."""
    deals = _mix64(keys + episodes * GOLDEN)
    if seat is not None:
        return deals, np.full(len(deals), seat, dtype=np.int32)
    return deals, (_mix64(deals) >> np.uint64(63)).astype(np.int32)


ILLEGAL_ACTION_RULES = ("raise", "lose")


def _check_rule(illegal_action: str) -> str:
    if illegal_action not in ILLEGAL_ACTION_RULES:
        raise ValueError(f"illegal_action must be one of {ILLEGAL_ACTION_RULES}, got {illegal_action!r}")
    return illegal_action


def _illegal(action: int, legal: list[int], where: str = "") -> ValueError:
    names = ", ".join(f"{a} ({ACTION_NAMES[a]})" for a in legal)
    return ValueError(f"illegal action {action}{where}; legal now: {names}")


class BeastyBarEnv(gymnasium.Env[npt.NDArray[np.float32], np.int64]):
    """One game against ``opponent`` (an agent name or an :class:`Agent`)."""

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 1}  # noqa: RUF012 - Gymnasium declares it so

    def __init__(
        self,
        opponent: str | Agent = "random",
        seat: int | None = None,
        render_mode: str | None = None,
        opponent_seed: int = 0,
        illegal_action: str = "raise",
        **opponent_settings: Any,
    ) -> None:
        self.illegal_action = _check_rule(illegal_action)
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.opponent = _opponent(opponent, opponent_seed, opponent_settings)
        self.fixed_seat = _check_seat(seat)
        self.render_mode = render_mode
        self.observation_space = OBSERVATION_SPACE
        self.action_space = ACTION_SPACE
        self.games = GameBatch(1, auto_reset=False)
        self.seat = 0
        self._key: np.uint64 | None = None
        self._episode = 0
        self._started = False
        self._forfeited = False

    def _opponent_moves(self) -> None:
        play_until_turn(self.games, ONE_GAME, np.array([self.seat], np.int32), self.opponent.act_batch)

    def _observation(self) -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
        # the learner's view, as in the vector env: no moves once the game is over
        obs, mask = self.games.observe(ONE_GAME, players=[self.seat])
        if self._forfeited:
            mask[:] = 0
        return obs[0], {"action_mask": mask[0].view(np.int8), "seat": self.seat, "forfeit": self._forfeited}

    def _over(self) -> bool:
        return self._forfeited or bool(self.games.done[0])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None or self._key is None:
            self._key, self._episode = _new_key(self.np_random), 0
        deals, seats = _games(np.array([self._key]), np.array([self._episode], np.uint64), self.fixed_seat)
        self._episode += 1
        self.seat = int(seats[0])
        self.games.reset(int(deals[0]))
        self._started, self._forfeited = True, False
        self._opponent_moves()
        return self._observation()

    def step(self, action: Any) -> tuple[npt.NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self._over():
            raise RuntimeError("the game is over: call reset() to start another")
        action = action_index(action)
        legal = self.games.legal_actions(0)
        if action not in legal:
            if self.illegal_action == "raise":
                raise _illegal(action, legal)
            self._forfeited = True
            obs, info = self._observation()
            return obs, -1.0, True, False, info
        self.games.step([action])
        self._opponent_moves()
        obs, info = self._observation()
        reward = 0.0
        if self.games.done[0]:
            scores = self.games.scores()[0]
            reward = float(np.sign(int(scores[self.seat]) - int(scores[1 - self.seat])))
        return obs, reward, bool(self.games.done[0]), False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        from beasty.play.terminal import table_text

        return table_text(self.games.get_state(0), self.seat, self.opponent.name)


class BeastyBarVectorEnv(VectorEnv[npt.NDArray[np.float32], npt.NDArray[np.int64], Any]):
    """``num_envs`` games against one ``opponent``, stepped together in C.

    Autoreset mode NEXT_STEP (Gymnasium's default): the step after a game
    ends resets that sub-env and ignores its action, returning the new
    game's first observation with reward 0."""

    metadata: dict[str, Any] = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}  # noqa: RUF012 - Gymnasium declares it so

    def __init__(
        self,
        num_envs: int,
        opponent: str | Agent = "random",
        seat: int | None = None,
        opponent_seed: int = 0,
        illegal_action: str = "raise",
        **opponent_settings: Any,
    ) -> None:
        self.illegal_action = _check_rule(illegal_action)
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or not 1 <= num_envs <= 1 << 20:
            raise ValueError(f"num_envs must be an integer in [1, 2**20], got {num_envs!r}")
        self.num_envs = num_envs
        self.opponent = _opponent(opponent, opponent_seed, opponent_settings)
        self.fixed_seat = _check_seat(seat)
        self.single_observation_space = OBSERVATION_SPACE
        self.single_action_space = ACTION_SPACE
        self.observation_space = spaces.Box(0.0, 1.0, (num_envs, OBS_DIM), np.float32)
        self.action_space = spaces.MultiDiscrete(np.full(num_envs, NUM_ACTIONS))
        self.games = GameBatch(num_envs, auto_reset=False)
        self.keys = np.zeros(num_envs, dtype=np.uint64)
        self.episodes = np.zeros(num_envs, dtype=np.uint64)
        self.seats = np.zeros(num_envs, dtype=np.int32)
        self.all_envs = np.arange(num_envs, dtype=np.int32)
        # buffers reused by every step (the returned arrays are these)
        self.obs = np.zeros((num_envs, OBS_DIM), dtype=np.float32)
        self.mask = np.zeros((num_envs, NUM_ACTIONS), dtype=np.uint8)
        self.rewards = np.zeros(num_envs, dtype=np.float64)
        self.terminated = np.zeros(num_envs, dtype=bool)
        self.truncated = np.zeros(num_envs, dtype=bool)
        self.needs_reset = np.zeros(num_envs, dtype=bool)
        self.forfeit = np.zeros(num_envs, dtype=bool)
        self._started = False

    def _start_games(self, envs: npt.NDArray[np.int32]) -> None:
        deals, self.seats[envs] = _games(self.keys[envs], self.episodes[envs], self.fixed_seat)
        self.episodes[envs] += np.uint64(1)
        self.games.reset_games(envs, deals)
        play_until_turn(self.games, envs, self.seats, self.opponent.act_batch)

    def _observations(self) -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
        # the learner's view; a finished game shows its final table, with no moves
        self.games.observe(obs=self.obs, mask=self.mask, players=self.seats)
        self.mask[self.forfeit] = 0
        info = {
            "action_mask": self.mask.view(np.int8),
            "seat": self.seats.copy(),
            "forfeit": self.forfeit.copy(),
        }
        return self.obs, info

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
        if seed is None or isinstance(seed, int):
            seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be an int or {self.num_envs} seeds, got {len(seeds)}")
        self.keys[:] = [_new_key(seeding.np_random(s)[0]) for s in seeds]
        self.episodes[:] = 0
        self._start_games(self.all_envs)
        self.needs_reset[:] = False
        self._started = True
        return self._observations()

    def step(
        self, actions: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64], npt.NDArray[np.bool_],
               npt.NDArray[np.bool_], dict[str, Any]]:  # fmt: skip
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or actions.dtype.kind not in "iu":
            raise ValueError(f"actions must be {self.num_envs} integers, got shape {actions.shape} "
                             f"and dtype {actions.dtype}")  # fmt: skip
        restart = np.flatnonzero(self.needs_reset).astype(np.int32)
        if len(restart):
            self.forfeit[restart] = False
        playing = np.flatnonzero(~self.needs_reset).astype(np.int32)
        chosen = actions[playing]
        in_range = (chosen >= 0) & (chosen < NUM_ACTIONS)
        legal = in_range & (self.mask[playing, np.where(in_range, chosen, 0)] == 1)
        if not legal.all():
            bad = playing[~legal]
            if self.illegal_action == "raise":
                i = int(bad[0])
                raise _illegal(int(actions[i]), self.games.legal_actions(i), f" in sub-env {i}")
            self.forfeit[bad] = True
            playing = playing[legal]
        if len(playing):
            self.games.step(actions[playing], playing)
            play_until_turn(self.games, playing, self.seats, self.opponent.act_batch)
        if len(restart):
            self._start_games(restart)
        done = self.games.done | self.forfeit
        self.terminated[:] = done
        self.rewards[:] = 0.0
        self.rewards[self.forfeit] = -1.0
        ended = np.flatnonzero(self.games.done & ~self.forfeit)
        if len(ended):
            scores = self.games.scores()[ended]
            seats = self.seats[ended]
            self.rewards[ended] = np.sign(scores[np.arange(len(ended)), seats]
                                          - scores[np.arange(len(ended)), 1 - seats])  # fmt: skip
        self.needs_reset[:] = done
        obs, info = self._observations()
        return obs, self.rewards, self.terminated, self.truncated, info


__all__ = ["BeastyBarEnv", "BeastyBarVectorEnv"]
