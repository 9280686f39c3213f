/*
 * policy.h -- one interface for everything that chooses moves.
 *
 * A bb_policy is a function pointer plus the memory it works on, as numpy's
 * bitgen_t is for generators: the random agent, the scripted agents, the
 * search and the rollouts inside the search all go through it, and one
 * batch entry point drives any of them.
 *
 * Randomness: a decision's stream is seeded from the caller's seed and the
 * mover's information set (bb_game_infoset_hash), so a decision depends on
 * nothing but (seed, what the mover knows): a game played alone and the
 * same game inside a batch of any size get the same moves, and the hidden
 * cards cannot reach a decision through its random stream.
 */
#ifndef BEASTY_POLICY_H
#define BEASTY_POLICY_H

#include "beasty.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bb_policy {
    void *state; /* the policy's parameters and working memory, caller-owned */
    /* A legal action for the player to move in a running game. */
    int32_t (*choose)(void *state, const bb_game *g, bb_rng *rng);
    /* Optional (NULL if the policy has none): scores[a] for every action of
     * a species in species_mask that the queue allows, as if that species
     * were in the mover's hand; NaN elsewhere.  Only differences between
     * actions matter.  The search uses them as priors and to weigh the
     * opponent's possible hands (bb_agent_scores_any_hand). */
    void (*scores)(const void *state, const bb_game *g, uint32_t species_mask, double *scores);
    /* Optional (NULL if none): the expected result for the player to move,
     * in [-1, 1] (a learned value; the search's leaf value, value_weight). */
    double (*value)(const void *state, const bb_game *g);
} bb_policy;

/* Uniform over the legal actions (state unused). */
bb_policy bb_policy_random(void);
/* A scripted agent; `params` must outlive the policy. */
bb_policy bb_policy_scripted(const bb_agent_params *params);

/* The decision stream of game g under `seed` (see above). */
void bb_policy_rng(bb_rng *rng, uint64_t seed, const bb_game *g);

/* One action per selected game (-1 for a finished game), each drawn with
 * the stream bb_policy_rng(seed, game).  Returns BB_ERR_INDEX (and *bad)
 * for an index outside [0, n); nothing is written then. */
bb_status bb_batch_actions(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                           const bb_policy *policy, uint64_t seed, int32_t *out, int32_t *bad);

#ifdef __cplusplus
}
#endif
#endif /* BEASTY_POLICY_H */
