/* rules.c -- Beasty Bar rules: deal, legal actions, the five-step turn.
 *
 * Source: docs/RULES.md (section numbers below refer to it).  Turn
 * (section 1.2): 1 play at the back, 2 on-play action, 3 recurring actions
 * front to back (the card played this turn is skipped, A3/A4), 4 the
 * five-animal check, 5 draw.  Per-animal rulings are in section 2; the
 * chameleon acts with the imitated species' strength and identity for its
 * one action only (A5-A10).
 */
#include <stddef.h>
#include <string.h>

#include "beasty.h"

#define FLAG 0x80u /* marks "already acted / played this turn" in step 3 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LITTLE_ENDIAN32(w) __builtin_bswap32(w)
#define LITTLE_ENDIAN64(w) __builtin_bswap64(w)
#else
#define LITTLE_ENDIAN32(w) (w)
#define LITTLE_ENDIAN64(w) (w)
#endif
/* BYTE_TABLE(F): the initialiser {F(0), F(1), ..., F(255)} of a table with
 * one entry per byte value, computed by the compiler. */
#define BYTE_TABLE4(F, v) F(v), F((v) + 1), F((v) + 2), F((v) + 3)
#define BYTE_TABLE16(F, v) BYTE_TABLE4(F, v), BYTE_TABLE4(F, (v) + 4), BYTE_TABLE4(F, (v) + 8), BYTE_TABLE4(F, (v) + 12)
#define BYTE_TABLE64(F, v) \
    BYTE_TABLE16(F, v), BYTE_TABLE16(F, (v) + 16), BYTE_TABLE16(F, (v) + 32), BYTE_TABLE16(F, (v) + 48)
#define BYTE_TABLE(F) {BYTE_TABLE64(F, 0), BYTE_TABLE64(F, 64), BYTE_TABLE64(F, 128), BYTE_TABLE64(F, 192)}

/* The action table documented in beasty.h: {species, copy, param}. */
static const bb_action_info ACTIONS[BB_NUM_ACTIONS] = {
    {BB_SKUNK, 0, BB_NO_PARAM},
    {BB_PARROT, 0, BB_NO_PARAM}, {BB_PARROT, 0, 0}, {BB_PARROT, 0, 1}, {BB_PARROT, 0, 2}, {BB_PARROT, 0, 3},
    {BB_KANGAROO, 0, BB_NO_PARAM}, {BB_KANGAROO, 0, 1}, {BB_KANGAROO, 0, 2},
    {BB_MONKEY, 0, BB_NO_PARAM},
    {BB_CHAMELEON, 0, BB_NO_PARAM},
    {BB_CHAMELEON, BB_SKUNK, BB_NO_PARAM},
    {BB_CHAMELEON, BB_PARROT, 0}, {BB_CHAMELEON, BB_PARROT, 1}, {BB_CHAMELEON, BB_PARROT, 2}, {BB_CHAMELEON, BB_PARROT, 3},
    {BB_CHAMELEON, BB_KANGAROO, 1}, {BB_CHAMELEON, BB_KANGAROO, 2},
    {BB_CHAMELEON, BB_MONKEY, BB_NO_PARAM}, {BB_CHAMELEON, BB_SEAL, BB_NO_PARAM},
    {BB_CHAMELEON, BB_ZEBRA, BB_NO_PARAM}, {BB_CHAMELEON, BB_GIRAFFE, BB_NO_PARAM},
    {BB_CHAMELEON, BB_SNAKE, BB_NO_PARAM}, {BB_CHAMELEON, BB_CROCODILE, BB_NO_PARAM},
    {BB_CHAMELEON, BB_HIPPO, BB_NO_PARAM}, {BB_CHAMELEON, BB_LION, BB_NO_PARAM},
    {BB_SEAL, 0, BB_NO_PARAM}, {BB_ZEBRA, 0, BB_NO_PARAM}, {BB_GIRAFFE, 0, BB_NO_PARAM},
    {BB_SNAKE, 0, BB_NO_PARAM}, {BB_CROCODILE, 0, BB_NO_PARAM}, {BB_HIPPO, 0, BB_NO_PARAM},
    {BB_LION, 0, BB_NO_PARAM},
};
static const int8_t FIRST[BB_NUM_SPECIES + 1] = {0, 0, 1, 6, 9, 10, 26, 27, 28, 29, 30, 31, 32};
static const int8_t COUNT[BB_NUM_SPECIES + 1] = {0, 1, 5, 3, 1, 16, 1, 1, 1, 1, 1, 1, 1};

