"""The search agents and ``determinize`` on hand-made states: a legal action
or a ``ValueError`` that says why, never a crash or a hang.

`.ci/run` also runs this file against an AddressSanitizer/UBSan build of the
extension (CMake option BEASTY_SANITIZE), where any read or write outside a
game aborts the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario import played

from beasty import rules
from beasty._ext import GameBatch
from beasty.agents import make
from beasty.rules import Card, Species

#: Examples per test: the sanitizer run in CI asks for more.
EXAMPLES = int(os.environ.get("BEASTY_FUZZ_EXAMPLES", "60"))
#: Seconds one decision may take (a few milliseconds when healthy, also under ASan).
TIME_BOUND = 20.0
#: The search agents, at a small budget: what can go wrong does not depend on it.
AGENTS = {
    name: make(name, simulations=40)
    for name in ("search", "ismcts", "champion", "rollout_champion")
}
AGENTS["pimc"] = make("search", simulations=10, algorithm="pimc", endgame_cards=8)
AGENTS["network model"] = make("champion", simulations=40, models=["heuristic", "network"])  # read per hand
AGENTS["revealing the hand"] = make("champion", simulations=40, reveal=1)  # the study settings
AGENTS["revealing the game"] = make("champion", simulations=40, reveal=2)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def within_time(call: Callable[[], Any]) -> Any:
    """call()'s result or exception, failing the test if it takes longer than TIME_BOUND."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = call()
        except BaseException as error:  # handed to the caller below
            box["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIME_BOUND)
    assert not worker.is_alive(), f"no answer within {TIME_BOUND} s (a hang)"
    if "error" in box:
        raise box["error"]
    return box["result"]


ZONES = ("queue", "bar", "thats_it", "hand", "pile", "missing", "twice")


@st.composite
def hand_made_states(draw: st.DrawFn) -> rules.State:
    """Any placement of each player's animals: some missing, some twice,
    some in the other player's hand; any turn, mover and history."""
    zones: dict[str, list[Card]] = {"queue": [], "bar": [], "thats_it": []}
    hands: list[list[Card]] = [[], []]
    piles: list[list[Card]] = [[], []]
    for owner in (0, 1):
        for species in Species:
            card = Card(owner, species)
            where = draw(st.sampled_from(ZONES))
            if where == "missing":
                continue
            places = {"hand": hands[draw(st.sampled_from([owner, owner, 1 - owner]))],
                      "pile": piles[draw(st.sampled_from([owner, owner, 1 - owner]))]}
            for _ in range(2 if where == "twice" else 1):
                target = draw(st.sampled_from(["queue", "bar", "thats_it", "hand", "pile"])) \
                    if where == "twice" else where
                places.get(target, zones.get(target, [])).append(card)
    for cards in (*zones.values(), *hands, *piles):
        draw(st.randoms()).shuffle(cards)
    turn = draw(st.integers(0, 24))
    history: tuple[int, ...] = ()
    if draw(st.booleans()):
        history = tuple(draw(st.lists(st.integers(0, rules.NUM_ACTIONS - 1), min_size=turn, max_size=turn)))
    return rules.State(
        tuple(zones["queue"][:4]), tuple(zones["bar"]), tuple(zones["thats_it"]),
        (tuple(hands[0][:4]), tuple(hands[1][:4])), (tuple(piles[0][:8]), tuple(piles[1][:8])),
        turn, draw(st.integers(0, 1)), draw(st.booleans()), history,
    )


@st.composite
def accounted_states(draw: st.DrawFn) -> rules.State:
    """Each player's 12 animals exactly once, in any zones and order, with
    any turn, mover and history: the cards add up, nothing else need."""
    zones: dict[str, list[Card]] = {"queue": [], "bar": [], "thats_it": []}
    hands: list[list[Card]] = [[], []]
    piles: list[list[Card]] = [[], []]
    left = draw(st.integers(0, 12))
    for owner in (0, 1):
        cards = draw(st.permutations([Card(owner, s) for s in Species]))
        mine = max(0, left - owner * draw(st.integers(0, 1)))
        hands[owner], piles[owner] = list(cards[:min(4, mine)]), list(cards[4:mine])
        for card in cards[mine:]:
            zones[draw(st.sampled_from(["queue", "bar", "thats_it"]))].append(card)
    spill = zones["queue"][4:]
    zones["queue"] = zones["queue"][:4]
    zones["bar"] += spill
    turn = draw(st.integers(0, 24 - left - len(hands[1]) - len(piles[1])))
    history: tuple[int, ...] = ()
    if draw(st.booleans()):
        history = tuple(draw(st.lists(st.integers(0, rules.NUM_ACTIONS - 1), min_size=turn, max_size=turn)))
    return rules.State(
        tuple(zones["queue"]), tuple(zones["bar"]), tuple(zones["thats_it"]),
        (tuple(hands[0]), tuple(hands[1])), (tuple(piles[0]), tuple(piles[1])),
        turn, draw(st.integers(0, 1)), draw(st.booleans()), history,
    )


@st.composite
def edited_played_states(draw: st.DrawFn) -> rules.State:
    """A state reached by play, then edited the way a person writing a
    puzzle might: history dropped or kept, turn changed, cards moved."""
    state = played(draw(st.integers(0, 2**32)), draw(st.integers(0, 23))).get_state(0)
    edits = draw(st.lists(st.sampled_from(
        ["drop_history", "turn", "flip_mover", "pile_to_bar", "hand_to_pile", "drop_pile", "reorder_queue"]),
        max_size=3))
    for edit in edits:
        state = _edit(state, edit, draw)
    return state


def _edit(state: rules.State, edit: str, draw: st.DrawFn) -> rules.State:
    hands, piles = list(state.hands), list(state.decks)
    p = draw(st.integers(0, 1))
    changes: dict[str, Any] = {}
    if edit == "drop_history":
        changes["history"] = ()
    elif edit == "turn":
        changes.update(turn=draw(st.integers(0, 24)), history=())
    elif edit == "flip_mover":
        changes["to_move"] = 1 - state.to_move
    elif edit == "pile_to_bar" and piles[p]:
        changes["bar"] = (*state.bar, piles[p][-1])
        piles[p] = piles[p][:-1]
    elif edit == "hand_to_pile" and hands[p] and len(piles[p]) < 8:
        piles[p] = (*piles[p], hands[p][-1])
        hands[p] = hands[p][:-1]
    elif edit == "drop_pile":
        piles[p] = ()
    elif edit == "reorder_queue":
        changes["queue"] = tuple(reversed(state.queue))
    return rules.State(**{**state.__dict__, **changes, "hands": tuple(hands), "decks": tuple(piles)})


def loaded(state: rules.State) -> GameBatch | None:
    """The state in a batch, or None if the engine refuses it (it says why)."""
    games = GameBatch(1, auto_reset=False)
    try:
        games.set_state(0, state, strict=False)
    except ValueError:
        return None
    return games


def check_search(state: rules.State) -> None:
    games = loaded(state)
    if games is None or games.done[0]:
        return
    legal = games.legal_actions(0)
    for name, agent in AGENTS.items():
        try:
            action = within_time(lambda agent=agent: agent.act(state, seed=1))
        except ValueError as error:
            assert "the search cannot take this state" in str(error), (name, error)
            continue
        assert action in legal, (name, action, legal)


def check_determinize(state: rules.State) -> None:
    games = loaded(state)
    if games is None:
        return
    try:
        world = within_time(lambda: games.determinize(0, 7))
    except ValueError as error:
        assert "the search cannot take this state" in str(error)
        return
    me = state.to_move
    assert world.queue == state.queue and world.bar == state.bar and world.thats_it == state.thats_it
    assert world.hands[me] == state.hands[me]
    assert sorted(world.decks[me]) == sorted(state.decks[me])
    for owner in (0, 1):
        public = [c for c in (*world.queue, *world.bar, *world.thats_it) if c.owner == owner]
        assert sorted(c.species for c in (*public, *world.hands[owner], *world.decks[owner])) == list(Species)
        assert len(world.hands[owner]) == len(state.hands[owner])
        assert len(world.decks[owner]) == len(state.decks[owner])


@FUZZ
@given(hand_made_states())
def test_search_on_hand_made_states_acts_or_refuses(state):
    check_search(state)


@FUZZ
@given(accounted_states())
def test_search_on_states_whose_cards_add_up_acts_or_refuses(state):
    check_search(state)


@FUZZ
@given(edited_played_states())
def test_search_on_edited_played_states_acts_or_refuses(state):
    check_search(state)


@FUZZ
@given(st.one_of(hand_made_states(), accounted_states(), edited_played_states()))
def test_determinize_deals_a_consistent_world_or_refuses(state):
    check_determinize(state)


@FUZZ
@given(seed=st.integers(0, 2**32), turns=st.integers(0, 23), drop_history=st.booleans())
def test_every_state_reached_by_play_is_searched(seed, turns, drop_history):
    games = played(seed, turns)
    if games.done[0]:
        return
    state = games.get_state(0)
    if drop_history:
        state = rules.State(**{**state.__dict__, "history": ()})
    legal = games.legal_actions(0)
    for agent in AGENTS.values():
        assert within_time(lambda agent=agent: agent.act(state, seed=2)) in legal


def test_the_reported_crash_is_a_clear_error():
    hands = ((Card(0, Species.LION), Card(0, Species.ZEBRA)), (Card(1, Species.SKUNK),))
    state = rules.State((), (), (), hands, ((), ()), 0, 0, False)
    for agent in AGENTS.values():
        with pytest.raises(ValueError, match="12 animals must appear exactly once"):
            agent.act(state)
    games = loaded(state)
    assert games is not None
    with pytest.raises(ValueError, match="12 animals must appear exactly once"):
        games.determinize(0, 1)


def test_turn_beyond_the_history_room_is_refused():
    games = GameBatch(1, seed=4, auto_reset=False)
    state = games.get_state(0)  # 24 cards in hands and piles
    with pytest.raises(ValueError, match="exceeds 24"):
        games.set_state(0, rules.State(**{**state.__dict__, "turn": 1, "to_move": 1 - state.to_move}),
                        strict=False)


def test_an_endgame_with_a_mover_short_of_cards_is_refused():
    opponent = tuple(Card(1, s) for s in (Species.SKUNK, Species.SEAL, Species.HIPPO))
    hands = ((Card(0, Species.LION),), opponent)
    games = loaded(rules.State((), (), (), hands, ((), ()), 0, 0, False))
    assert games is not None
    with pytest.raises(ValueError, match="as many cards as the opponent"):
        games.solve_endgame(0)
