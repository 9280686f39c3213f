/* search.c -- determinization, PIMC, IS-MCTS and the exact endgame
 * (search.h documents the method).  No allocation: the tree lives in the
 * caller's arena, the inference tables in the caller's workspace. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "search.h"

#define MARGIN_SCALE 20.0
#define RESULT_UNIT 64 /* solver value = 64 * result + margin, |margin| <= 36 */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

static void shuffle(uint8_t *a, int n, bb_rng *rng) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)bb_rng_bounded(rng, (uint32_t)(i + 1));
        uint8_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static uint32_t species_mask(const uint8_t *cards, int n) {
    uint32_t m = 0;
    for (int i = 0; i < n; i++) m |= 1u << BB_CARD_SPECIES(cards[i]);
    return m;
}

/* Opponent hypotheses: the models 0..num_models-1, then "unknown" (search.h). */
static int hypotheses(const bb_search *s) { return s->num_models + 1; }
static double prior_of(const bb_search *s, int m) {
    return m < s->num_models ? s->model_prior[m] : s->config.unknown_prior;
}
/* The opponent's policy in rollouts under hypothesis m. */
static const bb_policy *opponent_policy(const bb_search *s, int m) {
    return m < s->num_models ? &s->models[m] : &s->self_policy;
}
/* The prior's policy for the player to move in d (search.h, guide). */
static const bb_policy *prior_policy(const bb_search *s, const bb_game *d, int root, int m) {
    if (d->to_move != root && m < s->num_models) return &s->models[m];
    return s->guide.choose ? &s->guide : &s->self_policy;
}

static int piles_empty(const bb_game *g) {
    return g->deck_pos[0] == BB_DECK_MAX && g->deck_pos[1] == BB_DECK_MAX;
}

/* Whether a simulation hands this position to the exact solver. */
static int solve_here(const bb_search *s, const bb_game *g) {
    return piles_empty(g) && g->hand_len[0] + g->hand_len[1] <= s->config.endgame_cards;
}

/* --------------------------------------------------- determinization */

/* The mover's pile in a fresh random order.  Its true order is hidden, so
 * the shuffle starts from the cards sorted: the result must not depend on it. */
static void shuffle_own_pile(bb_game *d, bb_rng *rng) {
    int me = d->to_move, n = BB_DECK_MAX - d->deck_pos[me];
    uint8_t *pile = &d->deck[me][d->deck_pos[me]];
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && pile[j - 1] > pile[j]; j--) {
            uint8_t t = pile[j];
            pile[j] = pile[j - 1];
            pile[j - 1] = t;
        }
    shuffle(pile, n, rng);
}

/* Gives the opponent `hand` then `pile` (species lists). */
static void deal_opponent(bb_game *d, const uint8_t *species, int n) {
    int opp = 1 - d->to_move, h = d->hand_len[opp];
    memset(d->hand[opp], 0, BB_HAND_MAX);
    memset(d->deck[opp], 0, BB_DECK_MAX);
    for (int i = 0; i < h; i++) d->hand[opp][i] = BB_CARD(opp, species[i]);
    for (int i = h; i < n; i++) d->deck[opp][d->deck_pos[opp] + i - h] = BB_CARD(opp, species[i]);
}

static int unplayed_species(const bb_game *g, int owner, uint8_t *out) {
    uint32_t left = BB_ALL_SPECIES & ~bb_game_played_species(g, owner);
    int n = 0;
    for (int s = 1; s <= BB_NUM_SPECIES; s++)
        if ((left >> s) & 1) out[n++] = (uint8_t)s;
    return n;
}

/* g with the opponent's hand then pile dealt from `species` and the mover's
 * pile reshuffled; the game's generator is not carried over. */
static void make_world(const bb_game *g, const uint8_t *species, int n, bb_rng *rng, bb_game *out) {
    *out = *g;
    out->rng.state = 0;
    deal_opponent(out, species, n);
    shuffle_own_pile(out, rng);
}

/* A uniform determinization of a state that bb_game_check_cards accepts. */
static void determinize(const bb_game *g, bb_rng *rng, bb_game *out) {
    uint8_t left[BB_CARDS_PER_PLAYER];
    int n = unplayed_species(g, 1 - g->to_move, left);
    shuffle(left, n, rng);
    make_world(g, left, n, rng, out);
}

bb_status bb_determinize(const bb_game *g, bb_rng *rng, bb_game *out, const char **why) {
    bb_status st = bb_game_check_cards(g, why);
    if (st == BB_OK) determinize(g, rng, out);
    return st;
}

/* ---------------------------------------------------------- inference */

/* The highest of the scores that are not NaN (-inf if none). */
static double top_score(const double *scores) {
    double top = -INFINITY;
    for (int a = 0; a < BB_NUM_ACTIONS; a++)
        if (!isnan(scores[a]) && scores[a] > top) top = scores[a];
    return top;
}

/* exp((score - top) / T), the softmax's weight, floored at e^-700: no
 * sum of them is 0. */
static double softmax_weight(double score, double top, double temperature) {
    double x = (score - top) / temperature;
    return exp(x > -700.0 ? x : -700.0);
}

/* Sums the softmax weights by species over the actions the queue allowed
 * at decision k (and records the action played's), so that a hand's
 * softmax is a few additions. */