const bb_action_info *bb_action_get(int32_t a) {
    return (a >= 0 && a < BB_NUM_ACTIONS) ? &ACTIONS[a] : 0;
}
int32_t bb_species_first_action(int32_t s) { return (s >= 1 && s <= BB_NUM_SPECIES) ? FIRST[s] : -1; }
int32_t bb_species_num_actions(int32_t s) { return (s >= 1 && s <= BB_NUM_SPECIES) ? COUNT[s] : 0; }
int32_t bb_species_points(int32_t s) { return (s >= 0 && s <= BB_NUM_SPECIES) ? BB_POINTS[s] : 0; }

/* ------------------------------------------------------------- deal */
void bb_game_deal(bb_game *g) {
    bb_rng rng = g->rng;
    uint8_t early_stop = g->early_stop;
    memset(g, 0, sizeof(*g));
    for (int p = 0; p < BB_NUM_PLAYERS; p++) {
        uint8_t cards[BB_CARDS_PER_PLAYER];
        for (int s = 0; s < BB_CARDS_PER_PLAYER; s++) cards[s] = BB_CARD(p, s + 1);
        for (int i = BB_CARDS_PER_PLAYER - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)bb_rng_bounded(&rng, (uint32_t)(i + 1));
            uint8_t t = cards[i];
            cards[i] = cards[j];
            cards[j] = t;
        }
        memcpy(g->hand[p], cards, BB_HAND_MAX);
        memcpy(g->deck[p], cards + BB_HAND_MAX, BB_DECK_MAX);
        g->hand_len[p] = BB_HAND_MAX;
    }
    g->start_player = (uint8_t)bb_rng_bounded(&rng, 2);
    g->to_move = g->start_player;
    g->early_stop = early_stop;
    g->rng = rng;
}

void bb_game_reset(bb_game *g, uint64_t seed, int early_stop) {
    bb_rng_seed(&g->rng, seed);
    g->early_stop = (uint8_t)(early_stop != 0);
    bb_game_deal(g);
}

/* ------------------------------------------------------------ legal */
/* Bits from `first` on for the parrot targets 0..q-1 and the kangaroo hops
 * 1..min(2, q), for a queue of q animals. */
#define TARGETS(first, q) (((1ull << (q)) - 1) << (first))
#define HOPS(first, q) ((q) >= 2 ? 3ull << (first) : (q) == 1 ? 1ull << (first) : 0)
#define ONE(a) (1ull << (a))
#define SAME(a) {ONE(a), ONE(a), ONE(a), ONE(a), ONE(a)}
#define BY_LENGTH(F, first) {F(first, 0), F(first, 1), F(first, 2), F(first, 3), F(first, 4)}

/* The actions the queue allows a species' card, by queue length 0..4 (A11,
 * A12): a parrot must take a target when there is one, a kangaroo must hop
 * when it can.  Indices as in ACTIONS; the chameleon's row is its action
 * with nothing to imitate (see chameleon_actions).  A table lookup instead
 * of a branch per card: the species in a hand are unpredictable. */
static const uint64_t ALLOWED[BB_NUM_SPECIES + 1][BB_QUEUE_MAX] = {
    {0, 0, 0, 0, 0},
    SAME(0),                                                                             /* skunk */
    {ONE(1), TARGETS(2, 1), TARGETS(2, 2), TARGETS(2, 3), TARGETS(2, 4)},                /* parrot */
    {ONE(6), HOPS(7, 1), HOPS(7, 2), HOPS(7, 3), HOPS(7, 4)},                            /* kangaroo */
    SAME(9), SAME(10), SAME(26), SAME(27), SAME(28), SAME(29), SAME(30), SAME(31), SAME(32),
};

/* The chameleon's actions imitating a species in the queue, by queue length
 * 0..4 (A5: the imitated species' parameters; indices as in ACTIONS).  The
 * rows of an empty cell and of the chameleon, never imitated, are empty. */
static const uint64_t IMITATE[BB_NUM_SPECIES + 1][BB_QUEUE_MAX] = {
    {0, 0, 0, 0, 0},
    SAME(11),                                                                        /* skunk */
    BY_LENGTH(TARGETS, 12),                                                          /* parrot */
    BY_LENGTH(HOPS, 16),                                                             /* kangaroo */
    SAME(18),                                                                        /* monkey */
    {0, 0, 0, 0, 0},                                                                 /* chameleon */
    SAME(19), SAME(20), SAME(21), SAME(22), SAME(23), SAME(24), SAME(25),
};

/* A chameleon imitates an animal in the queue other than a chameleon; with
 * none it does nothing.  All five cells are read (past the queue they are
 * 0, an empty row): no loop over the species present, whose count varies. */
