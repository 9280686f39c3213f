/* bench_main.c -- drives the C engine with no Python: random-vs-random
 * turns per second (with no outputs, then with the rewards and bar points
 * GameBatch.step returns) and observation+mask writes per second.
 * Usage: bench_main [BATCH [TURNS]] (bench_main --help) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "beasty.h"
#include "policy.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char USAGE[] =
    "usage: bench_main [BATCH [TURNS]]\n"
    "  random-vs-random turns/s (without, then with rewards and bar points)\n"
    "  and observation+mask writes/s of the C engine\n"
    "  BATCH  games stepped together, 1..16777216 (default 1024)\n"
    "  TURNS  turns to play in each random-play run (default 20000000)\n";

/* A whole-string decimal in [low, high], else -1. */
static long parse(const char *text, long low, long high) {
    char *end;
    long v = strtol(text, &end, 10);
    return (*text && !*end && v >= low && v <= high) ? v : -1;
}

/* Random-vs-random turns: `steps` batch steps of all n games. */
static void play(bb_game *games, int32_t n, long steps, int32_t *actions, uint8_t *dones, float *rewards,
                 int32_t *scores, const char *label) {
    bb_rng rng;
    bb_rng_seed(&rng, 12345);
    bb_policy random = bb_policy_random();
    long games_done = 0;
    double t0 = now();
    for (long s = 0; s < steps; s++) {
        bb_batch_actions(games, n, 0, n, &random, bb_rng_next(&rng), actions, 0);
        bb_batch_step(games, n, 0, n, actions, 1, rewards, dones, scores, 0);
        for (int32_t i = 0; i < n; i++) games_done += dones[i];
    }
    double dt = now() - t0;
    printf("%s: batch %d, %.2fM turns/s, %.0f games/s\n", label, n, steps * (double)n / dt / 1e6, games_done / dt);
}

int main(int argc, char **argv) {
    if (argc > 1 && (argv[1][0] == '-' || argc > 3)) {
        fputs(USAGE, argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? stdout : stderr);
        return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
    }
    long batch = argc > 1 ? parse(argv[1], 1, 1L << 24) : 1024;
    long turns = argc > 2 ? parse(argv[2], 1, 1L << 40) : 20000000L;
    if (batch < 0 || turns < 0) {
        fprintf(stderr, "bench_main: bad number\n%s", USAGE);
        return 2;
    }
    int32_t n = (int32_t)batch;
    bb_game *games = calloc((size_t)n, sizeof(bb_game));
    int32_t *actions = calloc((size_t)n, sizeof(int32_t));
    uint8_t *dones = calloc((size_t)n, 1);
    float *rewards = calloc((size_t)n * 2, sizeof(float));
    int32_t *scores = calloc((size_t)n * 2, sizeof(int32_t));
    float *obs = calloc((size_t)n * BB_OBS_DIM, sizeof(float));
    uint8_t *mask = calloc((size_t)n * BB_NUM_ACTIONS, 1);
    if (!games || !actions || !dones || !rewards || !scores || !obs || !mask) return 1;
    bb_batch_reset(games, n, 0, 1);
    long steps = turns / n;
    play(games, n, steps, actions, dones, 0, 0, "random play");
    /* GameBatch.step always returns the rewards and the bar points */
    play(games, n, steps, actions, dones, rewards, scores, "random play, with rewards and points");
    double t0 = now();
    for (long s = 0; s < steps; s++) bb_batch_observe(games, n, 0, n, 0, obs, mask);
    double dt = now() - t0;
    printf("observe+mask: batch %d, %.2fM writes/s\n", n, steps * (double)n / dt / 1e6);
    free(games);
    free(actions);
    free(dones);
    free(rewards);
    free(scores);
    free(obs);
    free(mask);
    return 0;
}
