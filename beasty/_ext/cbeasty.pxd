# cython: language_level=3
# Mirrors csrc/beasty.h (the single source of truth); keep the two in sync.
from libc.stdint cimport int8_t, int32_t, uint8_t, uint32_t, uint64_t

cdef extern from "beasty.h" nogil:
    enum:
        BB_NUM_PLAYERS
        BB_NUM_SPECIES
        BB_NUM_CARDS
        BB_QUEUE_MAX
        BB_HAND_MAX
        BB_DECK_MAX
        BB_NUM_ACTIONS
        BB_NO_PARAM
        BB_OBS_QUEUE
        BB_OBS_QUEUE_SLOT
        BB_OBS_HAND
        BB_OBS_MY_PILE
        BB_OBS_OPP_UNPLAYED
        BB_OBS_MY_BAR
        BB_OBS_OPP_BAR
        BB_OBS_MY_TI
        BB_OBS_OPP_TI
        BB_OBS_SCALARS
        BB_OBS_DIM

    ctypedef enum bb_status:
        BB_OK
        BB_ERR_ILLEGAL
        BB_ERR_DONE
        BB_ERR_INDEX
        BB_ERR_STATE
        BB_ERR_PARAM

    ctypedef enum bb_agent_kind:
        BB_AGENT_MATERIAL
        BB_AGENT_ONLINE
        BB_AGENT_OUTCOME

    ctypedef struct bb_action_info:
        int8_t species
        int8_t copy
        int8_t param

    ctypedef struct bb_rng:
        uint64_t state

    ctypedef struct bb_game:
        uint8_t queue[5]
        uint8_t bar[24]
        uint8_t thats_it[24]
        uint8_t hand[2][4]
        uint8_t deck[2][8]
        uint8_t queue_len
        uint8_t bar_len
        uint8_t ti_len
        uint8_t hand_len[2]
        uint8_t deck_pos[2]
        uint8_t turn
        uint8_t to_move
        uint8_t start_player
        uint8_t done
        uint8_t early_stop
        uint8_t history_len
        uint8_t history[24]
        bb_rng rng

    ctypedef struct bb_agent_params:
        int32_t kind
        double bar_weight, queue_front_weight, queue_back_weight, thats_it_weight, hand_weight
        double species_mult[13]
        double noise_epsilon
        double my_bar, opp_bar, my_ti, opp_ti, queue_position, front_bonus, threat_removal
        double parrot_bonus, monkey_combo, skunk_mult, early_recurring, late_removal

    const bb_action_info *bb_action_get(int32_t a)
    int32_t bb_species_points(int32_t species)

    void bb_rng_seed(bb_rng *rng, uint64_t seed)
    uint64_t bb_rng_next(bb_rng *rng)
    uint32_t bb_rng_bounded(bb_rng *rng, uint32_t n)
    double bb_rng_double(bb_rng *rng)

    void bb_game_reset(bb_game *g, uint64_t seed, int early_stop)
    void bb_game_deal(bb_game *g)
    int32_t bb_game_legal(const bb_game *g, uint8_t *mask, int32_t *out)
    int bb_game_is_legal(const bb_game *g, int32_t a)
    int bb_game_queue_allows(const bb_game *g, int32_t a)
    bb_status bb_game_step(bb_game *g, int32_t a)
    bb_status bb_game_play(bb_game *g, int32_t a)
    void bb_game_step_legal(bb_game *g, int32_t a)
    void bb_game_play_legal(bb_game *g, int32_t a)
    uint32_t bb_game_played_species(const bb_game *g, int32_t owner)
    int32_t bb_game_score(const bb_game *g, int32_t p)
    void bb_game_scores(const bb_game *g, int32_t *scores)
    int32_t bb_game_winner(const bb_game *g)
    int bb_game_is_terminal(const bb_game *g)
    bb_status bb_game_validate(const bb_game *g, int full)
    bb_status bb_game_check_cards(const bb_game *g, const char **why)
    void bb_game_observe(const bb_game *g, int32_t player, float *out)

    void bb_batch_reset(bb_game *games, int32_t n, uint64_t base_seed, int early_stop)
    bb_status bb_batch_step(bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                            const int32_t *actions, int auto_reset, float *rewards,
                            uint8_t *dones, int32_t *scores, int32_t *bad)
    bb_status bb_batch_deal(bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                            const uint64_t *seeds, int early_stop)
    bb_status bb_batch_observe(const bb_game *games, int32_t n, const int32_t *idx, int32_t k,
                               const int32_t *players, float *obs, uint8_t *mask)
    uint64_t bb_game_infoset_hash(const bb_game *g)

    void bb_agent_params_default(bb_agent_params *p, int32_t kind)
    int32_t bb_agent_scores(const bb_game *g, const bb_agent_params *p, double *scores)
    int32_t bb_agent_choose(const bb_game *g, const bb_agent_params *p, bb_rng *rng)
    void bb_agent_scores_any_hand(const bb_game *g, const bb_agent_params *p, uint32_t species_mask,
                                  double *scores)