static void tabulate_decision(const bb_search *s, int m, int k, const double *scores) {
    bb_search_workspace *w = s->work;
    double top = top_score(scores);
    for (int sp = 0; sp <= BB_NUM_SPECIES; sp++) w->decision_weight[m][k][sp] = 0.0;
    w->decision_chosen[m][k] = 0.0;
    for (int a = 0; a < BB_NUM_ACTIONS; a++) {
        if (isnan(scores[a])) continue;
        double e = softmax_weight(scores[a], top, s->config.model_temperature);
        int sp = bb_action_get(a)->species;
        w->decision_weight[m][k][sp] += e;
        if (a == w->decision_action[k]) w->decision_chosen[m][k] = e;
    }
}

/* Whether hypothesis m's choices are weighed with the hand (search.h). */
static int reads_hand(const bb_search *s, int m) {
    return m < s->num_models ? s->model_reads_hand[m] : s->config.unknown_temperature > 0.0;
}

/* Gives `owner` the animals of species masks `hand` (up to four) and
 * `pile` (up to eight), with the counts that go with them. */
static void deal(bb_game *g, int owner, uint32_t hand, uint32_t pile) {
    int h = 0, p = __builtin_popcount(pile), i = BB_DECK_MAX - (p < BB_DECK_MAX ? p : BB_DECK_MAX);
    memset(g->hand[owner], 0, BB_HAND_MAX);
    memset(g->deck[owner], 0, BB_DECK_MAX);
    g->deck_pos[owner] = (uint8_t)i;
    for (; hand && h < BB_HAND_MAX; hand &= hand - 1)
        g->hand[owner][h++] = BB_CARD(owner, __builtin_ctz(hand));
    g->hand_len[owner] = (uint8_t)h;
    for (; pile && i < BB_DECK_MAX; pile &= pile - 1)
        g->deck[owner][i++] = BB_CARD(owner, __builtin_ctz(pile));
}

/* Probability that hypothesis m (a model that reads the hand, or the guide
 * for "unknown"), in the opponent's seat at decision k with hand `hand`
 * (the rest of their unplayed animals in the pile), plays the action
 * played: (1 - eps) softmax(scores / T) + eps / #legal.  Cached per hand:
 * the hands at the decisions are at most C(12, 4) = 495 in all, however
 * many candidates share them. */
static double hand_choice_probability(const bb_search *s, int m, int k, uint32_t hand) {
    bb_search_workspace *w = s->work;
    float *cached = &w->hand_choice[m][k][hand >> 1];
    if (!isnan(*cached)) return *cached;
    bb_game view = w->decision_view[k];
    uint32_t unplayed = BB_ALL_SPECIES;
    for (int j = 0; j < k; j++) unplayed &= ~(1u << bb_action_get(w->decision_action[j])->species);
    deal(&view, view.to_move, hand, unplayed & ~hand);
    const bb_policy *policy = m < s->num_models ? &s->models[m] : &s->guide;
    double temperature = m < s->num_models ? s->config.model_temperature : s->config.unknown_temperature;
    double scores[BB_NUM_ACTIONS];
    policy->scores(policy->state, &view, hand, scores);
    double top = top_score(scores), z = 0.0, chosen = 0.0;
    int legal = 0;
    for (int a = 0; a < BB_NUM_ACTIONS; a++) {
        if (isnan(scores[a])) continue;
        double e = softmax_weight(scores[a], top, temperature);
        z += e;
        legal++;
        if (a == w->decision_action[k]) chosen = e;
    }
    double eps = s->config.model_epsilon;
    double p = legal == 0 || chosen == 0.0 ? 0.0 : (1.0 - eps) * chosen / z + eps / legal;
    *cached = (float)p;
    return p;
}

/* Probability that model m plays decision k's action with hand `hand`:
 * (1 - eps) softmax + eps / #legal (0 if the action was not allowed). */
static double choice_probability(const bb_search *s, int m, int k, uint32_t hand) {
    const bb_search_workspace *w = s->work;
    int legal = 0;
    int chosen_species = bb_action_get(w->decision_action[k])->species;
    for (uint32_t h = hand; h; h &= h - 1) legal += w->decision_legal[k][__builtin_ctz(h)];
    if (legal == 0 || !((hand >> chosen_species) & 1)) return 0.0;
    if (reads_hand(s, m)) return hand_choice_probability(s, m, k, hand);
    if (m == s->num_models) return 1.0 / legal; /* the unknown opponent without a temperature: uniform */
    if (w->decision_chosen[m][k] == 0.0) return 0.0;
    double z = 0.0; /* a scripted model's softmax over the hand, from the table */
    for (uint32_t h = hand; h; h &= h - 1) z += w->decision_weight[m][k][__builtin_ctz(h)];
    double eps = s->config.model_epsilon;
    return (1.0 - eps) * w->decision_chosen[m][k] / z + eps / legal;
}

/* The public state as the opponent saw it at their k-th decision: the
 * zones, both players' counts and the mover's unplayed animals (the
 * opponent sees them as a set: any four in hand, the rest in the pile);
 * the opponent's own hand and pile are dealt per hand
 * (hand_choice_probability). */
static void record_view(const bb_game *pub, uint32_t mover_played, bb_game *view) {
    int me = 1 - pub->to_move;
    uint32_t left = BB_ALL_SPECIES & ~mover_played, hand = 0;
    for (uint32_t r = left; r && __builtin_popcount(hand) < BB_HAND_MAX; r &= r - 1) hand |= r & -r;
    *view = *pub;
    deal(view, me, hand, left & ~hand);
}