static uint64_t chameleon_actions(const bb_game *g) {
    uint64_t bits = 0;
    for (int i = 0; i < BB_QUEUE_MAX; i++) bits |= IMITATE[BB_CARD_SPECIES(g->queue[i])][g->queue_len];
    return bits ? bits : ONE(FIRST[BB_CHAMELEON]);
}

static uint64_t legal_bits(const bb_game *g) {
    if (g->done || g->queue_len >= BB_QUEUE_MAX) return 0; /* a full queue exists only inside a turn */
    uint64_t bits = 0;
    int p = g->to_move, chameleon = 0;
    for (int h = 0; h < BB_HAND_MAX; h++) { /* empty cells are 0, whose ALLOWED row is empty */
        int s = BB_CARD_SPECIES(g->hand[p][h]);
        bits |= ALLOWED[s][g->queue_len];
        chameleon |= s == BB_CHAMELEON;
    }
    if (chameleon) /* only the chameleon's actions depend on the species in the queue */
        bits = (bits & ~ONE(FIRST[BB_CHAMELEON])) | chameleon_actions(g);
    return bits;
}

/* mask[a] = bit a of `bits`, eight bytes at a time: byte i of the product
 * holds bit i of the octet (the multiply-and-carry trick of "Hacker's
 * Delight"), stored little-endian. */
static void write_mask(uint64_t bits, uint8_t *mask) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    int a = 0;
    for (; a + 8 <= BB_NUM_ACTIONS; a += 8) {
        uint64_t octet = (bits >> a) & 0xFF;
        uint64_t bytes = (((octet * 0x0101010101010101ull) & 0x8040201008040201ull) + 0x7F7F7F7F7F7F7F7Full) >> 7;
        bytes &= 0x0101010101010101ull;
        memcpy(mask + a, &bytes, 8);
    }
    for (; a < BB_NUM_ACTIONS; a++) mask[a] = (uint8_t)((bits >> a) & 1);
#else
    for (int a = 0; a < BB_NUM_ACTIONS; a++) mask[a] = (uint8_t)((bits >> a) & 1);
#endif
}

int32_t bb_game_legal(const bb_game *g, uint8_t *mask, int32_t *out) {
    uint64_t bits = legal_bits(g);
    if (mask) write_mask(bits, mask);
    if (!out) return __builtin_popcountll(bits);
    int32_t n = 0;
    while (bits) {
        int a = __builtin_ctzll(bits);
        bits &= bits - 1;
        out[n++] = a;
    }
    return n;
}

/* A hand is handled as one little-endian word, cell h in byte h: a few
 * word operations instead of loops whose exits no branch predictor guesses
 * (random hands make them unpredictable). */
_Static_assert(BB_HAND_MAX == 4, "a hand is one 32-bit word");
static uint32_t hand_word(const bb_game *g, int p) {
    uint32_t w;
    memcpy(&w, g->hand[p], BB_HAND_MAX);
    return LITTLE_ENDIAN32(w);
}

static void set_hand_word(bb_game *g, int p, uint32_t w) {
    w = LITTLE_ENDIAN32(w);
    memcpy(g->hand[p], &w, BB_HAND_MAX);
}

/* Index of `species` in player p's hand, -1 if absent: the first zero byte
 * of (cells ^ species), "Hacker's Delight" 6-1; the lowest flag it raises
 * is exact.  Empty cells are 0, never a species. */
static int hand_index(const bb_game *g, int p, int species) {
    uint32_t diff = (hand_word(g, p) & 0x0F0F0F0Fu) ^ (0x01010101u * (uint32_t)species);
    uint32_t zero = (diff - 0x01010101u) & ~diff & 0x80808080u;
    return zero ? __builtin_ctz(zero) >> 3 : -1;
}

int bb_game_queue_allows(const bb_game *g, int32_t a) {
    if (g->done || a < 0 || a >= BB_NUM_ACTIONS || g->queue_len >= BB_QUEUE_MAX) return 0;
    int s = ACTIONS[a].species;
    uint64_t bits = s == BB_CHAMELEON ? chameleon_actions(g) : ALLOWED[s][g->queue_len];
    return (int)((bits >> a) & 1);
}

int bb_game_is_legal(const bb_game *g, int32_t a) {
    return bb_game_queue_allows(g, a) && hand_index(g, g->to_move, ACTIONS[a].species) >= 0;
}

/* ------------------------------------------------------ queue helpers */
static void to_thats_it(bb_game *g, uint8_t c) { g->thats_it[g->ti_len++] = (uint8_t)(c & ~FLAG); }

