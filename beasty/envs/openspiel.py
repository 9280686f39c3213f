"""Beasty Bar as an OpenSpiel Python game (``pip install "beasty[openspiel]"``).

``import beasty.envs.openspiel`` registers ``python_beasty_bar``::

    import pyspiel, beasty.envs.openspiel
    game = pyspiel.load_game("python_beasty_bar")

The game follows the pure-Python reference rules (:mod:`beasty.rules`,
docs/RULES.md), so any OpenSpiel algorithm written in Python runs on it.

- Chance deals card by card: player 0's twelve animals in deal order (the
  first four are the hand, the rest the pile, top first), then player 1's,
  each chance action the species' strength minus 1 among the animals not yet
  dealt, all equally likely; then the start player (0 or 1).  The deal is as
  uniform as the engine's shuffle.
- Player actions are the engine's 33 action indices (``ACTION_NAMES``).
- Information state (perfect recall) of player p: who started, p's first
  hand as a set, every action played, and each card p drew.  The
  observation (no recall) is the engine's 162-float observation.
- ``resample_from_infostate(p, sampler)`` draws a deal consistent with p's
  information uniformly (the opponent's k-th played animal was among their
  first 4 + k cards; p's unseen pile cards in any order) and replays the
  actions; nothing p cannot see is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyspiel

from beasty import rules
from beasty._ext import ACTION_NAMES, NUM_ACTIONS, OBS_DIM, GameBatch
from beasty.rules import Card, Species

NAME = "python_beasty_bar"
CARDS = 12
HAND = 4
DEAL_ACTIONS = 2 * CARDS + 1  # both players' cards, then the start player
HISTORY_DIM = 2 + 2 + CARDS + 2 * CARDS * NUM_ACTIONS + CARDS * CARDS

_GAME_TYPE = pyspiel.GameType(
    short_name=NAME,
    long_name="Beasty Bar (beasty, Python)",
    dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
    chance_mode=pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC,
    information=pyspiel.GameType.Information.IMPERFECT_INFORMATION,
    utility=pyspiel.GameType.Utility.ZERO_SUM,
    reward_model=pyspiel.GameType.RewardModel.TERMINAL,
    max_num_players=2,
    min_num_players=2,
    provides_information_state_string=True,
    provides_information_state_tensor=True,
    provides_observation_string=True,
    provides_observation_tensor=True,
    provides_factored_observation_string=False,
)
_GAME_INFO = pyspiel.GameInfo(
    num_distinct_actions=NUM_ACTIONS,
    max_chance_outcomes=CARDS,
    num_players=2,
    min_utility=-1.0,
    max_utility=1.0,
    utility_sum=0.0,
    max_game_length=2 * CARDS,
)


class BeastyBarGame(pyspiel.Game):
    def __init__(self, params: dict[str, Any] | None = None) -> None:
        super().__init__(_GAME_TYPE, _GAME_INFO, params or {})

    def new_initial_state(self) -> BeastyBarState:
        return BeastyBarState(self)

    def make_py_observer(
        self, iig_obs_type: pyspiel.IIGObservationType | None = None, params: dict[str, Any] | None = None
    ) -> Observer:
        if params:
            raise ValueError(f"observation parameters are not supported, got {params}")
        recall = iig_obs_type is not None and iig_obs_type.perfect_recall
        return Observer(perfect_recall=recall)


class BeastyBarState(pyspiel.State):
    def __init__(self, game: BeastyBarGame) -> None:
        super().__init__(game)
        self.orders: tuple[list[Species], list[Species]] = ([], [])  # each player's deal order
        self.start: int | None = None
        self.table: rules.State | None = None  # the game once dealt

    # ------------------------------------------------------------ the game
    def current_player(self) -> int:
        if self.table is None:
            return int(pyspiel.PlayerId.CHANCE)
        if rules.is_terminal(self.table):
            return int(pyspiel.PlayerId.TERMINAL)
        return self.table.to_move

    def _legal_actions(self, player: int) -> list[int]:
        assert self.table is not None and player == self.table.to_move
        return rules.legal_actions(self.table)

    def chance_outcomes(self) -> list[tuple[int, float]]:
        assert self.table is None
        if len(self.orders[1]) == CARDS:
            return [(0, 0.5), (1, 0.5)]
        dealing = self.orders[0] if len(self.orders[0]) < CARDS else self.orders[1]
        left = [s for s in Species if s not in dealing]
        return [(int(s) - 1, 1.0 / len(left)) for s in left]

    def _apply_action(self, action: int) -> None:
        if self.table is not None:
            self.table = rules.step(self.table, action)
            return
        if action not in (outcome for outcome, _ in self.chance_outcomes()):
            raise ValueError(f"chance outcome {action} is not on offer now: {self.chance_outcomes()}")
        if len(self.orders[1]) < CARDS:
            (self.orders[0] if len(self.orders[0]) < CARDS else self.orders[1]).append(Species(action + 1))
            return
        self.start = action
        cards = [[Card(p, s) for s in self.orders[p]] for p in (0, 1)]
        self.table = rules.State(
            (), (), (), (tuple(cards[0][:HAND]), tuple(cards[1][:HAND])),
            (tuple(cards[0][HAND:]), tuple(cards[1][HAND:])), 0, action, True,
        )  # fmt: skip

    def _action_to_string(self, player: int, action: int) -> str:
        if player == pyspiel.PlayerId.CHANCE:
            return (
                f"start:{action}"
                if len(self.orders[1]) == CARDS
                else f"deal:{Species(action + 1).name.lower()}"
            )
        return ACTION_NAMES[action]

    def is_terminal(self) -> bool:
        return self.table is not None and rules.is_terminal(self.table)

    def returns(self) -> list[float]:
        if not self.is_terminal():
            return [0.0, 0.0]
        assert self.table is not None
        winner = rules.winner(self.table)
        return [0.0, 0.0] if winner is None else [1.0, -1.0] if winner == 0 else [-1.0, 1.0]

    def __str__(self) -> str:
        if self.table is None:
            return f"dealing: {_names(self.orders[0])} / {_names(self.orders[1])}"
        return repr(self.table)

    # ------------------------------------------------- what a player knows
    def played(self) -> list[int]:
        """The players' actions so far, in order."""
        return [] if self.table is None else list(self.table.history)

    def draws(self, player: int) -> list[Species]:
        """The cards ``player`` drew, one per own turn while the pile lasted."""
        if self.table is None or self.start is None:
            return []
        own_turns = sum(1 for t in range(self.table.turn) if (self.start + t) % 2 == player)
        return self.orders[player][HAND : HAND + min(own_turns, CARDS - HAND)]

    def resample_from_infostate(
        self, player_id: int, probability_sampler: Callable[[], float]
    ) -> BeastyBarState:
        """A state drawn uniformly among those ``player_id`` cannot tell from
        this one (same information state), with the same history of play."""
        if self.table is None or self.start is None:
            raise pyspiel.SpielError("resample_from_infostate is defined once the cards are dealt")

        def pick(n: int) -> int:
            return min(int(probability_sampler() * n), n - 1)

        me, other = player_id, 1 - player_id
        orders: list[list[Species]] = [[], []]
        # mine: the first hand as dealt (as a set: keep it), the draws as seen, the rest in any order
        seen = self.orders[me][:HAND] + self.draws(me)
        unseen = sorted(s for s in self.orders[me] if s not in seen)  # sorted: the true order stays unread
        orders[me] = seen + _shuffled(unseen, pick)
        # theirs: their k-th played animal among their first 4 + k cards, the rest anywhere
        theirs_played = [rules.ACTIONS[a].species for t, a in enumerate(self.table.history)
                         if (self.start + t) % 2 == other]  # fmt: skip
        order: list[Species | None] = [None] * CARDS
        for k, species in enumerate(theirs_played):
            free = [i for i in range(min(HAND + k, CARDS)) if order[i] is None]
            order[free[pick(len(free))]] = species
        rest = _shuffled([s for s in Species if s not in theirs_played], pick)
        orders[other] = [s if s is not None else rest.pop() for s in order]
        state: BeastyBarState = self.get_game().new_initial_state()
        for p in (0, 1):
            for species in orders[p]:
                state.apply_action(int(species) - 1)
        state.apply_action(self.start)
        for action in self.table.history:
            state.apply_action(action)
        return state


