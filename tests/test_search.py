"""The search (csrc/search.c): no leak, uniform determinizations, the exact
endgame against brute force, legality at every budget, determinism, bad
parameters."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beasty import rules
from beasty._ext import GameBatch, RandomPolicy, Rng, ScriptedPolicy, Search
from beasty.agents import make
from beasty.agents.guided import load_network
from beasty.agents.scripted import PolicyAgent
from beasty.evaluate import play_match


def _play(games: GameBatch, i: int, plies: int, seed: int) -> None:
    """Random moves in game i for `plies` plies (or until it ends)."""
    rng = Rng(seed)
    for _ in range(plies):
        if games.done[i]:
            return
        legal = games.legal_actions(i)
        games.step(np.array([legal[rng.bounded(len(legal))]]), np.array([i]))


def _midgame(seed: int, plies: int) -> GameBatch:
    games = GameBatch(1, seed=seed, auto_reset=False)
    _play(games, 0, plies, seed + 1)
    return games


def _permute_hidden(state: rules.State, seed: int) -> rules.State:
    """The same information set for the mover: the opponent's hand and pile
    reshuffled together, the mover's own pile reordered."""
    rng = np.random.default_rng(seed)
    me, opp = state.to_move, 1 - state.to_move
    hidden = list(state.hands[opp]) + list(state.decks[opp])
    rng.shuffle(hidden)
    own_pile = list(state.decks[me])
    rng.shuffle(own_pile)
    n = len(state.hands[opp])
    hands = [state.hands[0], state.hands[1]]
    decks = [state.decks[0], state.decks[1]]
    hands[opp], decks[opp] = tuple(hidden[:n]), tuple(hidden[n:])
    decks[me] = tuple(own_pile)
    return replace(state, hands=(hands[0], hands[1]), decks=(decks[0], decks[1]))


SMALL = {"simulations": 60, "candidates": 64}


@pytest.mark.parametrize("algorithm", ["pimc", "ismcts"])
@pytest.mark.parametrize("plies", [0, 3, 8, 13])
def test_decision_ignores_hidden_cards(algorithm, plies):
    agent = make("search", algorithm=algorithm, **SMALL)
    for deal in range(4):
        games = _midgame(100 + deal, plies)
        if games.done[0]:
            continue
        state = games.get_state(0)
        assert len(state.history) == state.turn
        chosen = agent.act(state, seed=9)
        for k in range(3):
            assert agent.act(_permute_hidden(state, 10 * deal + k), seed=9) == chosen


def test_history_round_trips_and_is_checked():
    games = _midgame(5, 7)
    state = games.get_state(0)
    assert len(state.history) == 7
    other = GameBatch(1, auto_reset=False)
    other.set_state(0, state)
    assert other.get_state(0) == state
    assert other.start_player[0] == games.start_player[0]
    with pytest.raises(ValueError, match="history"):
        other.set_state(0, replace(state, history=state.history[:3]))
    with pytest.raises(ValueError, match="history"):
        other.set_state(0, replace(state, history=(*state.history[:-1], 99)))
    other.set_state(0, replace(state, history=()))  # unknown history is allowed
    assert other.get_state(0).history == ()


def test_reference_rules_record_the_history():
    state, _ = rules.deal(3)
    for _ in range(6):
        state = rules.step(state, rules.legal_actions(state)[0])
    assert len(state.history) == 6
    games = GameBatch(1, seed=3, auto_reset=False)
    for a in state.history:
        games.step(np.array([a]))
    assert games.get_state(0) == state


def _chi_square_p(counts: list[int]) -> float:
    """Upper tail of the chi-square statistic of equal expected counts (Wilson-Hilferty)."""
    n, k = sum(counts), len(counts)
    expected = n / k
    stat = sum((c - expected) ** 2 / expected for c in counts)
    dof = k - 1
    z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return 0.5 * math.erfc(z / math.sqrt(2))


