# cython: language_level=3
# Mirrors csrc/search.h (the single source of truth); keep the two in sync.
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t

from beasty._ext.cbeasty cimport bb_game, bb_rng, bb_status
from beasty._ext.cpolicy cimport bb_policy

cdef extern from "search.h" nogil:
    enum:
        BB_SEARCH_MAX_MODELS
        BB_SEARCH_MAX_CANDIDATES
        BB_SEARCH_MAX_SIMULATIONS

    ctypedef enum bb_search_algorithm:
        BB_SEARCH_PIMC
        BB_SEARCH_ISMCTS

    ctypedef struct bb_search_config:
        int32_t algorithm
        int32_t simulations
        double time_limit_ms
        double exploration
        int32_t use_prior
        double prior_temperature
        double margin_weight
        double draw_value
        int32_t endgame_cards
        int32_t infer_hands
        int32_t model_in_tree
        int32_t candidates
        double model_temperature
        double model_epsilon
        double unknown_prior
        double unknown_temperature
        double value_weight
        double root_noise
        double root_noise_alpha
        int32_t reveal

    ctypedef struct bb_search_node:
        pass

    ctypedef struct bb_search_workspace:
        pass

    ctypedef struct bb_search:
        bb_search_config config
        bb_policy self_policy
        bb_policy guide
        bb_policy models[8]
        double model_prior[8]
        int32_t model_reads_hand[8]
        int32_t num_models
        bb_search_node *nodes
        int32_t capacity
        bb_search_workspace *work

    ctypedef struct bb_search_result:
        int32_t action
        int32_t iterations
        int32_t solved
        double elapsed_ms
        double model_posterior[9]
        int32_t visits[33]
        double value[33]

    void bb_search_config_default(bb_search_config *c)
    bb_status bb_search_check(const bb_search *s, const char **bad)
    bb_status bb_search_run(bb_search *s, const bb_game *g, bb_rng *rng, bb_search_result *out)
    bb_policy bb_policy_search(bb_search *s)
    bb_status bb_search_sample(bb_search *s, const bb_game *g, bb_rng *rng, int32_t count, bb_game *worlds,
                               int32_t *models)
    bb_status bb_determinize(const bb_game *g, bb_rng *rng, bb_game *out, const char **why)
    int32_t bb_endgame_solve(const bb_game *g, int32_t margin, int32_t *best, int64_t *nodes)