def _names(species: list[Species]) -> str:
    return ",".join(s.name.lower() for s in species)


def _shuffled(items: list[Species], pick: Callable[[int], int]) -> list[Species]:
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = pick(i + 1)
        out[i], out[j] = out[j], out[i]
    return out


class Observer:
    """OpenSpiel's observer protocol: the information state (perfect
    recall) or the engine's observation (no recall), as tensor and string."""

    def __init__(self, perfect_recall: bool) -> None:
        self.perfect_recall = perfect_recall
        self.tensor = np.zeros(HISTORY_DIM if perfect_recall else OBS_DIM, np.float32)
        self.dict = {"observation": self.tensor}
        self._scratch = GameBatch(1, auto_reset=False)

    def set_from(self, state: BeastyBarState, player: int) -> None:
        self.tensor.fill(0)
        if state.table is None or state.start is None:
            return
        if not self.perfect_recall:
            self._scratch.set_state(0, state.table)
            self.tensor[:] = self._scratch.observe_player(0, player)
            return
        at = 0
        self.tensor[player] = 1
        self.tensor[2 + state.start] = 1
        for species in state.orders[player][:HAND]:
            self.tensor[4 + int(species) - 1] = 1
        at = 4 + CARDS
        for t, action in enumerate(state.played()):
            self.tensor[at + t * NUM_ACTIONS + action] = 1
        at += 2 * CARDS * NUM_ACTIONS
        for k, species in enumerate(state.draws(player)):
            self.tensor[at + k * CARDS + int(species) - 1] = 1

    def string_from(self, state: BeastyBarState, player: int) -> str:
        if state.table is None or state.start is None:
            return f"p{player} dealing"
        if self.perfect_recall:
            hand = ",".join(sorted(s.name.lower() for s in state.orders[player][:HAND]))
            draws = ",".join(s.name.lower() for s in state.draws(player))
            moves = ",".join(ACTION_NAMES[a] for a in state.played())
            return f"p{player} start:{state.start} hand:{hand} drew:{draws} moves:{moves}"
        table = state.table

        def names(cards: tuple[Card, ...]) -> str:
            return ",".join(
                f"{'mine' if c.owner == player else 'theirs'}:{c.species.name.lower()}" for c in cards
            )

        own = ",".join(sorted(c.species.name.lower() for c in table.hands[player]))
        pile = ",".join(sorted(c.species.name.lower() for c in table.decks[player]))
        return (
            f"p{player} turn:{table.turn} queue:{names(table.queue)} bar:{names(table.bar)} "
            f"thats_it:{names(table.thats_it)} hand:{own} pile:{pile} "
            f"their_hand:{len(table.hands[1 - player])} their_pile:{len(table.decks[1 - player])}"
        )


pyspiel.register_game(_GAME_TYPE, BeastyBarGame)

__all__ = ["NAME", "BeastyBarGame", "BeastyBarState"]
