/* bench_main.c -- drives the C engine with no Python: random-vs-random
 * turns per second and observation+mask writes per second.
 * Usage: bench_main [batch=1024] [turns=20000000] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "beasty.h"
#include "policy.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    int32_t n = argc > 1 ? atoi(argv[1]) : 1024;
    long turns = argc > 2 ? atol(argv[2]) : 20000000L;
    if (n <= 0 || turns <= 0) return 2;
    bb_game *games = calloc((size_t)n, sizeof(bb_game));
    int32_t *actions = calloc((size_t)n, sizeof(int32_t));
    uint8_t *dones = calloc((size_t)n, 1);
    float *obs = calloc((size_t)n * BB_OBS_DIM, sizeof(float));
    uint8_t *mask = calloc((size_t)n * BB_NUM_ACTIONS, 1);
    if (!games || !actions || !dones || !obs || !mask) return 1;
    bb_batch_reset(games, n, 0, 1);
    bb_rng rng;
    bb_rng_seed(&rng, 12345);
    bb_policy random = bb_policy_random();
    long steps = turns / n, games_done = 0;
    double t0 = now();
    for (long s = 0; s < steps; s++) {
        bb_batch_actions(games, n, 0, n, &random, bb_rng_next(&rng), actions, 0);
        bb_batch_step(games, n, 0, n, actions, 1, 0, dones, 0, 0);
        for (int32_t i = 0; i < n; i++) games_done += dones[i];
    }
    double dt = now() - t0;
    printf("random play: batch %d, %.2fM turns/s, %.0f games/s\n", n, steps * (double)n / dt / 1e6,
           games_done / dt);
    t0 = now();
    for (long s = 0; s < steps; s++) bb_batch_observe(games, n, 0, n, obs, mask);
    dt = now() - t0;
    printf("observe+mask: batch %d, %.2fM writes/s\n", n, steps * (double)n / dt / 1e6);
    free(games);
    free(actions);
    free(dones);
    free(obs);
    free(mask);
    return 0;
}
