/*
 * net.h -- a small policy/value network evaluated in C, so that a search
 * guided by a trained network needs no torch at play time.
 *
 * Input: the observation (beasty.h, BB_OBS_DIM floats) of the player to
 * move.  An input layer of `hidden` ReLU units, then `depth` hidden layers
 * of the same width, each x -> relu(W x + b), or with `residual`
 * x -> x + relu(W x + b) (a residual MLP: deeper nets still train), then
 * BB_NET_OUTPUTS outputs: BB_NUM_ACTIONS policy logits (illegal ones are
 * ignored by the caller) and one value, tanh of the last output: the
 * expected result for the player to move, +1 a win, -1 a loss, 0 a draw.
 * depth 1 without residual is the first network format's two-layer MLP.
 *
 * Weights: one float32 array, caller-owned, each layer's matrix stored by
 * input row (so that a zero input skips a row: the observation is mostly
 * zeros), then its bias:
 *   W_in[BB_OBS_DIM][h] b_in[h]  (W_k[h][h] b_k[h]) for k < depth
 *   W_out[h][BB_NET_OUTPUTS] b_out[BB_NET_OUTPUTS]
 * bb_net_size(h, depth) floats in all.  beasty/train/expert.py trains and
 * writes them; beasty/agents/guided.py loads them.
 *
 * beasty/_ext/cnet.pxd mirrors this header: keep the two in sync.
 */
#ifndef BEASTY_NET_H
#define BEASTY_NET_H

#include "beasty.h"
#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BB_NET_OUTPUTS (BB_NUM_ACTIONS + 1)
#define BB_NET_MAX_HIDDEN 512
#define BB_NET_MAX_DEPTH 16

typedef struct bb_net {
    int32_t hidden;       /* width of every hidden layer, 1..BB_NET_MAX_HIDDEN */
    int32_t depth;        /* hidden-to-hidden layers, 1..BB_NET_MAX_DEPTH */
    int32_t residual;     /* 0 or 1: each of them adds its input to its output */
    const float *weights; /* caller-owned, bb_net_size(hidden, depth) floats, laid out as above */
} bb_net;

/* Floats in the weights of a network of this shape (0 if out of range). */
int64_t bb_net_size(int32_t hidden, int32_t depth);
/* BB_OK, or BB_ERR_PARAM for a shape out of range or no weights. */
bb_status bb_net_check(const bb_net *net);
/* out[BB_NET_OUTPUTS]: the logits, then the value already through tanh. */
void bb_net_forward(const bb_net *net, const float *obs, float *out);
/* The forward pass on the observation of g's player to move. */
void bb_net_evaluate(const bb_net *net, const bb_game *g, float *out);
/* The network as a policy (net must outlive it): choose plays the legal
 * action of highest logit; scores are the logits of the actions the queue
 * allows for the species in species_mask (the network sees the mover's
 * true hand, so for species not in it they are its guess); value is the
 * value output. */
bb_policy bb_policy_net(const bb_net *net);

#ifdef __cplusplus
}
#endif
#endif /* BEASTY_NET_H */
