"""Hardening of the engine's Python boundary: shared batches under threads,
read-only inputs, seed ranges and the one state validator."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import played

from beasty import rules
from beasty._ext import GameBatch, RandomPolicy, Rng
from beasty.agents import make

RANDOM = RandomPolicy()


def assert_reachable(state: rules.State) -> None:
    """The invariants of a state reached by play, checked in Python."""
    public = [*state.queue, *state.bar, *state.thats_it]
    for owner in (0, 1):
        private = [*state.hands[owner], *state.decks[owner]]
        assert all(card.owner == owner for card in private)
        species = sorted(int(card.species) for card in public + private if card.owner == owner)
        assert species == list(range(1, 13))
        if state.decks[owner]:
            assert len(state.hands[owner]) == 4
    assert state.turn == len(public)
    first = state.to_move ^ (state.turn & 1)
    assert sum(card.owner == first for card in public) == (state.turn + 1) // 2
    assert len(state.history) in (0, state.turn)


def assert_batch_sound(games: GameBatch) -> None:
    copy = GameBatch.from_bytes(games.to_bytes())  # the full validator, in C
    for i in range(len(copy)):
        assert_reachable(copy.get_state(i))
        assert copy.done[i] or copy.legal_actions(i)


def test_two_threads_hammering_one_batch_leave_it_sound():
    games = GameBatch(64, seed=1)
    template = GameBatch(1, seed=99).get_state(0)
    errors: list[BaseException] = []
    stop = threading.Event()

    def stepper() -> None:
        rng = Rng(3)
        while not stop.is_set():
            actions = games.random_actions(rng)
            try:
                games.step(actions)
            except ValueError:  # the other thread reset or replaced a game in between
                pass

    def meddler() -> None:
        for round_ in range(300):
            games.reset(seed=round_)
            games.set_state(round_ % 64, template)
            GameBatch.from_bytes(games.to_bytes())
            games.observe()

    workers = [threading.Thread(target=stepper), threading.Thread(target=stepper)]
    for worker in workers:
        worker.start()
    try:
        meddler()
    except BaseException as error:  # reported below
        errors.append(error)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert not errors
    assert_batch_sound(games)
    actions = games.random_actions(Rng(4))
    games.step(actions)  # every running game still has a legal move


def test_read_only_int32_arrays_are_accepted():
    games = GameBatch(8, seed=2)
    reference = games.clone()
    actions = games.random_actions(Rng(1))
    idx = np.arange(8, dtype=np.int32)
    for array in (actions, idx):
        array.flags.writeable = False
    games.step(actions, idx)
    reference.step(np.array(actions))
    assert games.to_bytes() == reference.to_bytes()
    obs, mask = games.observe(idx)
    assert obs.shape[0] == 8 and mask.shape[0] == 8
    games.actions(RANDOM, 5, idx)


@pytest.mark.parametrize("seed", [-1, 2**64, 2**64 + 5, 2**70])
def test_seeds_out_of_range_raise(seed):
    with pytest.raises(ValueError, match="seed"):
        GameBatch(1, seed=seed)
    games = GameBatch(1)
    with pytest.raises(ValueError, match="seed"):
        games.reset(seed)
    with pytest.raises(ValueError, match="seed"):
        games.reset_game(0, seed)
    with pytest.raises(ValueError, match="seed"):
        Rng(seed)
    with pytest.raises(ValueError, match="seed"):
        games.actions(RANDOM, seed)
    with pytest.raises(ValueError, match="seed"):
        make("heuristic", seed=seed)
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="seed"):
        make("ppo", seed=seed)


def test_batch_seeds_must_not_wrap_around():
    GameBatch(1, seed=2**64 - 1)
    with pytest.raises(ValueError, match="below 2\\*\\*64"):
        GameBatch(2, seed=2**64 - 1)


@pytest.mark.parametrize("flag", ["no", "", 2, None, 0.5])
def test_flags_are_strictly_typed(flag):
    games = GameBatch(1, seed=3)
    state = games.get_state(0)
    with pytest.raises(TypeError, match="early_stop"):
        games.set_state(0, rules.State(**{**state.__dict__, "early_stop": flag}))
    with pytest.raises(TypeError, match="early_stop"):
        GameBatch(1, early_stop=flag)
    with pytest.raises(TypeError, match=r"to_move|integer"):
        games.set_state(0, rules.State(**{**state.__dict__, "to_move": str(flag)}))
    assert games.get_state(0) == state


def _replace(state: rules.State, **changes: object) -> rules.State:
    return rules.State(**{**state.__dict__, **changes})


def test_strict_validator_rejects_unreachable_states():
    games = played(5, 7)
    state = games.get_state(0)
    assert_reachable(state)
    me = state.to_move
    hand = list(state.hands[me])
    other = rules.Card(1 - me, hand[0].species)
    swapped = list(state.hands)
    swapped[me] = (other, *hand[1:])
    bad_states = {
        "card of the other player in a hand": _replace(state, hands=tuple(swapped)),
        "turn inconsistent with cards played": _replace(state, turn=state.turn + 2, history=()),
        "same player twice": _replace(state, to_move=1 - me, turn=state.turn, history=()),
        "hand not refilled": _replace(
            state,
            hands=tuple(h[:3] if p == me else h for p, h in enumerate(state.hands)),
            decks=tuple((*d, state.hands[p][3]) if p == me else d for p, d in enumerate(state.decks)),
        ),
    }
    for what, bad in bad_states.items():
        with pytest.raises(ValueError, match="reachable by play"):
            games.set_state(0, bad)
        assert games.get_state(0) == state, what
    games.set_state(0, state)  # the real one passes


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), turns=st.integers(0, 24),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=4))
def test_byte_flips_raise_or_yield_a_reachable_state(seed, turns, flips):
    data = bytearray(played(seed, turns).to_bytes())
    for position, mask in flips:
        data[position % len(data)] ^= mask
    try:
        games = GameBatch.from_bytes(bytes(data))
    except ValueError:
        return
    assert_batch_sound(games)