static void queue_remove(bb_game *g, int i) {
    for (; i + 1 < g->queue_len; i++) g->queue[i] = g->queue[i + 1]; /* at most 4 cells: no memmove call */
    g->queue[--g->queue_len] = 0;
}

/* Moves queue[from] to position `to` (to <= from); the animals between
 * shift back by one and keep their order. */
static void queue_move_forward(bb_game *g, int from, int to) {
    uint8_t c = g->queue[from];
    for (int i = from; i > to; i--) g->queue[i] = g->queue[i - 1];
    g->queue[to] = c;
}

/* Removes to THAT'S IT, front to back, every animal other than the one at
 * `keep` whose species bit is in `species_mask`; returns keep's new index. */
static int expel_species(bb_game *g, uint32_t species_mask, int keep) {
    int w = 0, new_keep = keep;
    for (int i = 0; i < g->queue_len; i++) {
        uint8_t c = g->queue[i];
        if (i != keep && (species_mask >> BB_CARD_SPECIES(c)) & 1) {
            to_thats_it(g, c);
        } else {
            if (i == keep) new_keep = w;
            g->queue[w++] = c;
        }
    }
    for (int i = w; i < g->queue_len; i++) g->queue[i] = 0;
    g->queue_len = (uint8_t)w;
    return new_keep;
}

/* ----------------------------------------------------------- animals
 * act(): the action of the animal at `pos`, with the strength and identity
 * of species `s` (its own, or the one a chameleon imitates). */
static void act(bb_game *g, int pos, int s, int param) {
    uint8_t *q = g->queue;
    switch (s) {
    case BB_LION: /* 2 Lion: a second lion bounces; else monkeys out, lion to the front */
        for (int i = 0; i < g->queue_len; i++) {
            if (i != pos && BB_CARD_SPECIES(q[i]) == BB_LION) {
                to_thats_it(g, q[pos]);
                queue_remove(g, pos);
                return;
            }
        }
        pos = expel_species(g, 1u << BB_MONKEY, pos);
        queue_move_forward(g, pos, 0);
        return;
    case BB_HIPPO: /* passes weaker animals; stops at hippo, lion, zebra */
        while (pos > 0 && BB_CARD_SPECIES(q[pos - 1]) != BB_ZEBRA && BB_CARD_SPECIES(q[pos - 1]) < BB_HIPPO) {
            uint8_t t = q[pos - 1];
            q[pos - 1] = q[pos];
            q[pos] = t;
            pos--;
        }
        return;
    case BB_CROCODILE: /* eats weaker animals ahead one by one; zebra/>=10 stop it */
        while (pos > 0 && BB_CARD_SPECIES(q[pos - 1]) != BB_ZEBRA && BB_CARD_SPECIES(q[pos - 1]) < BB_CROCODILE) {
            to_thats_it(g, q[pos - 1]);
            queue_remove(g, pos - 1);
            pos--;
        }
        return;
    case BB_SNAKE: { /* stable sort, strongest first; the actor counts as 9 (A13) */
        int key[BB_QUEUE_MAX];
        for (int i = 0; i < g->queue_len; i++) key[i] = (i == pos) ? BB_SNAKE : BB_CARD_SPECIES(q[i]);
        for (int i = 1; i < g->queue_len; i++) { /* insertion sort is stable */
            uint8_t c = q[i];
            int k = key[i], j = i - 1;
            while (j >= 0 && key[j] < k) {
                q[j + 1] = q[j];
                key[j + 1] = key[j];
                j--;
            }
            q[j + 1] = c;
            key[j + 1] = k;
        }
        return;
    }
    case BB_GIRAFFE: /* one swap with a strictly weaker animal directly ahead (A14) */
        if (pos > 0 && BB_CARD_SPECIES(q[pos - 1]) < BB_GIRAFFE) {
            uint8_t t = q[pos - 1];
            q[pos - 1] = q[pos];
            q[pos] = t;
        }
        return;
    case BB_ZEBRA: /* no on-play action; its blocking lives in hippo/crocodile */
        return;
    case BB_SEAL: /* gate and exclusion card swap: the queue reverses */
        for (int i = 0, j = g->queue_len - 1; i < j; i++, j--) {
            uint8_t t = q[i];
            q[i] = q[j];
            q[j] = t;
        }
        return;
    case BB_MONKEY: { /* a gang of >= 2 expels hippos and crocodiles */
        int n_monkeys = 1;
        for (int i = 0; i < g->queue_len; i++)
            if (i != pos && BB_CARD_SPECIES(q[i]) == BB_MONKEY) n_monkeys++;
        if (n_monkeys < 2) return;
        pos = expel_species(g, (1u << BB_HIPPO) | (1u << BB_CROCODILE), pos);
        uint8_t actor = q[pos], monkeys[BB_QUEUE_MAX], rest[BB_QUEUE_MAX];
        int nm = 0, nr = 0;
        for (int i = 0; i < g->queue_len; i++) {
            if (i == pos) continue;
            if (BB_CARD_SPECIES(q[i]) == BB_MONKEY) monkeys[nm++] = q[i];
            else rest[nr++] = q[i];
        }
        int w = 0;
        q[w++] = actor;
        for (int i = nm - 1; i >= 0; i--) q[w++] = monkeys[i]; /* reverse order */
        for (int i = 0; i < nr; i++) q[w++] = rest[i];
        return;
    }
    case BB_KANGAROO: /* jumps `param` (1 or 2) animals, whatever their strength */
        if (param > 0 && pos - param >= 0) queue_move_forward(g, pos, pos - param);
        return;
    case BB_PARROT: /* expels the chosen animal (pre-move index) */
        if (param >= 0 && param < g->queue_len && param != pos) {
            to_thats_it(g, q[param]);
            queue_remove(g, param);
        }
        return;
    case BB_SKUNK: { /* expels the two strongest distinct non-skunk strengths */
        uint32_t present = 0;
        for (int i = 0; i < g->queue_len; i++)
            if (i != pos && BB_CARD_SPECIES(q[i]) != BB_SKUNK) present |= 1u << BB_CARD_SPECIES(q[i]);
        uint32_t victims = 0;
        for (int k = 0; k < 2 && present; k++) {
            uint32_t top = 1u << (31 - __builtin_clz(present));
            victims |= top;
            present &= ~top;
        }
        expel_species(g, victims, pos);
        return;
    }
    default: /* BB_CHAMELEON copying nothing */
        return;
    }
}

