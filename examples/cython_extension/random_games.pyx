# cython: language_level=3
"""A research extension compiled against the installed beasty: it plays
random games entirely in C, without the GIL, through the engine's C API
(beasty/_ext/cbeasty.pxd and cpolicy.pxd, which mirror beasty.h and policy.h)."""

from libc.stdint cimport int32_t, uint64_t, uint8_t
from libc.stdlib cimport calloc, free

cimport beasty._ext.cbeasty as c
cimport beasty._ext.cpolicy as cp


def play_random(int n, uint64_t seed, uint64_t policy_seed):
    """Plays n games dealt from seed + i (no early stop) with the C random
    policy seeded by policy_seed; returns the final points [(p0, p1), ...]."""
    if n < 1:
        raise ValueError("n must be >= 1")
    cdef c.bb_game *games = <c.bb_game *>calloc(n, sizeof(c.bb_game))
    cdef int32_t *running = <int32_t *>calloc(n, sizeof(int32_t))
    cdef int32_t *actions = <int32_t *>calloc(n, sizeof(int32_t))
    cdef uint8_t *dones = <uint8_t *>calloc(n, sizeof(uint8_t))
    cdef cp.bb_policy policy = cp.bb_policy_random()
    cdef int32_t k, i
    try:
        if not games or not running or not actions or not dones:
            raise MemoryError()
        with nogil:
            c.bb_batch_reset(games, n, seed, 0)
            while True:
                k = 0
                for i in range(n):
                    if not games[i].done:
                        running[k] = i
                        k += 1
                if k == 0:
                    break
                cp.bb_batch_actions(games, n, running, k, &policy, policy_seed, actions, NULL)
                c.bb_batch_step(games, n, running, k, actions, 0, NULL, dones, NULL, NULL)
        return [(c.bb_game_score(&games[i], 0), c.bb_game_score(&games[i], 1)) for i in range(n)]
    finally:
        free(games)
        free(running)
        free(actions)
        free(dones)
