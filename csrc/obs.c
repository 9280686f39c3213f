/* obs.c -- the observation encoder (segments documented in beasty.h).
 * It reads the public zones, the observer's own hand and pile, and only
 * the counts and the unplayed species set of the opponent: never the
 * opponent's hand as such or any pile's order. */
#include <string.h>

#include "beasty.h"


/* The C library's memset, called through a pointer the compiler cannot
 * see through: GCC expands a constant-size memset into `rep stos`, which
 * made observing 1.7x slower at batch 1,024 than the library's vector
 * stores (bench_main). */
static void *(*volatile const library_memset)(void *, int, size_t) = memset;

void bb_game_observe(const bb_game *g, int32_t player, float *out) {
    library_memset(out, 0, sizeof(float) * BB_OBS_DIM);
    int me = player & 1, opp = 1 - me;
    for (int i = 0; i < g->queue_len; i++) {
        uint8_t c = g->queue[i];
        float *slot = out + BB_OBS_QUEUE + i * BB_OBS_QUEUE_SLOT;
        slot[BB_CARD_SPECIES(c) - 1] = 1.0f;
        slot[BB_CARD_OWNER(c) == me ? 12 : 13] = 1.0f;
    }
    for (int h = 0; h < g->hand_len[me]; h++) out[BB_OBS_HAND + BB_CARD_SPECIES(g->hand[me][h]) - 1] = 1.0f;
    for (int i = g->deck_pos[me]; i < BB_DECK_MAX; i++)
        out[BB_OBS_MY_PILE + BB_CARD_SPECIES(g->deck[me][i]) - 1] = 1.0f;
    for (int h = 0; h < g->hand_len[opp]; h++) out[BB_OBS_OPP_UNPLAYED + BB_CARD_SPECIES(g->hand[opp][h]) - 1] = 1.0f;
    for (int i = g->deck_pos[opp]; i < BB_DECK_MAX; i++)
        out[BB_OBS_OPP_UNPLAYED + BB_CARD_SPECIES(g->deck[opp][i]) - 1] = 1.0f;
    int pts[2] = {0, 0};
    for (int i = 0; i < g->bar_len; i++) {
        uint8_t c = g->bar[i];
        int mine = BB_CARD_OWNER(c) == me;
        out[(mine ? BB_OBS_MY_BAR : BB_OBS_OPP_BAR) + BB_CARD_SPECIES(c) - 1] = 1.0f;
        pts[mine ? 0 : 1] += BB_POINTS[BB_CARD_SPECIES(c)];
    }
    for (int i = 0; i < g->ti_len; i++) {
        uint8_t c = g->thats_it[i];
        out[(BB_CARD_OWNER(c) == me ? BB_OBS_MY_TI : BB_OBS_OPP_TI) + BB_CARD_SPECIES(c) - 1] = 1.0f;
    }
    float *sc = out + BB_OBS_SCALARS;
    sc[0] = (float)pts[0] / 36.0f;
    sc[1] = (float)pts[1] / 36.0f;
    sc[2] = (float)g->hand_len[me] / 4.0f;
    sc[3] = (float)g->hand_len[opp] / 4.0f;
    sc[4] = (float)(BB_DECK_MAX - g->deck_pos[me]) / 8.0f;
    sc[5] = (float)(BB_DECK_MAX - g->deck_pos[opp]) / 8.0f;
    sc[6] = (float)g->turn / 24.0f;
    sc[7] = (float)g->queue_len / 5.0f;
}