@pytest.mark.parametrize("plies", [2, 7])
def test_uniform_determinizations(plies):
    games = _midgame(21, plies)
    truth = games.get_state(0)
    me, opp = truth.to_move, 1 - truth.to_move
    unplayed = sorted(c.species for c in (*truth.hands[opp], *truth.decks[opp]))
    n_hand = len(truth.hands[opp])
    samples = 12000
    hand_counts: Counter[tuple[int, ...]] = Counter()
    first_own_pile: Counter[int] = Counter()
    for j in range(samples):
        state = games.determinize(0, seed=j)
        # what the mover knows is unchanged
        assert (state.queue, state.bar, state.thats_it, state.hands[me]) == (
            truth.queue, truth.bar, truth.thats_it, truth.hands[me])
        assert sorted(state.decks[me]) == sorted(truth.decks[me])
        assert len(state.hands[opp]) == n_hand
        assert sorted(c.species for c in (*state.hands[opp], *state.decks[opp])) == unplayed
        hand_counts[tuple(sorted(c.species for c in state.hands[opp]))] += 1
        first_own_pile[state.decks[me][0].species] += 1
    combos = list(itertools.combinations(unplayed, n_hand))
    assert set(hand_counts) == set(combos)
    assert _chi_square_p([hand_counts[c] for c in combos]) > 1e-4
    assert _chi_square_p([first_own_pile[c.species] for c in truth.decks[me]]) > 1e-4


def test_search_sampler_without_inference_is_uniform():
    games = _midgame(33, 6)
    truth = games.get_state(0)
    opp = 1 - truth.to_move
    search = Search(RandomPolicy(), [RandomPolicy()], infer_hands=False, simulations=1, unknown_prior=0.0)
    worlds, models = search.sample(games, 0, 12000, seed=4)
    assert (models == 0).all()
    counts = Counter(
        tuple(sorted(c.species for c in worlds.get_state(j).hands[opp])) for j in range(len(worlds))
    )
    assert _chi_square_p(list(counts.values())) > 1e-4


def _true_hand_hits(searches, opponent, deals, first_seed, last_turn, draws):
    """How many of the worlds each search draws hold the opponent's true
    hand, summed over the searcher's decisions from turn 5 to last_turn in
    `deals` games of heuristic (the searcher's seat) against `opponent`."""
    hits = dict.fromkeys(searches, 0)
    for deal in range(deals):
        games = GameBatch(1, seed=first_seed + deal, auto_reset=False)
        me = deal % 2
        while not games.done[0] and games.turn[0] < last_turn:
            if games.to_move[0] == me and games.turn[0] >= 5:
                true_hand = sorted(c.species for c in games.get_state(0).hands[1 - me])
                for name, search in searches.items():
                    worlds, _ = search.sample(games, 0, draws, seed=deal)
                    hits[name] += sum(
                        sorted(c.species for c in worlds.get_state(j).hands[1 - me]) == true_hand
                        for j in range(len(worlds))
                    )
            mover = opponent if games.to_move[0] != me else make("heuristic")
            games.step(np.array([mover.act(games, 0)]), np.array([0]))
    return hits


def test_inference_finds_a_deterministic_opponents_hand_more_often():
    """Against outcome_heuristic, hands weighted by its earlier choices hold
    the true hand more often than uniform ones do."""
    inferred = make("search", model_temperature=0.1, model_epsilon=0.02, candidates=1024).search
    uniform = make("search", infer_hands=False).search
    opponent = make("outcome_heuristic")
    hits = _true_hand_hits({"inferred": inferred, "uniform": uniform}, opponent, 12, 500, 14, 400)
    assert hits["inferred"] > 1.3 * hits["uniform"]


