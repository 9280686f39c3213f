/* agents.c -- the scripted one-ply opponents of docs/OPPONENTS.md.
 *
 * Every agent simulates each legal action with bb_game_play_legal (steps 1-4 of
 * the turn: ability, recurring pass, five-animal check) on a copy of the
 * game and scores the result.  That simulation and the scores below read
 * only the queue, the bar, THAT'S IT and the mover's own hand, i.e. what
 * the mover may see.  The mover's own draw is left out: it adds the same
 * constant to every action (docs/OPPONENTS.md 1.0 and 1.2), as does the inert
 * "aggression" offset, so the argmax sets are those of the peer's agents.
 */
#include <math.h>
#include <string.h>

#include "beasty.h"
#include "policy.h"

#define PTS(c) ((double)BB_POINTS[BB_CARD_SPECIES(c)])
#define TIE_EPS 1e-6

void bb_agent_params_default(bb_agent_params *p, int32_t kind) {
    memset(p, 0, sizeof(*p));
    p->kind = kind;
    /* HeuristicConfig / MaterialEvaluator defaults (docs/OPPONENTS.md 1.2) */
    p->bar_weight = 2.0;
    p->queue_front_weight = 1.1;
    p->queue_back_weight = 0.3;
    p->thats_it_weight = -0.5;
    p->hand_weight = 0.1;
    for (int s = 0; s <= BB_NUM_SPECIES; s++) p->species_mult[s] = 1.0;
    /* OutcomeWeights() defaults (docs/OPPONENTS.md 1.5) */
    p->my_bar = 3.0;
    p->opp_bar = -2.0;
    p->my_ti = -2.5;
    p->opp_ti = 2.0;
    p->queue_position = 1.5;
    p->front_bonus = 2.0;
    p->threat_removal = 1.5;
    p->parrot_bonus = 0.4;
    p->monkey_combo = 15.0;
    p->skunk_mult = 0.5;
    p->early_recurring = 0.5;
    p->late_removal = 0.3;
}

/* Zone deltas between the pre-move and post-move states (bar and THAT'S
 * IT only ever grow, so the new entries are the tail). */
typedef struct deltas {
    double my_bar, opp_bar, my_ti, opp_ti;
    int opp_ti_cnt;
} deltas;

static deltas zone_deltas(const bb_game *b, const bb_game *a, int me) {
    deltas d = {0, 0, 0, 0, 0};
    for (int i = b->bar_len; i < a->bar_len; i++) {
        if (BB_CARD_OWNER(a->bar[i]) == me) d.my_bar += PTS(a->bar[i]);
        else d.opp_bar += PTS(a->bar[i]);
    }
    for (int i = b->ti_len; i < a->ti_len; i++) {
        if (BB_CARD_OWNER(a->thats_it[i]) == me) d.my_ti += PTS(a->thats_it[i]);
        else {
            d.opp_ti += PTS(a->thats_it[i]);
            d.opp_ti_cnt++;
        }
    }
    return d;
}

/* MaterialEvaluator M(s, p) (docs/OPPONENTS.md 1.2), on the post-move state. */
static double material(const bb_game *s, int me, const bb_agent_params *w) {
    double v = 0.0;
    for (int i = 0; i < s->bar_len; i++) {
        uint8_t c = s->bar[i];
        double x = w->bar_weight * PTS(c) * w->species_mult[BB_CARD_SPECIES(c)];
        v += BB_CARD_OWNER(c) == me ? x : -x;
    }
    int L = s->queue_len;
    for (int i = 0; i < L; i++) {
        uint8_t c = s->queue[i];
        double f = 1.0 - (double)i / (double)(L > 1 ? L : 1);
        double wi = w->queue_front_weight * f + w->queue_back_weight * (1.0 - f);
        double x = wi * PTS(c) * w->species_mult[BB_CARD_SPECIES(c)];
        v += BB_CARD_OWNER(c) == me ? x : -x;
    }
    for (int i = 0; i < s->ti_len; i++) {
        uint8_t c = s->thats_it[i];
        double x = w->thats_it_weight * PTS(c) * w->species_mult[BB_CARD_SPECIES(c)];
        v += BB_CARD_OWNER(c) == me ? x : -x;
    }
    for (int h = 0; h < s->hand_len[me]; h++) {
        uint8_t c = s->hand[me][h];
        v += w->hand_weight * PTS(c) * w->species_mult[BB_CARD_SPECIES(c)];
    }
    return v;
}

