"""The Gymnasium environments (beasty[gym])."""

import numpy as np
import pytest

gymnasium = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import beasty.envs  # noqa: E402, F401  (registers the id)
from beasty.agents import make  # noqa: E402
from beasty.envs.gymnasium import BeastyBarEnv, BeastyBarVectorEnv  # noqa: E402


def test_registered_and_passes_gymnasiums_checker():
    env = gymnasium.make("beasty/BeastyBar-v0", opponent="heuristic", illegal_action="lose")
    check_env(env.unwrapped, skip_render_check=True)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert info["action_mask"].dtype == np.int8 and info["action_mask"].any()


def test_a_game_to_the_end_with_masked_samples():
    env = gymnasium.make("beasty/BeastyBar-v0", opponent="outcome_heuristic", render_mode="ansi")
    obs, info = env.reset(seed=7)
    env.action_space.seed(7)
    assert "Queue (door" in env.render()
    for _turn in range(12):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample(info["action_mask"]))
        assert env.observation_space.contains(obs) and not truncated
        if terminated:
            break
    assert terminated and reward in (-1.0, 0.0, 1.0) and not info["action_mask"].any()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_bad_actions_raise_or_forfeit():
    env = BeastyBarEnv("random")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    _, info = env.reset(seed=1)
    illegal = int(np.flatnonzero(info["action_mask"] == 0)[0])
    with pytest.raises(ValueError, match=f"illegal action {illegal}; legal now"):
        env.step(illegal)
    for bad in (1.5, "3", None, True):
        with pytest.raises(TypeError, match="integer"):
            env.step(bad)
    with pytest.raises(ValueError, match="illegal_action"):
        BeastyBarEnv("random", illegal_action="ignore")
    with pytest.raises(ValueError, match="seat"):
        BeastyBarEnv("random", seat=2)
    loser = BeastyBarEnv("random", illegal_action="lose")
    _, info = loser.reset(seed=1)
    _, reward, terminated, _, info = loser.step(illegal)
    assert (reward, terminated, info["forfeit"]) == (-1.0, True, True)


def test_seat_and_opponent_are_respected():
    for seat in (0, 1):
        env = BeastyBarEnv(make("heuristic", seed=4), seat=seat)
        for episode in range(5):
            _, info = env.reset(seed=episode)
            assert info["seat"] == seat and env.games.to_move[0] == seat


def _play_singles(seeds, steps, choose):
    """NEXT_STEP autoreset by hand over single envs: the reference."""
    envs = [BeastyBarEnv("heuristic") for _ in seeds]
    frames = []
    state = [env.reset(seed=seed) for env, seed in zip(envs, seeds, strict=True)]
    ended = [False] * len(envs)
    frames.append(([s[0] for s in state], [0.0] * len(envs), [False] * len(envs)))
    for t in range(steps):
        row_obs, row_reward, row_done = [], [], []
        for i, env in enumerate(envs):
            if ended[i]:
                obs, info = env.reset()
                reward, done = 0.0, False
            else:
                obs, reward, done, _, info = env.step(choose(t, i, state[i][1]["action_mask"]))
            state[i] = (obs, info)
            ended[i] = done
            row_obs.append(obs)
            row_reward.append(reward)
            row_done.append(done)
        frames.append((row_obs, row_reward, row_done))
    return frames


def test_vector_env_equals_single_envs_with_the_same_seeds():
    def choose(t, i, mask):  # a legal move that depends on the step and the env
        legal = np.flatnonzero(mask)
        return int(legal[(3 * t + i) % len(legal)])

    steps, n = 60, 5
    reference = _play_singles([100 + i for i in range(n)], steps, choose)
    vector = BeastyBarVectorEnv(n, "heuristic")
    obs, info = vector.reset(seed=100)
    assert np.array_equal(obs, np.stack(reference[0][0]))
    finished = 0
    for t in range(steps):
        actions = np.array([choose(t, i, info["action_mask"][i]) if info["action_mask"][i].any() else 0
                            for i in range(n)])  # fmt: skip
        obs, rewards, terminated, truncated, info = vector.step(actions)
        ref_obs, ref_rewards, ref_done = reference[t + 1]
        assert np.array_equal(obs, np.stack(ref_obs)), t
        assert rewards.tolist() == ref_rewards and terminated.tolist() == ref_done
        assert not truncated.any()
        finished += int(terminated.sum())
    assert finished >= n  # autoreset was exercised