/* Replays the public history and stores, for each of the opponent's
 * decisions, the allowed actions of their unplayed species, every scripted
 * model's scores of them and the opponent's view.  Returns 0 when the history is unknown or does not lead to g's
 * public zones (a hand-made state): then determinizations stay uniform. */
static int record_decisions(const bb_search *s, const bb_game *g) {
    bb_search_workspace *w = s->work;
    int me = g->to_move, opp = 1 - me;
    w->num_decisions = 0;
    if (g->history_len != g->turn || g->turn == 0) return 0;
    bb_game pub;
    memset(&pub, 0, sizeof(pub));
    pub.early_stop = g->early_stop;
    pub.hand_len[0] = pub.hand_len[1] = 1;
    uint32_t opp_played = 0, mover_played = 0;
    for (int t = 0; t < g->turn; t++) {
        int p = g->start_player ^ (t & 1);
        int32_t a = g->history[t];
        int species = bb_action_get(a)->species;
        pub.to_move = (uint8_t)p;
        pub.hand[p][0] = BB_CARD(p, species);
        if (p == opp) {
            int k = w->num_decisions++;
            if (k >= BB_CARDS_PER_PLAYER) return 0;
            w->decision_action[k] = (uint8_t)a;
            record_view(&pub, mover_played, &w->decision_view[k]);
            memset(w->decision_legal[k], 0, sizeof(w->decision_legal[k]));
            for (int b = 0; b < BB_NUM_ACTIONS; b++) { /* allowed actions of the unplayed species */
                int sp = bb_action_get(b)->species;
                if (((BB_ALL_SPECIES & ~opp_played) >> sp & 1) && bb_game_queue_allows(&pub, b))
                    w->decision_legal[k][sp]++;
            }
            for (int m = 0; m < s->num_models; m++) {
                if (s->model_reads_hand[m]) continue;
                double sc[BB_NUM_ACTIONS];
                s->models[m].scores(s->models[m].state, &pub, BB_ALL_SPECIES & ~opp_played, sc);
                tabulate_decision(s, m, k, sc);
            }
            opp_played |= 1u << species;
        } else {
            mover_played |= 1u << species;
        }
        if (bb_game_play(&pub, a) != BB_OK) return 0;
        pub.hand_len[p] = 1;
    }
    if (pub.queue_len != g->queue_len || pub.bar_len != g->bar_len || pub.ti_len != g->ti_len ||
        memcmp(pub.queue, g->queue, BB_QUEUE_MAX) || memcmp(pub.bar, g->bar, BB_NUM_CARDS) ||
        memcmp(pub.thats_it, g->thats_it, BB_NUM_CARDS))
        return 0;
    return w->num_decisions > 0;
}

/* Cards of the opponent's deal order seen by their k-th decision: the
 * first four, then one more per earlier decision, all twelve at most. */
static int hand_reach(int k) {
    return k + BB_HAND_MAX < BB_CARDS_PER_PLAYER ? k + BB_HAND_MAX : BB_CARDS_PER_PLAYER;
}

/* Draws the candidate deal orders and weighs them (search.h). */
static void draw_candidates(const bb_search *s, const bb_game *g, bb_rng *rng) {
    bb_search_workspace *w = s->work;
    int K = w->num_decisions;
    uint8_t played[BB_CARDS_PER_PLAYER], left[BB_CARDS_PER_PLAYER];
    for (int k = 0; k < K; k++) played[k] = (uint8_t)bb_action_get(w->decision_action[k])->species;
    int n_left = unplayed_species(g, 1 - g->to_move, left);
    double total = 0.0;
    for (int m = 0; m < hypotheses(s); m++) /* NaN: not computed yet */
        if (reads_hand(s, m)) memset(w->hand_choice[m], 0xFF, (size_t)K * sizeof(w->hand_choice[m][0]));
    w->num_candidates = s->config.candidates;
    for (int c = 0; c < w->num_candidates; c++) {
        uint8_t *order = w->candidate_order[c];
        memset(order, 0, BB_CARDS_PER_PLAYER);
        for (int k = 0; k < K; k++) { /* card k: one of the free places among the first 4 + k */
            int reach = hand_reach(k);
            int free_places = 0;
            for (int i = 0; i < reach; i++) free_places += order[i] == 0;
            int pick = (int)bb_rng_bounded(rng, (uint32_t)free_places);
            for (int i = 0; i < reach; i++)
                if (order[i] == 0 && pick-- == 0) {
                    order[i] = played[k];
                    break;
                }
        }
        shuffle(left, n_left, rng);
        for (int i = 0, j = 0; i < BB_CARDS_PER_PLAYER; i++)
            if (order[i] == 0) order[i] = left[j++];
        uint32_t hands[BB_CARDS_PER_PLAYER], seen = 0, gone = 0;
        for (int k = 0; k < K; k++) { /* the hand at decision k: first 4 + k of the order, less those played */
            int reach = hand_reach(k);
            for (int i = k == 0 ? 0 : reach - 1; i < reach; i++) seen |= 1u << order[i];
            hands[k] = seen & ~gone;
            gone |= 1u << played[k];
        }
        double weight = 0.0;
        for (int m = 0; m < hypotheses(s); m++) {
            double like = 1.0;
            for (int k = 0; k < K && like > 0.0; k++) like *= choice_probability(s, m, k, hands[k]);
            w->candidate_likelihood[c][m] = like;
            weight += prior_of(s, m) * like;
        }
        total += weight;
        w->candidate_cumulative[c] = total;
    }
    if (!(total > 0.0)) /* no order explains the moves under any model: fall back to uniform */
        for (int c = 0; c < w->num_candidates; c++) {
            w->candidate_cumulative[c] = c + 1.0;
            for (int m = 0; m < hypotheses(s); m++) w->candidate_likelihood[c][m] = 1.0;
        }
}

