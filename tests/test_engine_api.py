"""The Cython boundary: bad input raises, buffers, observation, pickling."""

import pickle

import numpy as np
import pytest

from beasty import rules
from beasty._ext import ACTION_NAMES, NUM_ACTIONS, OBS_DIM, OBS_SEGMENTS, GameBatch, Rng, action_table


def test_action_table_matches_reference():
    table = action_table()
    assert len(table) == NUM_ACTIONS == rules.NUM_ACTIONS == 33
    for (species, copy, param), ref in zip(table, rules.ACTIONS, strict=True):
        assert species == ref.species
        assert copy == (0 if ref.copy is None else ref.copy)
        assert param == (-1 if ref.param is None else ref.param)
    assert ACTION_NAMES == rules.ACTION_NAMES
    assert len(set(ACTION_NAMES)) == NUM_ACTIONS
    assert ACTION_NAMES[0] == "skunk" and ACTION_NAMES[13] == "chameleon_as_parrot_t1"


def test_obs_segments_tile_the_vector():
    end = 0
    for _name, offset, shape in OBS_SEGMENTS:
        assert offset == end
        end += int(np.prod(shape))
    assert end == OBS_DIM


@pytest.mark.parametrize("bad", [-1, 33, 1000])
def test_out_of_range_action_raises(bad):
    games = GameBatch(2, seed=1)
    before = [games.get_state(i) for i in range(2)]
    legal = games.legal_actions(0)[0]
    with pytest.raises(ValueError, match="illegal action index"):
        games.step([legal, bad])
    assert [games.get_state(i) for i in range(2)] == before


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint64])
def test_out_of_range_action_raises_for_every_dtype(dtype):
    # int32 and narrower reach C unchecked (C checks the range); wider ones
    # are checked before the cast, which would wrap 2**32 + a legal index
    games = GameBatch(3, seed=4)
    before = [games.get_state(i) for i in range(3)]
    acts = [games.legal_actions(i)[0] for i in range(3)]
    illegal = next(a for a in range(NUM_ACTIONS) if a not in games.legal_actions(0))
    bad = 2**32 + acts[2] if np.iinfo(dtype).max >= 2**32 else np.iinfo(dtype).max
    # an in-range illegal action comes first; the index out of range is the one reported
    with pytest.raises(ValueError, match=f"illegal action index {bad} at position 2"):
        games.step(np.array([illegal, acts[1], bad], dtype=dtype))
    assert [games.get_state(i) for i in range(3)] == before


def test_illegal_action_raises_and_steps_nothing():
    games = GameBatch(3, seed=2)
    before = [games.get_state(i) for i in range(3)]
    acts = [games.legal_actions(i)[0] for i in range(3)]
    illegal = next(a for a in range(NUM_ACTIONS) if a not in games.legal_actions(2))
    acts[2] = illegal
    with pytest.raises(ValueError, match="for game 2"):
        games.step(acts)
    assert [games.get_state(i) for i in range(3)] == before


@pytest.mark.parametrize(
    "actions,exc",
    [
        (np.zeros(3, dtype=np.float32), TypeError),
        (np.zeros((2, 1), dtype=np.int32), ValueError),
        (np.zeros(5, dtype=np.int32), ValueError),
        (["a", "b"], TypeError),
    ],
)
def test_bad_action_arrays(actions, exc):
    with pytest.raises(exc):
        GameBatch(2).step(actions)


def test_bad_buffers_and_indices():
    games = GameBatch(4)
    with pytest.raises(TypeError, match="dtype float32"):
        games.observe(obs=np.zeros((4, OBS_DIM), dtype=np.float64))
    with pytest.raises(ValueError, match="shape"):
        games.observe(obs=np.zeros((3, OBS_DIM), dtype=np.float32))
    with pytest.raises(ValueError, match="contiguous"):
        games.observe(mask=np.zeros((NUM_ACTIONS, 4), dtype=np.uint8).T)
    with pytest.raises(IndexError):
        games.observe(idx=[0, 4])
    with pytest.raises(IndexError):
        games.get_state(4)
    with pytest.raises(TypeError):
        games.observe(idx=[0.5])
    with pytest.raises(ValueError, match="twice"):
        a = games.legal_actions(1)[0]
        games.step([a, a], idx=[1, 1])
    with pytest.raises(ValueError):
        GameBatch(0)
    with pytest.raises(TypeError):
        GameBatch(2, seed="x")


def test_observe_into_caller_buffers():
    games = GameBatch(8, seed=3)
    obs = np.full((3, OBS_DIM), 7.0, dtype=np.float32)
    mask = np.zeros((3, NUM_ACTIONS), dtype=np.uint8)
    out_obs, out_mask = games.observe(idx=[1, 5, 7], obs=obs, mask=mask)
    assert out_obs is obs and out_mask is mask
    ref_obs, ref_mask = games.observe()
    assert np.array_equal(obs, ref_obs[[1, 5, 7]]) and np.array_equal(mask, ref_mask[[1, 5, 7]])
    for j, i in enumerate([1, 5, 7]):
        assert np.flatnonzero(mask[j]).tolist() == games.legal_actions(i)