@pytest.mark.parametrize(
    "reading_settings",
    [
        {"unknown_temperature": 0.01, "model_prior": [0.0, 0.0, 0.0]},
        {"models": ["network"], "unknown_prior": 0.0, "model_temperature": 0.01},  # a network model
    ],
)
def test_hand_reading_hypotheses_find_a_planners_hand(reading_settings):
    """Against a player who chooses as the guide network does (greedily), a
    hypothesis weighed by the network's choices with the hands each deal
    order implies (the "unknown" one with unknown_temperature, or a network
    model) finds the true hand more often than uniform choices."""
    reading = make("champion", model_epsilon=0.0, candidates=512, **reading_settings).search
    uniform = make("champion", infer_hands=False).search
    opponent = PolicyAgent("greedy network", load_network())
    hits = _true_hand_hits({"reading": reading, "uniform": uniform}, opponent, 10, 700, 16, 300)
    assert hits["reading"] > 1.25 * hits["uniform"]  # 3,050 against 2,149 when written


def test_reveal_is_a_study_of_the_hidden_cards():
    """The study setting: with 1 every world holds the opponent's true hand
    (their pile keeps their other unplayed animals, in any order), with 2
    every world is the true game; the fair search's worlds are neither."""
    games = GameBatch(1, seed=31, auto_reset=False)
    while games.turn[0] < 7:
        games.step(np.array([make("heuristic").act(games, 0)]), np.array([0]))
    truth = games.get_state(0)
    opp = 1 - truth.to_move
    true_hand = sorted(c.species for c in truth.hands[opp])
    true_pile = sorted(c.species for c in truth.decks[opp])
    for reveal in (0, 1, 2):
        worlds, _ = make("champion", reveal=reveal).search.sample(games, 0, 200, seed=2)
        states = [worlds.get_state(j) for j in range(len(worlds))]
        assert all(sorted(c.species for c in w.hands[opp]) == true_hand for w in states) is (reveal > 0)
        assert all(w == truth for w in states) is (reveal == 2)
        if reveal == 1:
            assert all(sorted(c.species for c in w.decks[opp]) == true_pile for w in states)
    with pytest.raises(ValueError, match="reveal"):
        make("champion", reveal=3)


def test_unknown_temperature_needs_a_guide():
    with pytest.raises(ValueError, match="guide"):
        make("rollout_champion", unknown_temperature=0.5)
    with pytest.raises(ValueError, match="unknown_temperature"):
        make("champion", unknown_temperature=-1.0)


def _brute_force(state: rules.State) -> tuple[int, int]:
    """(result, margin) for the player to move under best play, win first."""
    if rules.is_terminal(state):
        margin = rules.score(state, state.to_move) - rules.score(state, 1 - state.to_move)
        return ((margin > 0) - (margin < 0), margin)
    best = None
    for a in rules.legal_actions(state):
        result, margin = _brute_force(rules.step(state, a))
        value = (-result, -margin)
        best = value if best is None or value > best else best
    assert best is not None
    return best


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), extra=st.integers(0, 3))
def test_endgame_solver_matches_brute_force(seed, extra):
    games = _midgame(seed, 18 + extra)
    if games.done[0]:
        return
    result, margin, best, positions = games.solve_endgame(0)
    state = games.get_state(0)
    assert (result, margin) == _brute_force(state)
    assert best in games.legal_actions(0) and positions >= 1
    assert tuple(-v for v in _brute_force(rules.step(state, best))) == (result, margin)
    result_only, no_margin, best_result, fewer = games.solve_endgame(0, margin=False)
    assert (result_only, no_margin) == (result, None) and fewer <= positions
    assert -_brute_force(rules.step(state, best_result))[0] == result


def test_endgame_needs_empty_piles():
    with pytest.raises(ValueError, match="pile"):
        GameBatch(1, seed=1).solve_endgame(0)


@pytest.mark.parametrize("algorithm", ["pimc", "ismcts"])
@pytest.mark.parametrize("simulations", [1, 2, 7])
def test_every_budget_plays_legal_moves(algorithm, simulations):
    agent = make("search", algorithm=algorithm, simulations=simulations, candidates=8)
    result = play_match(agent, make("random"), 8, seed=3)  # step() raises on an illegal action
    assert result.mean_length >= 20  # every game played to the end (fewer than 5 cards left)


