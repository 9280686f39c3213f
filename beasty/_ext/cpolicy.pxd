# cython: language_level=3
# Mirrors csrc/policy.h (the single source of truth); keep the two in sync.
from libc.stdint cimport int32_t, uint32_t, uint64_t

from beasty._ext.cbeasty cimport bb_agent_params, bb_game, bb_rng, bb_status

cdef extern from "policy.h" nogil:
    ctypedef struct bb_policy:
        void *state
        int32_t (*choose)(void *state, const bb_game *g, bb_rng *rng) noexcept nogil
        void (*scores)(const void *state, const bb_game *g, uint32_t species_mask, double *scores) noexcept nogil
        double (*value)(const void *state, const bb_game *g) noexcept nogil

    bb_policy bb_policy_random()
    bb_policy bb_policy_scripted(const bb_agent_params *params)
    void bb_policy_rng(bb_rng *rng, uint64_t seed, const bb_game *g)
    bb_status bb_batch_actions(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                               const bb_policy *policy, uint64_t seed, int32_t *out, int32_t *bad)