static int count_owned(const bb_game *s, int owner) {
    int n = 0;
    for (int i = 0; i < s->queue_len; i++) n += BB_CARD_OWNER(s->queue[i]) == owner;
    return n;
}

static int first_owned(const bb_game *s, int owner, int species) {
    for (int i = 0; i < s->queue_len; i++)
        if (BB_CARD_OWNER(s->queue[i]) == owner && BB_CARD_SPECIES(s->queue[i]) == species) return i;
    return -1;
}

/* HeuristicAgent SPECIES_ADJ (docs/OPPONENTS.md 1.3), keyed on the card played. */
static double species_adjustment(const bb_game *b, const bb_game *a, const bb_action_info *act, int me) {
    deltas d = zone_deltas(b, a, me);
    int opp = 1 - me;
    switch (act->species) {
    case BB_SKUNK:
        if (d.opp_ti >= 5) return 3.0;
        if (d.opp_ti >= 3) return 1.5;
        if (d.opp_ti == 0 && d.my_ti > 0) return -2.0;
        return 0.0;
    case BB_PARROT:
        if (act->param < 0) return 0.0;
        return (BB_CARD_OWNER(b->queue[act->param]) == opp ? 0.5 : -0.5) * PTS(b->queue[act->param]);
    case BB_LION:
        return (a->queue_len > 0 && BB_CARD_SPECIES(a->queue[0]) == BB_LION && BB_CARD_OWNER(a->queue[0]) == me)
                   ? 2.0
                   : 0.0;
    case BB_MONKEY:
        return (d.opp_ti_cnt > 0 && d.opp_ti >= 4) ? 2.5 : 0.0;
    case BB_SEAL:
        if (d.my_bar > d.opp_bar) return 1.5;
        if (d.opp_bar > d.my_bar) return -1.0;
        return 0.0;
    case BB_SNAKE: {
        if (count_owned(a, me) <= count_owned(b, me)) return 0.0;
        double v = 0.0;
        for (int i = 0; i < 2 && i < a->queue_len; i++)
            if (BB_CARD_OWNER(a->queue[i]) == me) v += 0.5 * PTS(a->queue[i]);
        return v;
    }
    case BB_ZEBRA:
        for (int i = 0; i < a->queue_len; i++) {
            int s = BB_CARD_SPECIES(a->queue[i]);
            if (BB_CARD_OWNER(a->queue[i]) == opp && (s == BB_HIPPO || s == BB_CROCODILE)) return 1.5;
        }
        return -0.5;
    case BB_KANGAROO: {
        int i = first_owned(a, me, BB_KANGAROO);
        return (i >= 0 && i < 2) ? 1.0 : 0.0;
    }
    case BB_GIRAFFE: {
        int i = first_owned(a, me, BB_GIRAFFE);
        return i == 0 ? 1.5 : (i == 1 ? 0.5 : 0.0);
    }
    case BB_CROCODILE:
        return d.opp_ti_cnt > 0 ? 0.3 * d.opp_ti : 0.0;
    case BB_CHAMELEON: /* 0.1 x strength of the copied species (= its id) */
        return 0.1 * (double)act->copy;
    default:
        return 0.0;
    }
}

