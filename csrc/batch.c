/* batch.c -- stepping, observing and choosing (any bb_policy) over arrays of games.
 * Python owns every buffer; these loops never allocate and run without the
 * GIL.  `idx` selects k games (NULL: games 0..k-1). */
#include <string.h>

#include "beasty.h"
#include "policy.h"

#define GAME_AT(j) (idx ? idx[j] : (j))

static bb_status check_idx(int32_t n, const int32_t *idx, int32_t k, int32_t *bad) {
    if (k < 0) return BB_ERR_INDEX;
    if (!idx) {
        if (k > n) {
            if (bad) *bad = n;
            return BB_ERR_INDEX;
        }
        return BB_OK;
    }
    for (int32_t j = 0; j < k; j++) {
        if (idx[j] < 0 || idx[j] >= n) {
            if (bad) *bad = j;
            return BB_ERR_INDEX;
        }
    }
    return BB_OK;
}

void bb_batch_reset(bb_game *games, int32_t n, uint64_t base_seed, int early_stop) {
    for (int32_t i = 0; i < n; i++) bb_game_reset(&games[i], base_seed + (uint64_t)i, early_stop);
}

bb_status bb_batch_deal(bb_game *games, int32_t n, const int32_t *idx, int32_t k, const uint64_t *seeds,
                        int early_stop) {
    bb_status st = check_idx(n, idx, k, 0);
    if (st != BB_OK) return st;
    for (int32_t j = 0; j < k; j++) bb_game_reset(&games[GAME_AT(j)], seeds[j], early_stop);
    return BB_OK;
}

bb_status bb_batch_step(bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                        const int32_t *actions, int auto_reset, float *rewards,
                        uint8_t *dones, int32_t *scores, int32_t *bad) {
    bb_status st = check_idx(n, idx, k, bad);
    if (st != BB_OK) return st;
    /* Validate everything first so that an error steps nothing. */
    for (int32_t j = 0; j < k; j++) {
        const bb_game *g = &games[GAME_AT(j)];
        if (g->done || !bb_game_is_legal(g, actions[j])) {
            if (bad) *bad = j;
            return g->done ? BB_ERR_DONE : BB_ERR_ILLEGAL;
        }
    }
    for (int32_t j = 0; j < k; j++) {
        bb_game *g = &games[GAME_AT(j)];
        if (!idx) { /* distinct games, all checked above */
            bb_game_step_legal(g, actions[j]);
        } else if (bb_game_step(g, actions[j]) != BB_OK) { /* only if idx repeats a game */
            if (bad) *bad = j;
            return BB_ERR_INDEX;
        }
        int32_t points[2] = {0, 0};
        if (scores || (rewards && g->done)) bb_game_scores(g, points); /* the bar is summed only when asked for */
        if (scores) {
            scores[2 * j] = points[0];
            scores[2 * j + 1] = points[1];
        }
        if (dones) dones[j] = g->done;
        if (rewards) {
            float r = 0.0f;
            if (g->done) r = points[0] > points[1] ? 1.0f : (points[1] > points[0] ? -1.0f : 0.0f);
            rewards[2 * j] = r;
            rewards[2 * j + 1] = r != 0.0f ? -r : 0.0f;
        }
        if (g->done && auto_reset) bb_game_deal(g);
    }
    return BB_OK;
}

bb_status bb_batch_observe(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                           const int32_t *players, float *obs, uint8_t *mask) {
    bb_status st = check_idx(n, idx, k, 0);
    if (st != BB_OK) return st;
    for (int32_t j = 0; j < k; j++) {
        const bb_game *g = &games[GAME_AT(j)];
        int32_t observer = players ? (players[j] & 1) : g->to_move;
        if (obs) {
            if (g->done && !players) memset(obs + (size_t)j * BB_OBS_DIM, 0, sizeof(float) * BB_OBS_DIM);
            else bb_game_observe(g, observer, obs + (size_t)j * BB_OBS_DIM);
        }
        if (mask) {
            if (observer == g->to_move) bb_game_legal(g, mask + (size_t)j * BB_NUM_ACTIONS, 0);
            else memset(mask + (size_t)j * BB_NUM_ACTIONS, 0, BB_NUM_ACTIONS);
        }
    }
    return BB_OK;
}

bb_status bb_batch_actions(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                           const bb_policy *policy, uint64_t seed, int32_t *out, int32_t *bad) {
    bb_status st = check_idx(n, idx, k, bad);
    if (st != BB_OK) return st;
    for (int32_t j = 0; j < k; j++) {
        const bb_game *g = &games[GAME_AT(j)];
        if (g->done) {
            out[j] = -1;
            continue;
        }
        bb_rng rng;
        bb_policy_rng(&rng, seed, g);
        out[j] = policy->choose(policy->state, g, &rng);
    }
    return BB_OK;
}
