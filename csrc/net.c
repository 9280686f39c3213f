/* net.c -- the forward pass of the small policy/value network (net.h). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "net.h"

int64_t bb_net_size(int32_t h, int32_t depth) {
    if (h < 1 || h > BB_NET_MAX_HIDDEN || depth < 1 || depth > BB_NET_MAX_DEPTH) return 0;
    return (int64_t)BB_OBS_DIM * h + h + depth * ((int64_t)h * h + h) + (int64_t)h * BB_NET_OUTPUTS +
           BB_NET_OUTPUTS;
}

bb_status bb_net_check(const bb_net *net) {
    return net && net->weights && bb_net_size(net->hidden, net->depth) > 0 &&
                   (net->residual == 0 || net->residual == 1)
               ? BB_OK
               : BB_ERR_PARAM;
}

/* On x86-64 with glibc (its ifunc picks a clone at load time; GCC or
 * Clang) the matrix loops are also compiled for AVX2, used when the CPU has
 * it: twice the floats per instruction.  Without FMA both versions round
 * the same products and sums in the same order, so their results are
 * identical.  (__GLIBC__ comes from <math.h> above.) */
#if defined(__x86_64__) && defined(__GLIBC__) && (defined(__GNUC__) || defined(__clang__))
#define MATRIX_LOOPS __attribute__((target_clones("avx2", "default")))
#else
#define MATRIX_LOOPS
#endif

/* out[n_out] = bias + sum_i in[i] * W[i][.], skipping zero inputs; with
 * relu the negatives are clipped. */
MATRIX_LOOPS static void dense(const float *restrict in, int n_in, const float *restrict w,
                               const float *restrict bias, int n_out, int relu, float *restrict out) {
    for (int j = 0; j < n_out; j++) out[j] = bias[j];
    for (int i = 0; i < n_in; i++) {
        float x = in[i];
        if (x == 0.0f) continue;
        const float *restrict row = w + (size_t)i * n_out;
        for (int j = 0; j < n_out; j++) out[j] += x * row[j];
    }
    if (relu)
        for (int j = 0; j < n_out; j++) out[j] = out[j] > 0.0f ? out[j] : 0.0f;
}

void bb_net_forward(const bb_net *net, const float *obs, float *out) {
    int h = net->hidden;
    float x[BB_NET_MAX_HIDDEN], y[BB_NET_MAX_HIDDEN];
    const float *w = net->weights;
    dense(obs, BB_OBS_DIM, w, w + (size_t)BB_OBS_DIM * h, h, 1, x);
    w += (size_t)BB_OBS_DIM * h + h;
    for (int k = 0; k < net->depth; k++, w += (size_t)h * h + h) {
        dense(x, h, w, w + (size_t)h * h, h, 1, y);
        if (net->residual)
            for (int j = 0; j < h; j++) x[j] += y[j];
        else
            memcpy(x, y, (size_t)h * sizeof(float));
    }
    dense(x, h, w, w + (size_t)h * BB_NET_OUTPUTS, BB_NET_OUTPUTS, 0, out);
    out[BB_NUM_ACTIONS] = tanhf(out[BB_NUM_ACTIONS]);
}

void bb_net_evaluate(const bb_net *net, const bb_game *g, float *out) {
    float obs[BB_OBS_DIM];
    bb_game_observe(g, g->to_move, obs);
    bb_net_forward(net, obs, out);
}

static int32_t choose_net(void *state, const bb_game *g, bb_rng *rng) {
    (void)rng;
    float out[BB_NET_OUTPUTS];
    int32_t legal[BB_NUM_ACTIONS];
    int32_t n = bb_game_legal(g, 0, legal);
    if (n == 0) return -1;
    bb_net_evaluate((const bb_net *)state, g, out);
    int32_t best = legal[0];
    for (int i = 1; i < n; i++)
        if (out[legal[i]] > out[best]) best = legal[i];
    return best;
}

static void scores_net(const void *state, const bb_game *g, uint32_t species_mask, double *scores) {
    float out[BB_NET_OUTPUTS];
    bb_net_evaluate((const bb_net *)state, g, out);
    for (int32_t a = 0; a < BB_NUM_ACTIONS; a++)
        scores[a] = (species_mask >> bb_action_get(a)->species) & 1 && bb_game_queue_allows(g, a) ? out[a] : NAN;
}

static double value_net(const void *state, const bb_game *g) {
    float out[BB_NET_OUTPUTS];
    bb_net_evaluate((const bb_net *)state, g, out);
    return out[BB_NUM_ACTIONS];
}

bb_policy bb_policy_net(const bb_net *net) {
    bb_policy p = {(void *)net, choose_net, scores_net, value_net};
    return p;
}