/* Step 3: the recurring animals at the start of the step act once each,
 * front to back; the card played this turn carries FLAG and is skipped.
 * The waiting animals are found once: a recurring animal moves only itself
 * forward and removes only animals ahead of it, so those still waiting
 * (all behind it) keep their order and move forward by the number removed,
 * and the front-most of them is always the next to act (A4). */
#define RECURRING (1u << BB_HIPPO | 1u << BB_CROCODILE | 1u << BB_GIRAFFE)
#define WAITS(c) (uint8_t)(!((c) & FLAG) && (RECURRING >> ((c) & 15) & 1))
/* WAITING[c]: 1 for a cell c that holds a recurring animal not played this turn. */
static const uint8_t WAITING[256] = BYTE_TABLE(WAITS);

static void recurring_pass(bb_game *g) {
    uint32_t waiting = 0; /* bit i: queue[i] is recurring and has not acted */
    for (int i = 0; i < BB_QUEUE_MAX; i++) { /* cells past the queue are 0: no species */
        uint8_t c = g->queue[i];
        waiting |= (uint32_t)WAITING[c] << i;
        g->queue[i] = (uint8_t)(c & ~FLAG);
    }
    while (waiting) {
        int found = __builtin_ctz(waiting), before = g->queue_len;
        act(g, found, BB_CARD_SPECIES(g->queue[found]), BB_NO_PARAM);
        waiting = (waiting & ~((2u << found) - 1)) >> (before - g->queue_len);
    }
}

void bb_game_play_legal(bb_game *g, int32_t a) {
    const bb_action_info *info = &ACTIONS[a];
    int p = g->to_move;
    int h = hand_index(g, p, info->species);
    uint8_t card = g->hand[p][h];
    /* 1. play: leave the hand (later cards shift left), join the back */
    uint32_t hand = hand_word(g, p), below = (1u << (8 * h)) - 1;
    set_hand_word(g, p, (hand & below) | ((hand >> 8) & ~below));
    g->hand_len[p]--;
    int pos = g->queue_len++;
    g->queue[pos] = (uint8_t)(card | FLAG);
    /* 2. on-play action (a chameleon uses the imitated species) */
    act(g, pos, info->copy ? info->copy : info->species, info->param);
    /* 3. recurring actions */
    recurring_pass(g);
    /* 4. five-animal check */
    if (g->queue_len == BB_QUEUE_MAX) {
        g->bar[g->bar_len++] = g->queue[0];
        g->bar[g->bar_len++] = g->queue[1];
        g->thats_it[g->ti_len++] = g->queue[4];
        g->queue[0] = g->queue[2];
        g->queue[1] = g->queue[3];
        g->queue[2] = g->queue[3] = g->queue[4] = 0;
        g->queue_len = 2;
    }
}