def test_same_seed_same_decision_alone_or_in_a_batch():
    agent = make("search", simulations=80, candidates=32, seed=11)
    batch = GameBatch(6, seed=40, auto_reset=False)
    for i in range(6):
        _play(batch, i, 2 * i + 1, seed=i)
    together = agent.act_batch(batch, np.arange(6))
    for i in range(6):
        alone = GameBatch(1, auto_reset=False)
        alone.set_state(0, batch.get_state(i))
        assert agent.act(alone, 0) == together[i]
    assert (agent.act_batch(batch, np.arange(6)) == together).all()


def test_run_reports_the_search():
    agent = make("search", simulations=200)
    games = _midgame(8, 6)
    report = agent.search.run(games, 0, seed=1)
    assert report["iterations"] == 200 and report["action"] in games.legal_actions(0)
    assert report["visits"].sum() == 200
    assert int(np.argmax(report["visits"])) == report["action"]
    assert math.isclose(sum(report["model_posterior"]), 1.0)
    endgame = next(g for seed in range(100) for g in [_midgame(seed, 17)]
                   if not g.done[0] and len(g.legal_actions(0)) > 1)  # fmt: skip
    assert endgame.get_state(0).decks == ((), ())  # both piles are empty after 16 cards: solvable
    assert agent.search.run(endgame, 0, seed=1)["solved"]


def test_time_limit_stops_the_search():
    agent = make("search", simulations=10_000_000, time_limit_ms=5.0)
    report = agent.search.run(_midgame(2, 4), 0, seed=0)
    assert 1 <= report["iterations"] < 10_000_000 and report["elapsed_ms"] < 500


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"simulations": 0}, ValueError),
        ({"simulations": 2**40}, ValueError),
        ({"exploration": -1.0}, ValueError),
        ({"exploration": float("nan")}, ValueError),
        ({"margin_weight": 1.5}, ValueError),
        ({"draw_value": -2.0}, ValueError),
        ({"candidates": 0}, ValueError),
        ({"candidates": 5000}, ValueError),
        ({"model_temperature": 0.0}, ValueError),
        ({"model_epsilon": -0.1}, ValueError),
        ({"endgame_cards": 9}, ValueError),
        ({"time_limit_ms": float("inf")}, ValueError),
        ({"algorithm": "minimax"}, ValueError),
        ({"model_prior": [1.0, -1.0, 1.0]}, ValueError),
        ({"model_prior": [0.0, 0.0, 0.0], "unknown_prior": 0.0}, ValueError),
        ({"unknown_prior": -1.0}, ValueError),
        ({"model_prior": [1.0]}, ValueError),
        ({"models": []}, ValueError),
        ({"models": ["nobody"]}, ValueError),
        ({"rollout": "nobody"}, ValueError),
        ({"simulations": 1.5}, TypeError),
        ({"use_prior": 1}, TypeError),
        ({"depth": 3}, TypeError),
        ({"models": "random"}, TypeError),
    ],
)
def test_bad_parameters_raise(settings, error):
    with pytest.raises(error):
        make("search", **settings)


def test_bad_seeds_and_names_raise():
    with pytest.raises(ValueError):
        make("search", seed=-1)
    with pytest.raises(ValueError):
        make("champion", seed=2**64)
    with pytest.raises(TypeError):
        make("heuristic", simulations=3)
    with pytest.raises(ValueError, match="champion"):
        make("no-such-agent")
    search = make("search", simulations=5).search
    with pytest.raises(TypeError):
        Search(search, [RandomPolicy()])  # a search cannot be a rollout policy
    with pytest.raises(TypeError):
        Search(RandomPolicy(), [ScriptedPolicy.__new__(ScriptedPolicy), 3])


def test_forced_move_needs_no_search():
    agent = make("search", simulations=500)
    for seed in range(200):
        games = GameBatch(1, seed=seed, auto_reset=False)
        while not games.done[0] and len(games.legal_actions(0)) > 1:
            _play(games, 0, 1, seed)
        if not games.done[0]:
            report = agent.search.run(games, 0, seed=0)
            assert report["iterations"] == 0 and report["action"] == games.legal_actions(0)[0]
            return
    pytest.fail("no forced move found")


