/*
 * search.h -- the search player: determinization, PIMC and single-observer
 * IS-MCTS, exact endgames.
 *
 * The mover knows their own hand and pile (as a set), the public zones, the
 * history (beasty.h) and so the set of the opponent's unplayed animals, but
 * not which of those are in the opponent's hand nor any pile's order.
 *
 * Determinization: a complete game consistent with that knowledge.
 *   - uniform: the opponent's unplayed animals are shuffled and split into
 *     hand and pile, the mover's own pile is shuffled; every consistent
 *     state is equally likely.
 *   - inferred (config.infer_hands, needs the history): the opponent's deal
 *     order is drawn uniformly among the orders consistent with the cards
 *     they played (their k-th card was among the first 4 + k of the order),
 *     and weighted by how likely each opponent model (a bb_policy with
 *     scores) makes their actual choices given the hands that order implies:
 *     model m plays a with probability (1 - eps) softmax(score / T) + eps /
 *     #legal; the scores of a model that reads the hand (a network) come
 *     from the opponent's observation at the time with the hand the order
 *     implies, those of a scripted model from the queue alone.
 *     `candidates` orders are drawn per decision; each iteration picks one
 *     by weight (sampling-importance-resampling), and the model
 *     that plays the opponent in that iteration by its posterior for that
 *     order, so the mixture's weights are learned during the game.
 *   - "unknown": besides the models, the hypothesis that the opponent is
 *     none of them (prior weight unknown_prior).  In the search it is
 *     assumed to play as well as the mover: the mover's own policy in
 *     rollouts, UCB (not the model) in the tree.  For the inference its
 *     choices are uniform, or with unknown_temperature > 0 the guide's
 *     softmax (logits / unknown_temperature, mixed with model_epsilon) on
 *     the opponent's observation at the time, with the hand the order
 *     implies: a player who plans is read as the mover would have played.
 *     Against a player the models do not explain, it takes over.
 * Nothing here reads the opponent's hand, either pile's order or the game's
 * RNG, except the study setting reveal (never a fair player): with 1 every
 * determinization holds the opponent's true hand, an upper bound on what
 * reading the hand can give; with 2 it is the true game (both hands, both
 * piles in order), an upper bound on what any belief can give this search.
 *
 * Search (one decision, from the mover's seat, values in [-1, 1]):
 *   - PIMC: each determinization plays every legal root action once, then a
 *     rollout (or the exact endgame); the best mean wins.
 *   - IS-MCTS (Cowling, Powley & Whitehouse 2012, single observer): one tree
 *     over both players' actions; each iteration walks it in a fresh
 *     determinization, choosing among the children legal there by UCB1
 *     with availability counts (or PUCT with the policies' softmax as the
 *     prior, computed once per node, in the determinization of its first
 *     walk: an action that was not legal then gets an equal share), adds
 *     one node, rolls out, and backs the value up; the most visited root
 *     action is played.
 *   - rollouts: the mover's own policy for the mover, the sampled opponent
 *     model for the opponent; no auto-reset.
 *   - model_in_tree: the opponent's tree moves are those of the sampled
 *     model (a best response to it) rather than UCB's; not for "unknown".
 *   - leaf value: (1 - margin_weight) * result + margin_weight *
 *     clamp(margin / 20, -1, 1), from the mover's seat; result is +1 for a
 *     win, -1 for a loss and draw_value for a draw (below 0 when only wins
 *     count).
 *   - root_noise (expert iteration's self-play, with use_prior): the
 *     root's prior is (1 - root_noise) prior + root_noise Dir(alpha) over
 *     the legal actions, drawn once per decision (AlphaZero's exploration).
 *   - guide (optional, e.g. a network of net.h): with use_prior, PUCT's
 *     prior for the mover, and for an opponent under "unknown", is the
 *     guide's softmax instead of the rollout policy's; with value_weight
 *     w > 0 a new leaf's value is w * the guide's value + (1 - w) * the
 *     rollout's, and w = 1 skips the rollout (expert iteration: the
 *     network learned from the search's own visits and results).
 *   - exact endgame: once both piles are empty every card is known (in a
 *     determinization, and in the real game too); alpha-beta solves the rest
 *     (win/draw/loss first, then the point margin).  The real game is solved
 *     as soon as its piles are empty; inside simulations, where a solve
 *     costs as much as dozens of rollouts, only once at most endgame_cards
 *     cards are left in the hands, and for the result alone when
 *     margin_weight is 0 (the margin is what makes a solve expensive).
 * Budget: `simulations` iterations (PIMC: determinizations), and optionally
 * `time_limit_ms`; deterministic for a given seed when there is no time
 * limit.  Tree nodes live in a caller-owned arena (capacity simulations +
 * 1), the inference tables in a caller-owned workspace: nothing is
 * allocated.  A bb_search is not thread safe: one per thread.
 *
 * beasty/_ext/csearch.pxd mirrors this header: keep the two in sync.
 */