static bb_status check_play(const bb_game *g, int32_t a) {
    if (g->done) return BB_ERR_DONE;
    if (g->queue_len >= BB_QUEUE_MAX) return BB_ERR_STATE;
    if (!bb_game_is_legal(g, a)) return BB_ERR_ILLEGAL;
    return BB_OK;
}

bb_status bb_game_play(bb_game *g, int32_t a) {
    bb_status st = check_play(g, a);
    if (st == BB_OK) bb_game_play_legal(g, a);
    return st;
}

void bb_game_step_legal(bb_game *g, int32_t a) {
    bb_game_play_legal(g, a);
    int p = g->to_move;
    if (g->history_len == g->turn) g->history[g->history_len++] = (uint8_t)a;
    /* 5. draw */
    if (g->deck_pos[p] < BB_DECK_MAX) g->hand[p][g->hand_len[p]++] = g->deck[p][g->deck_pos[p]++];
    g->turn++;
    g->to_move = (uint8_t)(1 - p);
    g->done = (uint8_t)bb_game_is_terminal(g);
}

bb_status bb_game_step(bb_game *g, int32_t a) {
    bb_status st = check_play(g, a);
    if (st == BB_OK) bb_game_step_legal(g, a);
    return st;
}

/* -------------------------------------------------------- end, score */
int bb_game_is_terminal(const bb_game *g) {
    int in_hands = g->hand_len[0] + g->hand_len[1];
    if (g->early_stop) {
        int left = g->queue_len + in_hands + (BB_DECK_MAX - g->deck_pos[0]) + (BB_DECK_MAX - g->deck_pos[1]);
        if (left < BB_QUEUE_MAX) return 1;
    }
    return in_hands == 0 && g->deck_pos[0] == BB_DECK_MAX && g->deck_pos[1] == BB_DECK_MAX;
}

uint32_t bb_game_played_species(const bb_game *g, int32_t owner) {
    uint32_t m = 0;
    for (int i = 0; i < g->queue_len; i++)
        if (BB_CARD_OWNER(g->queue[i]) == owner) m |= 1u << BB_CARD_SPECIES(g->queue[i]);
    for (int i = 0; i < g->bar_len; i++)
        if (BB_CARD_OWNER(g->bar[i]) == owner) m |= 1u << BB_CARD_SPECIES(g->bar[i]);
    for (int i = 0; i < g->ti_len; i++)
        if (BB_CARD_OWNER(g->thats_it[i]) == owner) m |= 1u << BB_CARD_SPECIES(g->thats_it[i]);
    return m;
}

void bb_game_scores(const bb_game *g, int32_t scores[2]) {
    int32_t total = 0, second = 0; /* one pass, no branch on the owner */
    for (int i = 0; i < g->bar_len; i++) {
        int32_t points = BB_POINTS[BB_CARD_SPECIES(g->bar[i])];
        total += points;
        second += BB_CARD_OWNER(g->bar[i]) * points;
    }
    scores[0] = total - second;
    scores[1] = second;
}

int32_t bb_game_score(const bb_game *g, int32_t p) {
    int32_t scores[2];
    bb_game_scores(g, scores);
    return p == 0 || p == 1 ? scores[p] : 0;
}

int32_t bb_game_winner(const bb_game *g) {
    if (!g->done) return -2;
    int32_t s[2];
    bb_game_scores(g, s);
    return s[0] > s[1] ? 0 : (s[1] > s[0] ? 1 : -1);
}

/* ---------------------------------------------------------- infoset */
static uint64_t mix64(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 29);
}

/* The information set is folded word by word: a zone's words are gathered
 * first and mixed in one loop, and the own cards' species are read as whole
 * words through a table, so the number of words and cards, which differs
 * from game to game, costs one guessed loop exit instead of five. */
_Static_assert(BB_NUM_CARDS % 8 == 0, "a zone is whole words");
#define ZONE_WORDS (BB_NUM_CARDS / 8)

/* Appends a zone of n cards to words[*count..] as little-endian words of 8
 * cells: all of the zone's words are copied and the count grows by those
 * that hold cards (cells past n are 0, so the last needs no mask). */
static void gather_zone(uint64_t *words, int *count, const uint8_t *cells, int n) {
    for (int i = 0; i < ZONE_WORDS; i++) {
        uint64_t w;
        memcpy(&w, cells + 8 * i, 8);
        words[*count + i] = LITTLE_ENDIAN64(w);
    }
    *count += (n + 7) / 8;
}