static int pick_weighted(const double *weights, int n, double total, bb_rng *rng) {
    double u = bb_rng_double(rng) * total;
    for (int i = 0; i < n; i++) {
        if (u < weights[i]) return i;
        u -= weights[i];
    }
    return n - 1;
}

/* A determinization and the opponent model that plays in it, from what the
 * mover knows. */
static int sample_world_fair(const bb_search *s, const bb_game *g, int inferred, bb_rng *rng, bb_game *d) {
    if (!inferred) {
        determinize(g, rng, d);
        double prior[BB_SEARCH_MAX_MODELS + 1], total = 0.0;
        for (int m = 0; m < hypotheses(s); m++) total += prior[m] = prior_of(s, m);
        return pick_weighted(prior, hypotheses(s), total, rng);
    }
    const bb_search_workspace *w = s->work;
    int n = w->num_candidates;
    double u = bb_rng_double(rng) * w->candidate_cumulative[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (w->candidate_cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    const uint8_t *order = w->candidate_order[lo];
    int K = w->num_decisions, opp = 1 - g->to_move;
    int reach = hand_reach(K);
    uint32_t played = 0;
    for (int k = 0; k < K; k++) played |= 1u << bb_action_get(w->decision_action[k])->species;
    uint8_t cards[BB_CARDS_PER_PLAYER];
    int n_hand = 0, n_all = 0;
    for (int i = 0; i < reach; i++)
        if (!((played >> order[i]) & 1)) cards[n_hand++] = order[i];
    n_all = n_hand;
    for (int i = reach; i < BB_CARDS_PER_PLAYER; i++) cards[n_all++] = order[i];
    if (n_hand != g->hand_len[opp]) { /* cannot happen for a state reached by play */
        determinize(g, rng, d);
    } else {
        shuffle(cards + n_hand, n_all - n_hand, rng); /* pile order: uniform given the hand */
        make_world(g, cards, n_all, rng, d);
    }
    double prior_like[BB_SEARCH_MAX_MODELS + 1], total = 0.0;
    for (int m = 0; m < hypotheses(s); m++) {
        prior_like[m] = prior_of(s, m) * w->candidate_likelihood[lo][m];
        total += prior_like[m];
    }
    return pick_weighted(prior_like, hypotheses(s), total, rng);
}

/* reveal 1 (a study): d keeps the opponent's true hand; their
 * pile is their other unplayed animals in a fresh order, as in any world. */
static void reveal_hand(const bb_game *g, bb_rng *rng, bb_game *d) {
    int opp = 1 - g->to_move, h = g->hand_len[opp], n = 0;
    uint8_t species[BB_CARDS_PER_PLAYER];
    uint32_t hand = 0;
    for (int i = 0; i < h; i++) hand |= 1u << (species[n++] = BB_CARD_SPECIES(g->hand[opp][i]));
    uint8_t pile[BB_CARDS_PER_PLAYER];
    int p = 0;
    for (uint32_t r = BB_ALL_SPECIES & ~bb_game_played_species(g, opp) & ~hand; r; r &= r - 1)
        pile[p++] = (uint8_t)__builtin_ctz(r);
    shuffle(pile, p, rng);
    for (int i = 0; i < p && n < BB_CARDS_PER_PLAYER; i++) species[n++] = pile[i];
    make_world(g, species, n, rng, d);
}

/* A determinization and the opponent model that plays in it. */
static int sample_world(const bb_search *s, const bb_game *g, int inferred, bb_rng *rng, bb_game *d) {
    int m = sample_world_fair(s, g, inferred, rng, d);
    if (s->config.reveal == 1) reveal_hand(g, rng, d);
    if (s->config.reveal == 2) *d = *g;
    return m;
}

/* ------------------------------------------------------------ endgame */
/* 64 * result + margin, or with margin == 0 the result alone (64 * result). */
static int32_t terminal_value(const bb_game *g, int player, int margin_too) {
    int32_t scores[2];
    bb_game_scores(g, scores);
    int32_t margin = scores[player] - scores[1 - player];
    int32_t result = RESULT_UNIT * ((margin > 0) - (margin < 0));
    return margin_too ? result + margin : result;
}

static int32_t negamax(const bb_game *g, int32_t alpha, int32_t beta, int margin_too, int32_t *best,
                       int64_t *nodes) {
    if (nodes) (*nodes)++;
    if (best) *best = -1;
    if (g->done) return terminal_value(g, g->to_move, margin_too);
    int32_t legal[BB_NUM_ACTIONS];
    int32_t n = bb_game_legal(g, 0, legal);
    int32_t top = -1000;
    for (int i = 0; i < n; i++) {
        bb_game child = *g;
        bb_game_step_legal(&child, legal[i]);
        int32_t v = -negamax(&child, -beta, -alpha, margin_too, 0, nodes);
        if (v > top) {
            top = v;
            if (best) *best = legal[i];
        }
        if (v > alpha) alpha = v;
        if (alpha >= beta) break;
    }
    return top;
}

int32_t bb_endgame_solve(const bb_game *g, int32_t margin, int32_t *best, int64_t *nodes) {
    /* the result alone lives in [-64, 64]: a window that tight cuts at the first win */
    return margin ? negamax(g, -1000, 1000, 1, best, nodes)
                  : negamax(g, -RESULT_UNIT, RESULT_UNIT, 0, best, nodes);
}

/* ------------------------------------------------------------- values */
static double leaf_value(const bb_search *s, int32_t solver_value) {
    int result = (solver_value > 0) - (solver_value < 0);
    double margin = (double)(solver_value - RESULT_UNIT * result) / MARGIN_SCALE;
    if (margin > 1.0) margin = 1.0;
    if (margin < -1.0) margin = -1.0;
    double w = s->config.margin_weight;
    return (1.0 - w) * (result == 0 ? s->config.draw_value : result) + w * margin;
}

/* Plays d out (or solves its endgame); the value for `root`. */
static double rollout(const bb_search *s, bb_game *d, int root, int model, bb_rng *rng) {
    while (!d->done) {
        if (solve_here(s, d)) {
            /* the margin costs a wider search; only solve for it when the value uses it */
            int32_t v = bb_endgame_solve(d, s->config.margin_weight > 0.0, 0, 0);
            return leaf_value(s, d->to_move == root ? v : -v);
        }
        const bb_policy *pol = d->to_move == root ? &s->self_policy : opponent_policy(s, model);
        bb_game_step_legal(d, pol->choose(pol->state, d, rng));
    }
    return leaf_value(s, terminal_value(d, root, 1));
}

/* A new leaf's value for `root`: the exact one when the game is over or
 * solvable, else the rollout's and/or the guide's (value_weight). */
static double evaluate_leaf(const bb_search *s, bb_game *d, int root, int model, bb_rng *rng) {
    double w = s->config.value_weight;
    if (w == 0.0 || d->done || solve_here(s, d)) return rollout(s, d, root, model, rng);
    double v = s->guide.value(s->guide.state, d);
    if (d->to_move != root) v = -v;
    return w == 1.0 ? v : w * v + (1.0 - w) * rollout(s, d, root, model, rng);
}

/* --------------------------------------------------------------- PIMC */
static void run_pimc(bb_search *s, const bb_game *g, int inferred, const int32_t *legal, int n_legal,
                     double deadline, bb_rng *rng, bb_search_result *out) {
    double sum[BB_NUM_ACTIONS] = {0};
    int root = g->to_move;
    for (int it = 0; it < s->config.simulations; it++) {
        if (it > 0 && deadline > 0 && now_ms() >= deadline) break;
        bb_game d;
        int model = sample_world(s, g, inferred, rng, &d);
        for (int i = 0; i < n_legal; i++) {
            bb_game child = d;
            bb_game_step_legal(&child, legal[i]);
            sum[legal[i]] += evaluate_leaf(s, &child, root, model, rng);
            out->visits[legal[i]]++;
        }
        out->iterations++;
    }
    double top = -INFINITY;
    for (int i = 0; i < n_legal; i++) {
        int a = legal[i];
        out->value[a] = sum[a] / out->visits[a];
        if (out->value[a] > top) {
            top = out->value[a];
            out->action = a;
        }
    }
}

/* ------------------------------------------------------------ IS-MCTS */
static int32_t new_node(bb_search *s, int32_t *used, int32_t parent, int action, int player) {
    if (*used >= s->capacity) return -1;
    int32_t i = (*used)++;
    bb_search_node *nd = &s->nodes[i];
    nd->first_child = -1;
    nd->next_sibling = parent >= 0 ? s->nodes[parent].first_child : -1;
    nd->visits = 0;
    nd->available = 0;
    nd->value = 0.0;
    nd->action = (int8_t)action;
    nd->player = (int8_t)player;
    nd->has_prior = 0;
    if (parent >= 0) s->nodes[parent].first_child = i;
    return i;
}

/* Softmax of the policy's scores over the mover's legal actions in d. */
static void policy_prior(const bb_search *s, const bb_policy *pol, const bb_game *d, double *prior) {
    double sc[BB_NUM_ACTIONS];
    pol->scores(pol->state, d, species_mask(d->hand[d->to_move], d->hand_len[d->to_move]), sc);
    double top = -INFINITY, z = 0.0;
    for (int a = 0; a < BB_NUM_ACTIONS; a++)
        if (!isnan(sc[a]) && sc[a] > top) top = sc[a];
    for (int a = 0; a < BB_NUM_ACTIONS; a++) {
        prior[a] = isnan(sc[a]) ? 0.0 : exp((sc[a] - top) / s->config.prior_temperature);
        z += prior[a];
    }
    for (int a = 0; a < BB_NUM_ACTIONS; a++) prior[a] = z > 0.0 ? prior[a] / z : 0.0;
}

/* A Gamma(alpha, 1) deviate (Marsaglia and Tsang 2000; alpha < 1 through
 * Gamma(alpha + 1) * U^(1/alpha)). */
static double gamma_deviate(bb_rng *rng, double alpha) {
    if (alpha < 1.0) {
        double u = bb_rng_double(rng);
        return gamma_deviate(rng, alpha + 1.0) * pow(u > 0.0 ? u : 1e-300, 1.0 / alpha);
    }
    double d = alpha - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = bb_rng_normal(rng), v = 1.0 + c * x;
        if (v <= 0.0) continue;
        v = v * v * v;
        double u = bb_rng_double(rng);
        if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* Mixes Dirichlet noise into the root's prior over its legal actions. */
static void add_root_noise(const bb_search *s, const int32_t *legal, int n, float *prior, bb_rng *rng) {
    double noise[BB_NUM_ACTIONS], total = 0.0, eps = s->config.root_noise;
    for (int i = 0; i < n; i++) total += noise[i] = gamma_deviate(rng, s->config.root_noise_alpha);
    if (!(total > 0.0)) return;
    for (int i = 0; i < n; i++) prior[legal[i]] = (float)((1.0 - eps) * prior[legal[i]] + eps * noise[i] / total);
}

/* The index in legal[] of the move that model m would play in d. */
static int model_pick(const bb_search *s, int model, const bb_game *d, const int32_t *legal, int n, bb_rng *rng) {
    int32_t a = s->models[model].choose(s->models[model].state, d, rng);
    int pick = 0;
    for (int i = 0; i < n; i++)
        if (legal[i] == a) pick = i;
    return pick;
}

/* UCB1 with availability counts: an untried move first (uniformly), else
 * the best mean plus c sqrt(ln available / visits). */
static int ucb_pick(const bb_search *s, const int32_t *child_of, int n, bb_rng *rng) {
    int untried[BB_NUM_ACTIONS], nu = 0;
    for (int i = 0; i < n; i++)
        if (child_of[i] < 0) untried[nu++] = i;
    if (nu > 0) return untried[bb_rng_bounded(rng, (uint32_t)nu)];
    double top = -INFINITY;
    int pick = -1;
    for (int i = 0; i < n; i++) {
        const bb_search_node *ch = &s->nodes[child_of[i]];
        double ucb = ch->value / ch->visits + s->config.exploration * sqrt(log((double)ch->available) / ch->visits);
        if (ucb > top) {
            top = ucb;
            pick = i;
        }
    }
    return pick;
}

/* PUCT: mean plus c prior sqrt(parent visits) / (1 + visits), the prior
 * computed at the node's first walk (with the root's noise). */
static int puct_pick(bb_search *s, int32_t node, const bb_game *d, int root, int model, const int32_t *legal,
                     const int32_t *child_of, int n, bb_rng *rng) {
    bb_search_node *parent = &s->nodes[node];
    if (!parent->has_prior) { /* a network's prior costs a forward pass: once per node */
        double prior[BB_NUM_ACTIONS];
        policy_prior(s, prior_policy(s, d, root, model), d, prior);
        for (int a = 0; a < BB_NUM_ACTIONS; a++) parent->prior[a] = (float)prior[a];
        if (node == 0 && s->config.root_noise > 0.0) add_root_noise(s, legal, n, parent->prior, rng);
        parent->has_prior = 1;
    }
    double parent_visits = 1.0;
    for (int i = 0; i < n; i++)
        if (child_of[i] >= 0) parent_visits += s->nodes[child_of[i]].visits;
    double top = -INFINITY, sqrt_n = sqrt(parent_visits);
    int pick = -1;
    for (int i = 0; i < n; i++) {
        double q = 0.0, visits = 0.0;
        if (child_of[i] >= 0 && s->nodes[child_of[i]].visits > 0) {
            visits = s->nodes[child_of[i]].visits;
            q = s->nodes[child_of[i]].value / visits;
        }
        double p = parent->prior[legal[i]] > 0.0f ? parent->prior[legal[i]] : 1.0 / n;
        double u = q + s->config.exploration * p * sqrt_n / (1.0 + visits);
        if (u > top) {
            top = u;
            pick = i;
        }
    }
    return pick;
}

/* Chooses the child to walk into (creating it if new) by the opponent's
 * model, UCB1 or PUCT; *expanded = 1 when the node is new.  Returns -1
 * when the arena is full. */
static int32_t select_child(bb_search *s, int32_t *used, int32_t node, const bb_game *d, int root,
                            int model, bb_rng *rng, int *expanded, int32_t *action) {
    int32_t legal[BB_NUM_ACTIONS], child_of[BB_NUM_ACTIONS];
    int32_t n = bb_game_legal(d, 0, legal);
    for (int i = 0; i < n; i++) child_of[i] = -1;
    for (int32_t c = s->nodes[node].first_child; c >= 0; c = s->nodes[c].next_sibling)
        for (int i = 0; i < n; i++)
            if (s->nodes[c].action == legal[i]) child_of[i] = c;
    for (int i = 0; i < n; i++)
        if (child_of[i] >= 0) s->nodes[child_of[i]].available++;
    int pick;
    *expanded = 0;
    if (s->config.model_in_tree && d->to_move != root && model < s->num_models) /* plays as its model */
        pick = model_pick(s, model, d, legal, n, rng);
    else if (!s->config.use_prior)
        pick = ucb_pick(s, child_of, n, rng);
    else
        pick = puct_pick(s, node, d, root, model, legal, child_of, n, rng);
    *action = legal[pick];
    if (child_of[pick] >= 0) return child_of[pick];
    int32_t c = new_node(s, used, node, legal[pick], d->to_move);
    if (c >= 0) {
        s->nodes[c].available = 1;
        *expanded = 1;
    }
    return c;
}

static void run_ismcts(bb_search *s, const bb_game *g, int inferred, double deadline, bb_rng *rng,
                       bb_search_result *out) {
    int root = g->to_move;
    int32_t used = 0, path[BB_NUM_CARDS + 2];
    new_node(s, &used, -1, -1, 1 - root);
    for (int it = 0; it < s->config.simulations; it++) {
        if (it > 0 && deadline > 0 && now_ms() >= deadline) break;
        bb_game d;
        int model = sample_world(s, g, inferred, rng, &d);
        int depth = 0;
        int32_t node = 0;
        path[depth++] = 0;
        double value;
        for (;;) {
            if (d.done || solve_here(s, &d)) break;
            int expanded;
            int32_t action;
            int32_t child = select_child(s, &used, node, &d, root, model, rng, &expanded, &action);
            bb_game_step_legal(&d, action);
            if (child < 0) break; /* arena full: roll out from here */
            node = child;
            path[depth++] = node;
            if (expanded) break;
        }
        value = evaluate_leaf(s, &d, root, model, rng);
        for (int i = 0; i < depth; i++) {
            bb_search_node *nd = &s->nodes[path[i]];
            nd->visits++;
            nd->value += nd->player == root ? value : -value;
        }
        out->iterations++;
    }
    int best_visits = -1;
    double best_value = -INFINITY;
    for (int32_t c = s->nodes[0].first_child; c >= 0; c = s->nodes[c].next_sibling) {
        const bb_search_node *ch = &s->nodes[c];
        if (ch->visits == 0) continue;
        double mean = ch->value / ch->visits;
        out->visits[ch->action] = ch->visits;
        out->value[ch->action] = mean;
        if (ch->visits > best_visits || (ch->visits == best_visits && mean > best_value)) {
            best_visits = ch->visits;
            best_value = mean;
            out->action = ch->action;
        }
    }
}

/* -------------------------------------------------------------- entry */
#define REQUIRE(ok, name)  \
    do {                    \
        if (!(ok)) {        \
            if (bad) *bad = name; \
            return BB_ERR_PARAM; \
        }                   \
    } while (0)

void bb_search_config_default(bb_search_config *c) {
    bb_search_config d = {
        .algorithm = BB_SEARCH_ISMCTS, .simulations = 1000, .time_limit_ms = 0.0, .exploration = 0.7,
        .use_prior = 0, .prior_temperature = 1.0, .margin_weight = 0.3, .draw_value = 0.0, .endgame_cards = 4,
        .infer_hands = 1, .model_in_tree = 0, .candidates = 256, .model_temperature = 1.0, .model_epsilon = 0.1,
        .unknown_prior = 1.0, .unknown_temperature = 0.0, .value_weight = 0.0, .root_noise = 0.0,
        .root_noise_alpha = 0.3, .reveal = 0,
    };
    *c = d;
}

bb_status bb_search_check(const bb_search *s, const char **bad) {
    const bb_search_config *c = &s->config;
    REQUIRE(c->algorithm == BB_SEARCH_PIMC || c->algorithm == BB_SEARCH_ISMCTS, "algorithm");
    REQUIRE(c->simulations >= 1 && c->simulations <= BB_SEARCH_MAX_SIMULATIONS, "simulations");
    REQUIRE(c->time_limit_ms >= 0.0 && c->time_limit_ms <= 1e7, "time_limit_ms");
    REQUIRE(c->exploration >= 0.0 && c->exploration <= 1e6, "exploration");
    REQUIRE(c->use_prior == 0 || c->use_prior == 1, "use_prior");
    REQUIRE(c->prior_temperature > 0.0 && c->prior_temperature <= 1e6, "prior_temperature");
    REQUIRE(c->margin_weight >= 0.0 && c->margin_weight <= 1.0, "margin_weight");
    REQUIRE(c->draw_value >= -1.0 && c->draw_value <= 1.0, "draw_value");
    REQUIRE(c->endgame_cards >= 0 && c->endgame_cards <= 2 * BB_HAND_MAX, "endgame_cards");
    REQUIRE(c->infer_hands == 0 || c->infer_hands == 1, "infer_hands");
    REQUIRE(c->reveal >= 0 && c->reveal <= 2, "reveal");
    REQUIRE(c->model_in_tree == 0 || c->model_in_tree == 1, "model_in_tree");
    REQUIRE(c->candidates >= 1 && c->candidates <= BB_SEARCH_MAX_CANDIDATES, "candidates");
    REQUIRE(c->model_temperature > 0.0 && c->model_temperature <= 1e6, "model_temperature");
    REQUIRE(c->model_epsilon >= 0.0 && c->model_epsilon <= 1.0, "model_epsilon");
    REQUIRE(s->num_models >= 1 && s->num_models <= BB_SEARCH_MAX_MODELS, "models");
    REQUIRE(s->self_policy.choose && (!c->use_prior || s->self_policy.scores), "rollout");
    double total = 0.0;
    for (int m = 0; m < s->num_models; m++) {
        REQUIRE(s->models[m].choose && ((!c->infer_hands && !c->use_prior) || s->models[m].scores), "models");
        REQUIRE(s->model_prior[m] >= 0.0 && s->model_prior[m] <= 1e6, "model_prior");
        REQUIRE(s->model_reads_hand[m] == 0 || s->model_reads_hand[m] == 1, "models");
        total += s->model_prior[m];
    }
    REQUIRE(c->unknown_prior >= 0.0 && c->unknown_prior <= 1e6, "unknown_prior");
    REQUIRE(c->unknown_temperature >= 0.0 && c->unknown_temperature <= 1e6, "unknown_temperature");
    REQUIRE(c->unknown_temperature == 0.0 || (s->guide.choose && s->guide.scores), "guide");
    REQUIRE(c->value_weight >= 0.0 && c->value_weight <= 1.0, "value_weight");
    REQUIRE(c->root_noise >= 0.0 && c->root_noise <= 1.0, "root_noise");
    REQUIRE(c->root_noise_alpha > 0.0 && c->root_noise_alpha <= 100.0, "root_noise_alpha");
    REQUIRE(!s->guide.choose || !c->use_prior || s->guide.scores, "guide");
    REQUIRE(c->value_weight == 0.0 || (s->guide.choose && s->guide.value), "guide");
    REQUIRE(total + c->unknown_prior > 0.0, "model_prior");
    REQUIRE(!c->infer_hands || s->work, "workspace");
    REQUIRE(c->algorithm != BB_SEARCH_ISMCTS || (s->nodes && s->capacity >= c->simulations + 1), "capacity");
    return BB_OK;
}

bb_status bb_search_run(bb_search *s, const bb_game *g, bb_rng *rng, bb_search_result *out) {
    bb_status st = bb_search_check(s, 0);
    if (st == BB_OK) st = bb_game_check_cards(g, 0);
    if (st != BB_OK) return st;
    double start = now_ms();
    memset(out, 0, sizeof(*out));
    out->action = -1;
    for (int a = 0; a < BB_NUM_ACTIONS; a++) out->value[a] = NAN;
    double prior_total = 0.0;
    for (int m = 0; m < hypotheses(s); m++) prior_total += prior_of(s, m);
    for (int m = 0; m < hypotheses(s); m++) out->model_posterior[m] = prior_of(s, m) / prior_total;
    if (g->done) return BB_OK;
    int32_t legal[BB_NUM_ACTIONS];
    int32_t n = bb_game_legal(g, 0, legal);
    if (n == 1) { /* a forced move needs no search */
        out->action = legal[0];
    } else if (s->config.endgame_cards > 0 && piles_empty(g)) { /* every card is known: solve */
        bb_game exact;
        determinize(g, rng, &exact);
        int32_t best_v = -1000;
        for (int i = 0; i < n; i++) {
            bb_game child = exact;
            bb_game_step_legal(&child, legal[i]);
            int32_t v = -bb_endgame_solve(&child, 1, 0, 0);
            out->visits[legal[i]] = 1;
            out->value[legal[i]] = leaf_value(s, v);
            if (v > best_v) {
                best_v = v;
                out->action = legal[i];
            }
        }
        out->solved = 1;
    } else {
        int inferred = s->config.infer_hands && record_decisions(s, g);
        if (inferred) {
            draw_candidates(s, g, rng);
            const bb_search_workspace *w = s->work;
            double total = 0.0;
            for (int m = 0; m < hypotheses(s); m++) {
                out->model_posterior[m] = 0.0;
                for (int c = 0; c < w->num_candidates; c++)
                    out->model_posterior[m] += prior_of(s, m) * w->candidate_likelihood[c][m];
                total += out->model_posterior[m];
            }
            for (int m = 0; m < hypotheses(s); m++) out->model_posterior[m] /= total;
        }
        double deadline = s->config.time_limit_ms > 0 ? start + s->config.time_limit_ms : 0.0;
        if (s->config.algorithm == BB_SEARCH_PIMC) run_pimc(s, g, inferred, legal, n, deadline, rng, out);
        else run_ismcts(s, g, inferred, deadline, rng, out);
    }
    out->elapsed_ms = now_ms() - start;
    return BB_OK;
}

bb_status bb_search_sample(bb_search *s, const bb_game *g, bb_rng *rng, int32_t count, bb_game *worlds,
                           int32_t *models) {
    bb_status st = bb_search_check(s, 0);
    if (st == BB_OK) st = bb_game_check_cards(g, 0);
    if (st != BB_OK) return st;
    if (g->done) return BB_ERR_DONE;
    int inferred = s->config.infer_hands && record_decisions(s, g);
    if (inferred) draw_candidates(s, g, rng);
    for (int32_t i = 0; i < count; i++) {
        int m = sample_world(s, g, inferred, rng, &worlds[i]);
        if (models) models[i] = m;
    }
    return BB_OK;
}

static int32_t choose_search(void *state, const bb_game *g, bb_rng *rng) {
    bb_search_result r;
    if (bb_search_run((bb_search *)state, g, rng, &r) != BB_OK) return -1;
    return r.action;
}

bb_policy bb_policy_search(bb_search *s) {
    bb_policy p = {s, choose_search, 0, 0};
    return p;
}