#ifndef BEASTY_SEARCH_H
#define BEASTY_SEARCH_H

#include "beasty.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BB_SEARCH_MAX_MODELS 8
#define BB_SEARCH_MAX_CANDIDATES 1024
#define BB_SEARCH_MAX_SIMULATIONS 10000000

typedef enum bb_search_algorithm {
    BB_SEARCH_PIMC = 0,
    BB_SEARCH_ISMCTS = 1
} bb_search_algorithm;

/* Plain numbers only (validated by bb_search_check). */
typedef struct bb_search_config {
    int32_t algorithm;        /* bb_search_algorithm */
    int32_t simulations;      /* IS-MCTS iterations or PIMC determinizations, >= 1 */
    double time_limit_ms;     /* > 0: stop once spent (after one iteration); 0: none */
    double exploration;       /* c of UCB1 (or of PUCT with use_prior) */
    int32_t use_prior;        /* 1: PUCT, prior = softmax(policy scores / prior_temperature) */
    double prior_temperature; /* > 0 */
    double margin_weight;     /* in [0, 1]: weight of the point margin in the leaf value */
    double draw_value;        /* in [-1, 1]: the result a draw counts as (win +1, loss -1) */
    int32_t endgame_cards;    /* 0..8; > 0: the real game is solved exactly once both piles
                                 are empty, simulations once at most this many cards are in hand */
    int32_t infer_hands;      /* 1: weigh determinizations by the opponent's earlier choices */
    int32_t model_in_tree;    /* 1 (IS-MCTS): the opponent's tree moves are its model's, not UCB's */
    int32_t candidates;       /* deal orders drawn per decision for the weighting, 1..1024 */
    double model_temperature; /* > 0: softmax temperature of the opponent models */
    double model_epsilon;     /* in [0, 1]: uniform share of each opponent model */
    double unknown_prior;     /* >= 0: prior weight of "none of the models" (see above) */
    double unknown_temperature; /* 0: "unknown" chooses uniformly in the inference; > 0 (needs a
                                   guide): as the guide would with that hand, at this temperature */
    double value_weight;      /* in [0, 1]: weight of the guide's value in a leaf's value */
    double root_noise;        /* in [0, 1] (use_prior): share of Dirichlet noise in the root's prior */
    double root_noise_alpha;  /* > 0: the Dirichlet's concentration (self-play exploration) */
    int32_t reveal;           /* a study, not a fair player: 0 none; 1 worlds hold the opponent's
                                 true hand (the piles' order stays hidden); 2 worlds are the true game */
} bb_search_config;

typedef struct bb_search_node {
    int32_t first_child, next_sibling; /* arena indices, -1 for none */
    int32_t visits, available;         /* available: times it was legal when its parent was walked */
    double value;                      /* sum of leaf values for the player who moved into it */
    int8_t action, player;
    int8_t has_prior;                  /* use_prior: prior[] holds the children's prior */
    float prior[BB_NUM_ACTIONS];       /* from the determinization of the node's first walk */
} bb_search_node;

/* Inference tables, one decision at a time (about 2 MB). */
typedef struct bb_search_workspace {
    int32_t num_decisions;                                  /* the opponent's moves so far */
    uint8_t decision_action[BB_CARDS_PER_PLAYER];
    /* per model and decision: sum of exp(score / T) of each species' allowed
     * actions, and exp(score / T) of the action played */
    double decision_weight[BB_SEARCH_MAX_MODELS][BB_CARDS_PER_PLAYER][BB_NUM_SPECIES + 1];
    double decision_chosen[BB_SEARCH_MAX_MODELS][BB_CARDS_PER_PLAYER];
    uint8_t decision_legal[BB_CARDS_PER_PLAYER][BB_NUM_SPECIES + 1]; /* allowed actions per species */
    /* hypotheses that read the hand (model_reads_hand, unknown_temperature):
     * the opponent's view at each decision (their own hand and pile filled
     * per hand), and the probability of the action played per hypothesis,
     * decision and hand (species mask >> 1), NaN until computed */
    bb_game decision_view[BB_CARDS_PER_PLAYER];
    float hand_choice[BB_SEARCH_MAX_MODELS + 1][BB_CARDS_PER_PLAYER][1 << BB_NUM_SPECIES];
    int32_t num_candidates;
    uint8_t candidate_order[BB_SEARCH_MAX_CANDIDATES][BB_CARDS_PER_PLAYER]; /* species, deal order */
    double candidate_cumulative[BB_SEARCH_MAX_CANDIDATES];
    double candidate_likelihood[BB_SEARCH_MAX_CANDIDATES][BB_SEARCH_MAX_MODELS + 1];
} bb_search_workspace;