/* SPECIES_PAIR[a | b << 4] = bit a | bit b, less bit 0 (an empty cell). */
#define PAIR(v) (uint16_t)(((1u << ((v) & 15)) | (1u << ((v) >> 4))) & ~1u)
static const uint16_t SPECIES_PAIR[256] = BYTE_TABLE(PAIR);

/* Bit BB_CARD_SPECIES(c) for every card c among the 8 cells of a little-endian word
 * (empty cells 0): the species of cells 2i and 2i+1 meet in byte 2i, and
 * each such byte is one table read. */
static uint64_t species_set(uint64_t cells) {
    uint64_t species = cells & 0x0F0F0F0F0F0F0F0Full;
    uint64_t pairs = species | species >> 4;
    return SPECIES_PAIR[pairs & 0xFF] | SPECIES_PAIR[pairs >> 16 & 0xFF] | SPECIES_PAIR[pairs >> 32 & 0xFF] |
           SPECIES_PAIR[pairs >> 48 & 0xFF];
}

uint64_t bb_game_infoset_hash(const bb_game *g) {
    int me = g->to_move;
    /* own hand and pile as sets (the pile's order is hidden); the pile's
     * cells below deck_pos, already drawn, are masked out */
    _Static_assert(BB_DECK_MAX == 8, "a pile is one word");
    uint64_t pile;
    memcpy(&pile, g->deck[me], BB_DECK_MAX);
    int drawn_bits = 4 * g->deck_pos[me]; /* shifted twice: one shift by 64 is undefined */
    pile = LITTLE_ENDIAN64(pile) & ((~0ull << drawn_bits) << drawn_bits);
    uint64_t own = species_set(hand_word(g, me)) | species_set(pile) << 16;
    uint64_t counts = (uint64_t)g->hand_len[0] | (uint64_t)g->hand_len[1] << 8 | (uint64_t)g->deck_pos[0] << 16 |
                      (uint64_t)g->deck_pos[1] << 24 | (uint64_t)g->turn << 32 | (uint64_t)me << 40 |
                      (uint64_t)g->start_player << 41 | (uint64_t)g->early_stop << 42 |
                      (uint64_t)g->done << 43 | (uint64_t)g->history_len << 48;
    uint64_t h = mix64(mix64(own, counts), (uint64_t)g->queue_len << 16 | g->bar_len << 8 | g->ti_len);
    /* The queue's 5 cells as a little-endian word, zero-padded: 8 bytes of
     * the game read at once and masked (copying 5 into a zeroed local
     * defeats store-to-load forwarding and stalls the hash chain). */
    uint64_t queue;
    _Static_assert(offsetof(bb_game, queue) + 8 <= sizeof(bb_game), "the queue's word lies inside the game");
    memcpy(&queue, (const unsigned char *)g + offsetof(bb_game, queue), 8);
    h = mix64(h, LITTLE_ENDIAN64(queue) & (~0ull >> (64 - 8 * BB_QUEUE_MAX)));
    uint64_t words[3 * ZONE_WORDS];
    int count = 0;
    gather_zone(words, &count, g->bar, g->bar_len);
    gather_zone(words, &count, g->thats_it, g->ti_len);
    gather_zone(words, &count, g->history, g->history_len);
    for (int i = 0; i < count; i++) h = mix64(h, words[i]);
    return h;
}

static int valid_cards(const uint8_t *cards, int n, int cap) {
    if (n < 0 || n > cap) return 0;
    for (int i = 0; i < n; i++) {
        uint8_t c = cards[i];
        if ((c & 0xE0) || BB_CARD_SPECIES(c) < 1 || BB_CARD_SPECIES(c) > BB_NUM_SPECIES) return 0;
    }
    for (int i = n; i < cap; i++)
        if (cards[i] != 0) return 0;
    return 1;
}

#define REFUSE(reason)            \
    do {                          \
        if (why) *why = (reason); \
        return BB_ERR_STATE;      \
    } while (0)