/* OnlineStrategies REACT (docs/OPPONENTS.md 1.4), on the pre-move queue. */
static double online_reaction(const bb_game *b, const bb_action_info *act, int me) {
    int opp = 1 - me;
    uint32_t seen = bb_game_played_species(b, opp); /* in bar, THAT'S IT, queue */
    switch (act->species) {
    case BB_CROCODILE:
        for (int i = 0; i < b->queue_len; i++)
            if (BB_CARD_SPECIES(b->queue[i]) == BB_CHAMELEON) return 5.0;
        return (seen >> BB_CHAMELEON) & 1 ? 0.0 : -1.0;
    case BB_SKUNK: {
        uint32_t present = 0;
        for (int i = 0; i < b->queue_len; i++)
            if (BB_CARD_SPECIES(b->queue[i]) != BB_SKUNK) present |= 1u << BB_CARD_SPECIES(b->queue[i]);
        if (__builtin_popcount(present) < 2) return -1.5;
        uint32_t top = 0;
        for (int k = 0; k < 2; k++) {
            uint32_t bit = 1u << (31 - __builtin_clz(present));
            top |= bit;
            present &= ~bit;
        }
        double net = 0.0;
        for (int i = 0; i < b->queue_len; i++) {
            uint8_t c = b->queue[i];
            if ((top >> BB_CARD_SPECIES(c)) & 1) net += BB_CARD_OWNER(c) == opp ? PTS(c) : -PTS(c);
        }
        if (net >= 4) return 4.0;
        if (net >= 2) return 2.0;
        if (net <= -2) return -3.0;
        return 0.0;
    }
    case BB_LION:
        if (first_owned(b, opp, BB_LION) >= 0) return -5.0;
        return (seen >> BB_LION) & 1 ? 3.0 : -2.0;
    case BB_PARROT: {
        if (act->param < 0) return 0.0;
        uint8_t t = b->queue[act->param];
        if (BB_CARD_OWNER(t) == opp) return 0.3 * PTS(t) + 2.0 * (1.0 - (double)act->param / b->queue_len);
        return -0.5 * PTS(t);
    }
    default:
        return 0.0;
    }
}

static const double POSITION_WEIGHTS[BB_QUEUE_MAX] = {0.53, 0.37, 0.25, 0.27, 0.10};

static int is_threat(int s) {
    return s == BB_CROCODILE || s == BB_HIPPO || s == BB_LION || s == BB_ZEBRA || s == BB_GIRAFFE;
}
static int is_recurring(int s) { return s == BB_GIRAFFE || s == BB_HIPPO || s == BB_CROCODILE; }

static double queue_value(const bb_game *s, int me) {
    double v = 0.0;
    for (int i = 0; i < s->queue_len; i++) {
        double pw = POSITION_WEIGHTS[i];
        v += BB_CARD_OWNER(s->queue[i]) == me ? PTS(s->queue[i]) * pw : -0.6 * PTS(s->queue[i]) * pw;
    }
    return v;
}

static int count_opp(const bb_game *s, int opp, int (*pred)(int)) {
    int n = 0;
    for (int i = 0; i < s->queue_len; i++) n += BB_CARD_OWNER(s->queue[i]) == opp && pred(BB_CARD_SPECIES(s->queue[i]));
    return n;
}
static int is_hippo_or_croc(int s) { return s == BB_HIPPO || s == BB_CROCODILE; }

/* OutcomeHeuristic SCORE (docs/OPPONENTS.md 1.5). */
static double outcome_score(const bb_game *b, const bb_game *a, const bb_action_info *act, int me,
                            const bb_agent_params *w) {
    int opp = 1 - me;
    deltas d = zone_deltas(b, a, me);
    double v = w->my_bar * d.my_bar + w->opp_bar * d.opp_bar + w->my_ti * d.my_ti + w->opp_ti * d.opp_ti +
               w->queue_position * (queue_value(a, me) - queue_value(b, me));
    int front = 0;
    for (int i = 0; i < 2 && i < a->queue_len; i++) front += BB_CARD_OWNER(a->queue[i]) == me;
    if (front >= 1) v += w->front_bonus;
    int removed = count_opp(b, opp, is_threat) - count_opp(a, opp, is_threat);
    if (removed > 0) v += w->threat_removal * removed;
    int s = act->species;
    if (s == BB_PARROT && act->param >= 0) {
        uint8_t t = b->queue[act->param];
        if (BB_CARD_OWNER(t) == opp)
            v += PTS(t) * w->parrot_bonus + (is_threat(BB_CARD_SPECIES(t)) ? 1.5 : 0.0) +
                 (is_recurring(BB_CARD_SPECIES(t)) ? 1.0 : 0.0) +
                 0.5 * (1.0 - (double)act->param / b->queue_len);
        else
            v += -0.8 * PTS(t);
    } else if (s == BB_SKUNK) {
        v += w->skunk_mult * (d.opp_ti - d.my_ti);
    } else if (s == BB_MONKEY) {
        if (count_opp(a, opp, is_hippo_or_croc) < count_opp(b, opp, is_hippo_or_croc)) v += w->monkey_combo;
        if (first_owned(b, opp, BB_MONKEY) >= 0) v += 0.8 * w->monkey_combo;
    }
    int on_table = b->queue_len + b->bar_len + b->ti_len;
    if (on_table <= 3 && is_recurring(s)) v += w->early_recurring;
    if (on_table >= 8 && (s == BB_PARROT || s == BB_SKUNK || s == BB_CROCODILE)) v += w->late_removal;
    return v;
}