typedef struct bb_search {
    bb_search_config config;
    bb_policy self_policy;                      /* the mover's rollouts (and prior without a guide) */
    bb_policy guide;                            /* optional (choose NULL: none): prior and leaf value */
    bb_policy models[BB_SEARCH_MAX_MODELS];     /* opponent models (rollouts, prior, inference) */
    double model_prior[BB_SEARCH_MAX_MODELS];   /* >= 0; with unknown_prior, not all 0 */
    int32_t model_reads_hand[BB_SEARCH_MAX_MODELS]; /* 1: its scores depend on the mover's hand (a
                                                   network): weighed hand by hand, see infer_hands */
    int32_t num_models;                         /* 1..BB_SEARCH_MAX_MODELS */
    bb_search_node *nodes;                      /* caller-owned arena */
    int32_t capacity;                           /* nodes in the arena (IS-MCTS: >= simulations + 1) */
    bb_search_workspace *work;                  /* caller-owned */
} bb_search;

typedef struct bb_search_result {
    int32_t action;                   /* the choice (-1 if the game is over) */
    int32_t iterations;               /* iterations run (0 for a forced move) */
    int32_t solved;                   /* 1: chosen by the exact endgame solver */
    double elapsed_ms;
    double model_posterior[BB_SEARCH_MAX_MODELS + 1]; /* of each model, then of "unknown" */
    int32_t visits[BB_NUM_ACTIONS];   /* root visits (PIMC: evaluations) per action */
    double value[BB_NUM_ACTIONS];     /* mean value per root action, NaN if none */
} bb_search_result;

/* The defaults (the one declaration of them; beasty._ext.SEARCH_DEFAULTS
 * reads them from here): IS-MCTS, 1000 simulations, no time limit,
 * exploration 0.7, no prior (temperature 1), margin_weight 0.3, draws 0,
 * endgame_cards 4, inferred hands from 256 candidates with model
 * temperature 1 and epsilon 0.1, unknown_prior 1 (uniform: temperature 0),
 * no value, no root noise (alpha 0.3), nothing revealed. */
void bb_search_config_default(bb_search_config *c);
/* BB_OK, or BB_ERR_PARAM if the configuration or the memory is unusable;
 * then *bad (if not NULL) names the offending field.  The ranges: */
/*   simulations 1..BB_SEARCH_MAX_SIMULATIONS, time_limit_ms 0..1e7,
 *   exploration 0..1e6, prior/model_temperature (0, 1e6], margin_weight and
 *   model_epsilon, value_weight and root_noise 0..1 (value_weight > 0 needs a guide with a
 *   value), root_noise_alpha (0, 100],
 *   draw_value -1..1, candidates 1..BB_SEARCH_MAX_CANDIDATES, flags 0/1,
 *   endgame_cards 0..8, reveal 0..2,
 *   model_prior and unknown_prior 0..1e6 with a positive sum, model_reads_hand 0/1,
 *   unknown_temperature 0..1e6 (> 0 needs a guide with scores). */
bb_status bb_search_check(const bb_search *s, const char **bad);
/* One decision for the player to move in g.  The state must pass
 * bb_game_validate(g, 0) and bb_game_check_cards (every state reached by
 * play does; a hand-made one may not): else BB_ERR_STATE, nothing run. */
bb_status bb_search_run(bb_search *s, const bb_game *g, bb_rng *rng, bb_search_result *out);
/* The search as a policy (s must outlive it). */
bb_policy bb_policy_search(bb_search *s);

/* `count` determinizations of g as the search draws them (inferred when
 * config.infer_hands and the history allow), with the opponent model of
 * each in models[i] (may be NULL); the states of bb_search_run.  For tests
 * and analysis. */
bb_status bb_search_sample(bb_search *s, const bb_game *g, bb_rng *rng, int32_t count, bb_game *worlds,
                           int32_t *models);
/* A uniform determinization of g from the mover's point of view; the
 * same states as bb_search_run, else BB_ERR_STATE with *why (if not NULL). */
bb_status bb_determinize(const bb_game *g, bb_rng *rng, bb_game *out, const char **why);
/* Exact value of a game whose piles are both empty, for the player to move:
 * 64 * result + margin (result +1/0/-1), or with margin == 0 the result
 * alone, 64 * result (a much smaller search); the best action into *best
 * (-1 if the game is over).  `nodes` (if not NULL) counts the positions
 * visited. */
int32_t bb_endgame_solve(const bb_game *g, int32_t margin, int32_t *best, int64_t *nodes);

#ifdef __cplusplus
}
#endif
#endif /* BEASTY_SEARCH_H */