def test_search_agents_pickle_and_evaluate_in_workers():
    import pickle

    from beasty.evaluate import evaluate

    agent = make("search", simulations=30, candidates=16, seed=5)
    copy = pickle.loads(pickle.dumps(agent))
    games = _midgame(12, 5)
    assert copy.act(games, 0) == agent.act(games, 0) and copy.settings == agent.settings
    one = evaluate(agent, ["heuristic", "random"], 12, seed=3)
    two = evaluate(agent, ["heuristic", "random"], 12, seed=3, workers=2)
    assert [r.to_dict() for r in one] == [r.to_dict() for r in two]
    with pytest.raises(ValueError, match="workers"):
        evaluate(agent, ["random"], 4, workers=0)
    with pytest.raises(ValueError, match="unknown opponent"):
        evaluate(agent, ["nobody"], 4)


def test_generic_ismcts_plans():
    ismcts = make("ismcts", simulations=100)
    assert ismcts.settings["rollout"] == "random" and ismcts.settings["exploration"] == 2.0
    assert play_match(ismcts, make("random", seed=1), 40, seed=2).win_rate >= 0.75


@pytest.mark.slow
def test_champion_beats_outcome_heuristic():
    result = play_match(make("champion"), make("outcome_heuristic", seed=1), 80, seed=900)
    assert result.win_rate >= 0.85


def test_cli_evaluates_the_champion_with_workers(tmp_path, capsys):
    import json

    from beasty.cli import main

    out = tmp_path / "champion.json"
    args = ["eval", "--agent", "champion", "--opponents", "random,ismcts", "--games", "4", "--no-progress"]
    assert main([*args, "--workers", "2", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "champion vs reference opponents" in table and "ismcts" in table
    results = json.loads(out.read_text())["results"]
    assert [r["opponent"] for r in results] == ["random", "ismcts"]
    assert all(r["games"] == 4 and r["wins"] + r["losses"] + r["draws"] == 4 for r in results)
    with pytest.raises(SystemExit):
        main(["eval", "--agent", "champion", "--games", "4", "--workers", "0", "--no-progress"])


def test_uninitialised_policies_and_finished_games_raise():
    from beasty._ext import Policy

    games = GameBatch(2, seed=1)
    for bare in (Policy(), ScriptedPolicy.__new__(ScriptedPolicy)):
        with pytest.raises(TypeError, match="not initialised"):
            games.actions(bare, 0)
        with pytest.raises(ValueError, match="models"):
            Search(RandomPolicy(), [bare])
    over = GameBatch(1, seed=2, auto_reset=False)
    _play(over, 0, 60, seed=1)
    assert over.done[0]
    with pytest.raises(ValueError, match="over"):
        make("search", simulations=5).search.run(over, 0, seed=0)
    with pytest.raises(ValueError, match="over"):
        make("search", simulations=5).search.sample(over, 0, 3, seed=0)


def test_root_noise_explores_and_stays_legal():
    games = GameBatch(1, seed=21, auto_reset=False)
    legal = set(games.legal_actions(0))
    plain = make("champion", simulations=300)
    noisy = make("champion", simulations=300, root_noise=1.0, root_noise_alpha=0.1)
    assert make("champion", simulations=300, root_noise=0.0).search.run(games, 0, 5)["action"] == (
        plain.search.run(games, 0, 5)["action"]
    )
    runs = [noisy.search.run(games, 0, seed) for seed in range(8)]
    assert all(r["action"] in legal for r in runs)
    visits = {tuple(r["visits"]) for r in runs}
    assert len(visits) > 1  # the noise moves the root's visits from one decision to the next
    for bad in ({"root_noise": 1.5}, {"root_noise_alpha": 0.0}):
        with pytest.raises(ValueError, match="root_noise"):
            make("champion", **bad)
