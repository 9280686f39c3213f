"""The OpenSpiel game (beasty[openspiel]): OpenSpiel's own checks, exact
resampling from information states, and OpenSpiel's Python ISMCTS bot
against beasty's agents."""

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel")

import beasty.envs.openspiel  # noqa: E402, F401  (registers the game)
from beasty._ext import GameBatch  # noqa: E402
from beasty.agents import make  # noqa: E402


def _game():
    return pyspiel.load_game("python_beasty_bar")


def _play_randomly(seed: int, turns: int):
    """A state after the deal and ``turns`` random moves."""
    rng = np.random.default_rng(seed)
    state = _game().new_initial_state()
    while state.is_chance_node():
        actions, probs = zip(*state.chance_outcomes(), strict=True)
        state.apply_action(int(rng.choice(actions, p=probs)))
    for _ in range(turns):
        if state.is_terminal():
            break
        state.apply_action(int(rng.choice(state.legal_actions())))
    return state


def test_openspiel_random_simulation_checks():
    pyspiel.random_sim_test(_game(), num_sims=20, serialize=False, verbose=False)


def test_the_deal_matches_the_engine_rules():
    state = _play_randomly(1, 0)
    table = state.table
    assert sorted(int(c.species) for c in (*table.hands[0], *table.decks[0])) == list(range(1, 13))
    games = GameBatch(1, auto_reset=False)
    games.set_state(0, table)  # a reachable state for the engine's validator
    assert games.legal_actions(0) == state.legal_actions()


@pytest.mark.parametrize("turns", [0, 1, 5, 11, 17, 23])
def test_resampling_keeps_everything_the_player_knows(turns):
    """OpenSpiel's resample-infostate checks, for both players."""
    rng = np.random.default_rng(turns)
    state = _play_randomly(100 + turns, turns)
    history = [a for a in state.history()][25:]  # the players' moves, after the 25 chance actions
    for player in (0, 1):
        hands = set()
        for _ in range(40):
            other = state.resample_from_infostate(player, rng.random)
            assert other.information_state_string(player) == state.information_state_string(player)
            assert other.information_state_tensor(player) == state.information_state_tensor(player)
            assert other.observation_string(player) == state.observation_string(player)
            assert other.observation_tensor(player) == state.observation_tensor(player)
            assert other.current_player() == state.current_player()
            assert other.is_terminal() == state.is_terminal()
            if not state.is_terminal() and player == state.current_player():
                assert other.legal_actions(player) == state.legal_actions(player)
            assert list(other.history())[25:] == history
            hands.add(tuple(sorted(c.species for c in other.table.hands[1 - player])))
        if len(state.table.hands[1 - player]) and turns < 17:
            assert len(hands) > 1  # the opponent's hand is really redrawn


def test_resampling_reads_nothing_hidden():
    """Two states the player cannot tell apart resample identically from
    the same random numbers: the hidden cards are never read."""
    state = _play_randomly(7, 9)
    for player in (0, 1):
        twin = state.resample_from_infostate(player, np.random.default_rng(1).random)
        assert twin.information_state_string(player) == state.information_state_string(player)
        a = state.resample_from_infostate(player, np.random.default_rng(2).random)
        b = twin.resample_from_infostate(player, np.random.default_rng(2).random)
        assert list(a.history()) == list(b.history())


def test_resampling_is_uniform_at_the_start():
    """Before any move the opponent's hand is a uniform 4 of 12: each species
    is in it a third of the time."""
    state = _play_randomly(3, 0)
    player = state.current_player()
    rng = np.random.default_rng(0)
    counts = np.zeros(12)
    draws = 1500
    for _ in range(draws):
        other = state.resample_from_infostate(player, rng.random)
        for card in other.table.hands[1 - player]:
            counts[int(card.species) - 1] += 1
    expected = draws * 4 / 12
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 31.3  # 11 degrees of freedom, p = 0.001


def test_openspiel_ismcts_bot_plays_beasty_agents():
    from open_spiel.python.algorithms import ismcts, mcts

    game = _game()
    rng = np.random.RandomState(4)
    bot = ismcts.ISMCTSBot(game, mcts.RandomRolloutEvaluator(1, rng), uct_c=2.0, max_simulations=40,
                           random_state=rng)  # fmt: skip
    agent = make("heuristic", seed=3)
    scratch = GameBatch(1, auto_reset=False)
    for bot_seat in (0, 1):
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                actions, probs = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(int(rng.choice(actions, p=probs)))
            elif state.current_player() == bot_seat:
                state.apply_action(int(bot.step(state)))
            else:
                scratch.set_state(0, state.table)
                action = int(agent.act(scratch, 0))
                assert action in state.legal_actions()
                state.apply_action(action)
        returns = state.returns()
        assert returns[0] == -returns[1] and returns[0] in (-1.0, 0.0, 1.0)


def test_chance_nodes_refuse_outcomes_not_on_offer():
    state = _game().new_initial_state()
    state.apply_action(0)  # player 0's first card: the skunk
    with pytest.raises(Exception, match="not on offer"):
        state.apply_action(0)  # a second skunk
    with pytest.raises(Exception, match="not on offer"):
        state.apply_action(12)
    assert [o for o, _ in state.chance_outcomes()] == list(range(1, 12))
