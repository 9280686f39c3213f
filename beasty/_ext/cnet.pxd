# cython: language_level=3
# Mirrors csrc/net.h (the single source of truth); keep the two in sync.
from libc.stdint cimport int32_t, int64_t

from beasty._ext.cbeasty cimport bb_game, bb_status
from beasty._ext.cpolicy cimport bb_policy

cdef extern from "net.h" nogil:
    enum:
        BB_NET_OUTPUTS
        BB_NET_MAX_HIDDEN
        BB_NET_MAX_DEPTH

    ctypedef struct bb_net:
        int32_t hidden
        int32_t depth
        int32_t residual
        const float *weights

    int64_t bb_net_size(int32_t hidden, int32_t depth)
    bb_status bb_net_check(const bb_net *net)
    void bb_net_forward(const bb_net *net, const float *obs, float *out)
    void bb_net_evaluate(const bb_net *net, const bb_game *g, float *out)
    bb_policy bb_policy_net(const bb_net *net)