def test_set_state_rejects_bad_states():
    games = GameBatch(1, seed=4)
    good = games.get_state(0)
    with pytest.raises(ValueError, match="exactly once"):
        games.set_state(0, rules.State(good.queue, good.bar, good.thats_it, good.hands, ((), good.decks[1])))
    too_long = rules.State(tuple(good.decks[0][:5]), (), (), good.hands, ((), good.decks[1]))
    with pytest.raises(ValueError, match="queue holds 5"):
        games.set_state(0, too_long, strict=False)
    with pytest.raises(TypeError):
        games.set_state(0, "state")
    assert games.get_state(0) == good


def test_observation_hides_opponent_hand_and_pile_order():
    games = GameBatch(1, seed=5)
    s = games.get_state(0)
    me, opp = s.to_move, 1 - s.to_move
    base = games.observe_player(0, me)
    # swap cards between the opponent's hand and pile, and reorder the pile
    hands = list(s.hands)
    decks = list(s.decks)
    hands[opp], decks[opp] = decks[opp][:4], hands[opp] + decks[opp][4:][::-1]
    decks[me] = decks[me][::-1]
    games.set_state(0, rules.State(s.queue, s.bar, s.thats_it, tuple(hands), tuple(decks), s.turn, s.to_move))
    assert np.array_equal(games.observe_player(0, me), base)


def test_observation_segments_content():
    games = GameBatch(1, seed=6)
    s = games.get_state(0)
    obs = games.observe()[0][0]
    seg = {name: (off, int(np.prod(shape))) for name, off, shape in OBS_SEGMENTS}
    off, size = seg["hand"]
    assert sorted(np.flatnonzero(obs[off : off + size]) + 1) == sorted(c.species for c in s.hands[s.to_move])
    off, size = seg["opp_unplayed"]
    assert obs[off : off + size].sum() == 12
    off, size = seg["scalars"]
    assert obs[off + 2] == 1.0 and obs[off + 4] == 1.0


def test_auto_reset_and_rewards():
    games = GameBatch(16, seed=9)
    rng = Rng(0)
    finished = 0
    for _ in range(60):
        rew, done, score = games.step(games.random_actions(rng))
        for j in np.flatnonzero(done):
            finished += 1
            a, b = score[j]
            assert rew[j].tolist() == ([1.0, -1.0] if a > b else [-1.0, 1.0] if b > a else [0.0, 0.0])
        assert not games.done.any()
    assert finished >= 16


def test_no_auto_reset_stepping_finished_game_raises():
    games = GameBatch(1, seed=10, auto_reset=False)
    rng = Rng(1)
    while not games.done[0]:
        games.step(games.random_actions(rng))
    assert games.random_actions(rng)[0] == -1
    assert games.legal_actions(0) == []
    with pytest.raises(ValueError, match="is over"):
        games.step([0])


def test_pickle_and_clone():
    games = GameBatch(5, seed=11)
    games.step(games.random_actions(Rng(2)))
    for copy in (pickle.loads(pickle.dumps(games)), games.clone()):
        assert [copy.get_state(i) for i in range(5)] == [games.get_state(i) for i in range(5)]
    rng = pickle.loads(pickle.dumps(Rng(99)))
    assert rng.next_u64() == Rng(99).next_u64()
    with pytest.raises(ValueError):
        GameBatch.from_bytes(b"\x00" * 7)
    with pytest.raises(ValueError):
        GameBatch.from_bytes(b"\xff" * len(games.to_bytes()))


def test_random_agent_is_uniform_over_actions():
    games = GameBatch(1, seed=12)
    legal = games.legal_actions(0)
    rng = Rng(3)
    counts = {a: 0 for a in legal}
    for _ in range(4000):
        counts[int(games.random_actions(rng)[0])] += 1
    assert min(counts.values()) > 4000 / len(legal) * 0.8


def test_agent_params_validation():
    from beasty._ext import AgentParams

    p = AgentParams("material", bar_weight=3.0, species_weights={"skunk": 2.0})
    d = p.as_dict()
    assert d["bar_weight"] == 3.0 and d["species_mult"]["skunk"] == 2.0 and d["kind"] == "material"
    with pytest.raises(ValueError, match="unknown agent kind"):
        AgentParams("minimax")
    with pytest.raises(TypeError, match="unknown agent parameter"):
        AgentParams("material", bar_wieght=1.0)
    with pytest.raises(ValueError, match="finite"):
        AgentParams("outcome", my_bar=float("nan"))
    with pytest.raises(ValueError, match=">= 0"):
        AgentParams("material", noise_epsilon=-1.0)
    with pytest.raises(ValueError, match="unknown species"):
        AgentParams("material", species_weights={"dragon": 2.0})
    with pytest.raises(ValueError, match="finite"):
        AgentParams("material", species_weights={"skunk": float("inf")})