bb_status bb_game_check_cards(const bb_game *g, const char **why) {
    if (bb_game_validate(g, 0) != BB_OK) REFUSE("zone sizes, card codes or flags are inconsistent");
    uint32_t seen[BB_NUM_PLAYERS] = {0, 0};
    const uint8_t *zones[3] = {g->queue, g->bar, g->thats_it};
    int lens[3] = {g->queue_len, g->bar_len, g->ti_len};
    for (int z = 0; z < 3; z++)
        for (int i = 0; i < lens[z]; i++) {
            uint8_t c = zones[z][i];
            if (seen[BB_CARD_OWNER(c)] >> BB_CARD_SPECIES(c) & 1) REFUSE("a player's animal appears twice");
            seen[BB_CARD_OWNER(c)] |= 1u << BB_CARD_SPECIES(c);
        }
    int left[BB_NUM_PLAYERS];
    for (int p = 0; p < BB_NUM_PLAYERS; p++) {
        int pile = BB_DECK_MAX - g->deck_pos[p];
        for (int i = 0; i < g->hand_len[p] + pile; i++) {
            uint8_t c = i < g->hand_len[p] ? g->hand[p][i] : g->deck[p][g->deck_pos[p] + i - g->hand_len[p]];
            if (BB_CARD_OWNER(c) != p) REFUSE("a hand or pile holds the other player's card");
            if (seen[p] >> BB_CARD_SPECIES(c) & 1) REFUSE("a player's animal appears twice");
            seen[p] |= 1u << BB_CARD_SPECIES(c);
        }
        if (seen[p] != BB_ALL_SPECIES)
            REFUSE("each player's 12 animals must appear exactly once (queue, bar, THAT'S IT, hand or pile)");
        if (pile > 0 && g->hand_len[p] != BB_HAND_MAX) REFUSE("a hand must hold 4 cards while its pile lasts");
        left[p] = g->hand_len[p] + pile;
    }
    int mover = left[g->to_move], other = left[g->to_move ^ 1];
    if (!g->done && mover != other && mover != other + 1)
        REFUSE("the player to move must hold as many cards as the opponent or one more");
    return BB_OK;
}

/* A state reachable by play: the cards' accounting (above), one card
 * played per turn, alternately from start_player. */
static bb_status check_conservation(const bb_game *g) {
    if (bb_game_check_cards(g, 0) != BB_OK) return BB_ERR_STATE;
    int played[BB_NUM_PLAYERS] = {0, 0};
    const uint8_t *zones[3] = {g->queue, g->bar, g->thats_it};
    int lens[3] = {g->queue_len, g->bar_len, g->ti_len};
    for (int z = 0; z < 3; z++)
        for (int i = 0; i < lens[z]; i++) played[BB_CARD_OWNER(zones[z][i])]++;
    int turn = g->queue_len + g->bar_len + g->ti_len, first = g->start_player;
    if (g->turn != turn || played[first] != (turn + 1) / 2 || played[first ^ 1] != turn / 2 ||
        g->to_move != (first ^ (turn & 1)))
        return BB_ERR_STATE;
    return BB_OK;
}

bb_status bb_game_validate(const bb_game *g, int full) {
    if (g->queue_len >= BB_QUEUE_MAX || g->to_move > 1 || g->start_player > 1 ||
        g->early_stop > 1 || g->done > 1)
        return BB_ERR_STATE;
    if (!valid_cards(g->queue, g->queue_len, BB_QUEUE_MAX) ||
        !valid_cards(g->bar, g->bar_len, BB_NUM_CARDS) ||
        !valid_cards(g->thats_it, g->ti_len, BB_NUM_CARDS))
        return BB_ERR_STATE;
    int total = g->queue_len + g->bar_len + g->ti_len;
    for (int p = 0; p < BB_NUM_PLAYERS; p++) {
        if (!valid_cards(g->hand[p], g->hand_len[p], BB_HAND_MAX) || g->deck_pos[p] > BB_DECK_MAX)
            return BB_ERR_STATE;
        for (int i = g->deck_pos[p]; i < BB_DECK_MAX; i++)
            if (!valid_cards(&g->deck[p][i], 1, 1)) return BB_ERR_STATE;
        total += g->hand_len[p] + BB_DECK_MAX - g->deck_pos[p];
    }
    if (total > BB_NUM_CARDS) return BB_ERR_STATE;
    /* every card still to be played has its place in the history */
    if (g->turn + total - (g->queue_len + g->bar_len + g->ti_len) > BB_NUM_CARDS) return BB_ERR_STATE;
    if (g->history_len != 0 && g->history_len != g->turn) return BB_ERR_STATE;
    for (int t = 0; t < BB_NUM_CARDS; t++)
        if (t < g->history_len ? g->history[t] >= BB_NUM_ACTIONS : g->history[t] != 0) return BB_ERR_STATE;
    if (g->done != (uint8_t)bb_game_is_terminal(g)) return BB_ERR_STATE;
    if (!g->done && g->hand_len[g->to_move] == 0) return BB_ERR_STATE;
    return full ? check_conservation(g) : BB_OK;
}
