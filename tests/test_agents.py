"""The ten reference opponents: scores against a Python oracle, seeding,
hidden information, calibration against the public project's figures."""

import math

import numpy as np
import oracle_agents as oracle
import pytest
from hypothesis import given
from hypothesis import strategies as st

from beasty import rules
from beasty._ext import GameBatch, Rng
from beasty.agents import DISTILLED_WEIGHTS, OPPONENT_NAMES, make
from beasty.evaluate import play_match

ORACLES = {
    "heuristic": lambda s, a: oracle.heuristic(s, a),
    "aggressive": lambda s, a: oracle.heuristic(s, a, {"bar_weight": 3.0}),
    "defensive": lambda s, a: oracle.heuristic(s, a, {"bar_weight": 1.0}),
    "queue": lambda s, a: oracle.heuristic(s, a, {"queue_front_weight": 2.0}),
    "skunk": lambda s, a: oracle.heuristic(s, a, None, {"skunk": 2.0}),
    "noisy": lambda s, a: oracle.heuristic(s, a),
    "online": oracle.online,
    "outcome_heuristic": lambda s, a: oracle.outcome(s, a),
    "distilled_outcome": lambda s, a: oracle.outcome(s, a, DISTILLED_WEIGHTS),
}


def random_position(seed: int, plies: int) -> GameBatch:
    games = GameBatch(1, seed=seed, auto_reset=False)
    rng = Rng(seed + 1)
    for _ in range(plies):
        if games.done[0]:
            break
        games.step(games.random_actions(rng))
    return games


def test_registry():
    assert OPPONENT_NAMES == (
        "random",
        "heuristic",
        "aggressive",
        "defensive",
        "queue",
        "skunk",
        "noisy",
        "online",
        "outcome_heuristic",
        "distilled_outcome",
    )
    for name in OPPONENT_NAMES:
        assert make(name, seed=3).name == name
    with pytest.raises(ValueError, match="unknown agent"):
        make("minimax")


@pytest.mark.parametrize("name", list(ORACLES))
@given(seed=st.integers(0, 2**63), plies=st.integers(0, 22))
def test_scores_match_python_oracle(name, seed, plies):
    games = random_position(seed, plies)
    if games.done[0]:
        return
    state = games.get_state(0)
    scores = make(name).scores(games, 0)
    legal = games.legal_actions(0)
    assert np.isnan(np.delete(scores, legal)).all()
    for a in legal:
        assert math.isclose(scores[a], ORACLES[name](state, a), rel_tol=1e-9, abs_tol=1e-9), a


@pytest.mark.parametrize("name", OPPONENT_NAMES)
def test_same_seed_same_games(name):
    def run(seed):
        r = play_match(make(name, seed=seed), make("random", seed=seed + 1), 200, seed=5)
        return (r.wins, r.losses, r.margin_sum, r.length_sum)

    assert run(11) == run(11)


def test_noisy_and_random_depend_on_seed():
    a = play_match(make("noisy", seed=1), make("random", seed=2), 400)
    b = play_match(make("noisy", seed=9), make("random", seed=2), 400)
    assert (a.wins, a.margin_sum) != (b.wins, b.margin_sum)


@pytest.mark.parametrize("name", OPPONENT_NAMES[1:])
@given(seed=st.integers(0, 2**63), plies=st.integers(0, 20))
def test_decisions_ignore_hidden_information(name, seed, plies):
    games = random_position(seed, plies)
    if games.done[0]:
        return
    s = games.get_state(0)
    opp = 1 - s.to_move
    pool = list(s.hands[opp] + s.decks[opp])[::-1]  # other hidden cards, same set
    hands, decks = list(s.hands), list(s.decks)
    hands[opp], decks[opp] = tuple(pool[: len(s.hands[opp])]), tuple(pool[len(s.hands[opp]) :])
    decks[s.to_move] = decks[s.to_move][::-1]
    other = GameBatch(1, auto_reset=False)
    other.set_state(0, rules.State(s.queue, s.bar, s.thats_it, tuple(hands), tuple(decks), s.turn, s.to_move))
    agent = make(name)
    np.testing.assert_array_equal(agent.scores(games, 0), agent.scores(other, 0))


def test_act_on_python_state_and_errors():
    games = random_position(3, 5)
    state = games.get_state(0)
    agent = make("outcome_heuristic", seed=0)
    assert agent.act(state) in games.legal_actions(0)
    assert agent.act(games, 0, seed=5) == agent.act(state, seed=5)
    noisy = make("noisy")
    assert len({noisy.act(state, seed=9) for _ in range(5)}) == 1  # same seed, same choice
    with pytest.raises(IndexError):
        agent.act(games, 3)
    with pytest.raises(TypeError):
        agent.act("state")
    over = random_position(4, 40)
    with pytest.raises(ValueError, match="over"):
        agent.act(over.get_state(0))
    with pytest.raises(ValueError, match="over"):
        agent.act_batch(over, [0])


# The public project's calibration runs (row agent vs random, W/N).
CALIBRATION = {
    "heuristic": 0.874,
    "defensive": 0.826,
    "online": 0.891,
    "outcome_heuristic": 0.910,
    "distilled_outcome": 0.916,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CALIBRATION))
def test_calibration_vs_random(name):
    r = play_match(make(name, seed=1), make("random", seed=2), 4000, seed=1000)
    assert abs(r.win_rate - CALIBRATION[name]) <= 0.03, r


@pytest.mark.slow
@pytest.mark.parametrize(
    "stronger,weaker",
    [
        ("heuristic", "defensive"),
        ("aggressive", "defensive"),
        ("online", "heuristic"),
        ("outcome_heuristic", "heuristic"),
        ("distilled_outcome", "heuristic"),
        ("outcome_heuristic", "online"),
        ("distilled_outcome", "queue"),
        ("online", "defensive"),
    ],
)
def test_round_robin_order(stronger, weaker):
    r = play_match(make(stronger, seed=3), make(weaker, seed=4), 2000, seed=77)
    assert r.score_rate > 0.5, r


def _play_out(games: GameBatch, players: tuple) -> list[tuple[int, ...]]:
    """Plays every game to the end (player p moves for seat p); the action histories."""
    while not games.done.all():
        running = np.flatnonzero(~games.done).astype(np.int32)
        movers = games.to_move[running]
        for seat in (0, 1):
            idx = running[movers == seat]
            if len(idx):
                games.step(players[seat].act_batch(games, idx), idx)
    return [games.get_state(i).history for i in range(len(games))]


@pytest.mark.parametrize("name", ["random", "noisy", "online", "outcome_heuristic"])
def test_a_game_alone_equals_the_same_game_in_a_large_batch(name):
    """Each decision's random stream comes from the agent's seed and the
    mover's information set (csrc/policy.h), so a deal replays move for move
    whatever else is in the batch."""
    players = (make(name, seed=4), make("noisy", seed=5))
    together = _play_out(GameBatch(1000, seed=300, auto_reset=False), players)
    assert len(set(together)) > 900  # the games differ from one another
    for i in (0, 7, 499, 999):
        assert _play_out(GameBatch(1, seed=300 + i, auto_reset=False), players) == [together[i]]
