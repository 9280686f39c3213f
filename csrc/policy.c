/* policy.c -- the random policy and every policy's decision stream (policy.h);
 * the scripted agents' policy is in agents.c, the search's in search.c, the
 * network's in net.c. */
#include <math.h>

#include "beasty.h"
#include "policy.h"

static int32_t choose_random(void *state, const bb_game *g, bb_rng *rng) {
    (void)state;
    int32_t legal[BB_NUM_ACTIONS];
    int32_t m = bb_game_legal(g, 0, legal);
    return m > 0 ? legal[bb_rng_bounded(rng, (uint32_t)m)] : -1;
}

static void scores_random(const void *state, const bb_game *g, uint32_t species_mask, double *scores) {
    (void)state;
    for (int32_t a = 0; a < BB_NUM_ACTIONS; a++)
        scores[a] = (species_mask >> bb_action_get(a)->species) & 1 && bb_game_queue_allows(g, a) ? 0.0 : NAN;
}

bb_policy bb_policy_random(void) {
    bb_policy p = {0, choose_random, scores_random, 0};
    return p;
}

void bb_policy_rng(bb_rng *rng, uint64_t seed, const bb_game *g) {
    bb_rng_seed(rng, seed ^ bb_game_infoset_hash(g));
    bb_rng_next(rng); /* decorrelate nearby seeds */
}