/* a is legal in g (its callers take it from bb_game_legal or bb_game_queue_allows). */
static double score_action(const bb_game *g, const bb_agent_params *w, int32_t a) {
    bb_game after = *g;
    bb_game_play_legal(&after, a);
    const bb_action_info *act = bb_action_get(a);
    int me = g->to_move;
    switch (w->kind) {
    case BB_AGENT_ONLINE: /* its material weights are the defaults unless overridden */
        return material(&after, me, w) + online_reaction(g, act, me);
    case BB_AGENT_OUTCOME:
        return outcome_score(g, &after, act, me, w);
    default:
        return material(&after, me, w) + species_adjustment(g, &after, act, me);
    }
}

int32_t bb_agent_scores(const bb_game *g, const bb_agent_params *p, double *scores) {
    int32_t legal[BB_NUM_ACTIONS];
    int32_t m = bb_game_legal(g, 0, legal);
    for (int a = 0; a < BB_NUM_ACTIONS; a++) scores[a] = NAN;
    for (int i = 0; i < m; i++) scores[legal[i]] = score_action(g, p, legal[i]);
    return m;
}

int32_t bb_agent_choose(const bb_game *g, const bb_agent_params *p, bb_rng *rng) {
    int32_t legal[BB_NUM_ACTIONS];
    double v[BB_NUM_ACTIONS];
    int32_t m = bb_game_legal(g, 0, legal);
    if (m == 0) return -1;
    if (m == 1) return legal[0]; /* no RNG draw, as the peer */
    double top = -INFINITY;
    for (int i = 0; i < m; i++) {
        v[i] = score_action(g, p, legal[i]);
        if (p->noise_epsilon > 0.0) v[i] += p->noise_epsilon * bb_rng_normal(rng);
        if (v[i] > top) top = v[i];
    }
    int32_t ties[BB_NUM_ACTIONS];
    int nt = 0;
    for (int i = 0; i < m; i++)
        if (fabs(v[i] - top) < TIE_EPS) ties[nt++] = legal[i];
    return nt == 1 ? ties[0] : ties[bb_rng_bounded(rng, (uint32_t)nt)];
}

/* The hand enters a score only through the MaterialEvaluator's hand term
 * (hand_weight x points x multiplier over the cards left in hand), so the
 * score with hand {card} minus that card's own term equals the score with
 * any hand H holding it, less the constant term of H. */
void bb_agent_scores_any_hand(const bb_game *g, const bb_agent_params *p, uint32_t species_mask,
                              double *scores) {
    for (int a = 0; a < BB_NUM_ACTIONS; a++) scores[a] = NAN;
    if (g->done) return;
    int me = g->to_move;
    bb_game one = *g;
    for (int s = 1; s <= BB_NUM_SPECIES; s++) {
        if (!((species_mask >> s) & 1)) continue;
        memset(one.hand[me], 0, BB_HAND_MAX);
        one.hand[me][0] = BB_CARD(me, s);
        one.hand_len[me] = 1;
        double own_term = p->kind == BB_AGENT_OUTCOME
                              ? 0.0
                              : p->hand_weight * BB_POINTS[s] * p->species_mult[s];
        int32_t first = bb_species_first_action(s);
        for (int32_t a = first; a < first + bb_species_num_actions(s); a++)
            if (bb_game_queue_allows(&one, a)) scores[a] = score_action(&one, p, a) - own_term;
    }
}

/* ------------------------------------------------------------ policies */
static int32_t choose_scripted(void *state, const bb_game *g, bb_rng *rng) {
    return bb_agent_choose(g, (const bb_agent_params *)state, rng);
}

static void scores_scripted(const void *state, const bb_game *g, uint32_t species_mask, double *scores) {
    bb_agent_scores_any_hand(g, (const bb_agent_params *)state, species_mask, scores);
}

bb_policy bb_policy_scripted(const bb_agent_params *params) {
    bb_policy p = {(void *)params, choose_scripted, scores_scripted, 0};
    return p;
}
