"""The one match loop (beasty.match) and allocation-free stepping."""

import numpy as np
import pytest

from beasty._ext import GameBatch
from beasty.agents import make
from beasty.match import mirrored_deals, play_out


def _one_by_one(seed: int, games: int, first, second) -> np.ndarray:
    """Each game alone, the obvious way: the reference for play_out."""
    batch, seat = mirrored_deals(games, seed)
    scores = np.zeros((games, 2), dtype=np.int32)
    for i in range(games):
        while not batch.done[i]:
            mover = int(batch.to_move[i])
            agent = first if mover == seat[i] else second
            batch.step([int(agent.act_batch(batch, np.array([i], dtype=np.int32))[0])], [i])
        scores[i] = batch.scores()[i]
    return scores


def test_play_out_equals_playing_each_game_alone():
    heuristic, online = make("heuristic", seed=1), make("online", seed=2)
    batch, seat = mirrored_deals(40, 9)
    ended: list[int] = []
    played = play_out(
        batch, [heuristic.act_batch, online.act_batch], np.stack([seat, 1 - seat], 1), ended.extend
    )
    assert sorted(ended) == list(range(40))  # every game reported once
    assert np.array_equal(played.scores, _one_by_one(9, 40, heuristic, online))
    assert np.array_equal(played.turns, batch.turn)
    margin = played.margin(seat)
    assert np.array_equal(margin, played.scores[np.arange(40), seat] - played.scores[np.arange(40), 1 - seat])


def test_one_actor_may_play_both_seats():
    seen_movers: set[int] = set()

    def learner(games: GameBatch, idx: np.ndarray) -> np.ndarray:
        seen_movers.update(games.to_move[idx].tolist())
        return np.array([games.legal_actions(int(i))[0] for i in idx], dtype=np.int32)

    batch = GameBatch(6, seed=3, auto_reset=False)
    played = play_out(batch, [learner], np.zeros((6, 2), dtype=np.int32))
    assert seen_movers == {0, 1} and batch.done.all() and (played.turns > 0).all()


@pytest.mark.parametrize(
    "seat_actor,match",
    [
        (np.zeros((4, 3), dtype=np.int32), "shape"),
        (np.full((4, 2), 2, dtype=np.int32), "outside"),
        (np.zeros((4, 2), dtype=np.float32), "integer"),
    ],
)
def test_play_out_rejects_bad_seat_maps(seat_actor, match):
    random = make("random")
    with pytest.raises(ValueError, match=match):
        play_out(GameBatch(4, auto_reset=False), [random.act_batch, random.act_batch], seat_actor)


def test_play_out_refuses_auto_reset_batches():
    random = make("random")
    with pytest.raises(ValueError, match="auto_reset"):
        play_out(GameBatch(2), [random.act_batch], np.zeros((2, 2), dtype=np.int32))


def test_step_writes_into_caller_buffers():
    games, reference = GameBatch(16, seed=5), GameBatch(16, seed=5)
    rewards = np.full((16, 2), 7, dtype=np.float32)
    dones = np.ones(16, dtype=bool)
    scores = np.full((16, 2), -3, dtype=np.int32)
    random = make("random")
    for _ in range(40):
        actions = random.act_batch(games, np.arange(16, dtype=np.int32))
        out = games.step(actions, rewards=rewards, dones=dones, scores=scores)
        assert out[0] is rewards and out[1] is dones and out[2] is scores
        expected = reference.step(actions)
        for got, want in zip(out, expected, strict=True):
            assert np.array_equal(got, want)
    actions = random.act_batch(games, np.arange(16, dtype=np.int32))
    with pytest.raises(TypeError, match="dones must have dtype bool"):
        games.step(actions, dones=np.zeros(16, np.uint8))
    with pytest.raises(ValueError, match="rewards must have shape"):
        games.step(actions, rewards=np.zeros((16, 3), np.float32))


def test_legal_masks_alone_equal_observes_masks():
    games = GameBatch(64, seed=8)
    random = make("random")
    buffer = np.zeros((10, 33), dtype=np.uint8)
    for _ in range(30):
        assert np.array_equal(games.legal_masks(), games.observe()[1])
        idx = np.arange(0, 64, 7, dtype=np.int32)[:10]
        assert games.legal_masks(idx, mask=buffer) is buffer
        assert np.array_equal(buffer, games.observe(idx)[1])
        games.step(random.act_batch(games, np.arange(64, dtype=np.int32)))