def test_vector_env_bad_actions():
    vector = BeastyBarVectorEnv(3, "random")
    _, info = vector.reset(seed=5)
    actions = np.array([int(np.flatnonzero(m)[0]) for m in info["action_mask"]])
    bad = actions.copy()
    bad[1] = int(np.flatnonzero(info["action_mask"][1] == 0)[0])
    with pytest.raises(ValueError, match="in sub-env 1"):
        vector.step(bad)
    with pytest.raises(ValueError, match="3 integers"):
        vector.step(actions[:2])
    loser = BeastyBarVectorEnv(3, "random", illegal_action="lose")
    loser.reset(seed=5)
    _, rewards, terminated, _, info = loser.step(bad)
    assert rewards.tolist()[1] == -1.0 and terminated.tolist() == [False, True, False]
    again = np.array([int(np.flatnonzero(m)[0]) if m.any() else 0 for m in info["action_mask"]])
    _, rewards, terminated, _, info = loser.step(again)  # sub-env 1 restarts, its action ignored
    assert not info["forfeit"].any() and info["action_mask"][1].any() and rewards[1] == 0.0


def test_make_vec_uses_the_c_vector_env():
    vector = gymnasium.make_vec("beasty/BeastyBar-v0", num_envs=8, vectorization_mode="vector_entry_point")
    assert isinstance(vector.unwrapped, BeastyBarVectorEnv)
    obs, info = vector.reset(seed=0)
    assert obs.shape == (8, 162) and info["action_mask"].shape == (8, 33)


# ------------------------------------------------------------------ PettingZoo
def test_pettingzoo_api_and_seed_tests():
    pytest.importorskip("pettingzoo")
    from pettingzoo.test import api_test, seed_test

    from beasty.envs.pettingzoo import env

    api_test(env(), num_cycles=300)
    seed_test(env, num_cycles=300)


def test_pettingzoo_game_to_the_end_matches_the_engine():
    pytest.importorskip("pettingzoo")
    from beasty._ext import GameBatch
    from beasty.envs.pettingzoo import env

    game = env(render_mode="ansi")
    game.reset(seed=11)
    assert "Queue (door" in game.render()
    deal = game.unwrapped.games.clone()
    moves = []
    totals = {"player_0": 0.0, "player_1": 0.0}
    for agent in game.agent_iter():
        observation, reward, termination, truncation, _ = game.last()
        totals[agent] += reward
        other = game.observe("player_1" if agent == "player_0" else "player_0")
        assert not other["action_mask"].any()  # only the mover has moves
        if termination or truncation:
            action = None
        else:
            action = int(np.flatnonzero(observation["action_mask"])[-1])
            moves.append(action)
        game.step(action)
    replay = GameBatch.from_bytes(deal.to_bytes(), auto_reset=False)
    for action in moves:
        replay.step([action])
    scores = replay.scores()[0]
    assert totals["player_0"] == float(np.sign(scores[0] - scores[1])) == -totals["player_1"]


def test_pettingzoo_illegal_moves():
    pytest.importorskip("pettingzoo")
    from beasty.envs.pettingzoo import env, raw_env

    raw = raw_env()
    raw.reset(seed=2)
    illegal = int(np.flatnonzero(raw.observe(raw.agent_selection)["action_mask"] == 0)[0])
    with pytest.raises(ValueError, match="illegal action"):
        raw.step(illegal)
    legal = int(np.flatnonzero(raw.observe(raw.agent_selection)["action_mask"])[0])
    for not_an_index in (np.float64(legal), float(legal), True, str(legal)):
        with pytest.raises(TypeError, match="integer index"):
            raw.step(not_an_index)
    raw.step(np.int64(legal))  # numpy integers are indices
    wrapped = env()
    wrapped.reset(seed=2)
    offender = wrapped.agent_selection
    wrapped.step(illegal)  # PettingZoo's convention: the offender loses, the game ends
    assert wrapped.rewards[offender] == -1 and all(wrapped.terminations.values())
