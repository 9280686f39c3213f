# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Thin Cython binding of the C engine (csrc/beasty.h).

The extension types own C memory and nothing else: all game logic is C.
Arguments are checked here once (shape, dtype, range) and turned into
``TypeError``/``ValueError``/``IndexError``; the C loops then run without
the GIL.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset

cimport beasty._ext.cbeasty as c
cimport beasty._ext.cpolicy as cp
cimport beasty._ext.csearch as cs
cimport beasty._ext.cnet as cn

import threading

import numpy as np

from beasty.rules import ACTION_NAMES as _PY_ACTION_NAMES
from beasty.rules import Card, Species, State

NUM_ACTIONS = c.BB_NUM_ACTIONS
OBS_DIM = c.BB_OBS_DIM
QUEUE_MAX = c.BB_QUEUE_MAX
NET_OUTPUTS = cn.BB_NET_OUTPUTS
NET_MAX_HIDDEN = cn.BB_NET_MAX_HIDDEN
NET_MAX_DEPTH = cn.BB_NET_MAX_DEPTH

#: The observation's named segments: (name, offset, shape).
OBS_SEGMENTS = (
    ("queue", c.BB_OBS_QUEUE, (c.BB_QUEUE_MAX, c.BB_OBS_QUEUE_SLOT)),
    ("hand", c.BB_OBS_HAND, (12,)),
    ("my_pile", c.BB_OBS_MY_PILE, (12,)),
    ("opp_unplayed", c.BB_OBS_OPP_UNPLAYED, (12,)),
    ("my_bar", c.BB_OBS_MY_BAR, (12,)),
    ("opp_bar", c.BB_OBS_OPP_BAR, (12,)),
    ("my_thats_it", c.BB_OBS_MY_TI, (12,)),
    ("opp_thats_it", c.BB_OBS_OPP_TI, (12,)),
    ("scalars", c.BB_OBS_SCALARS, (8,)),
)
SCALAR_NAMES = ("my_bar_points/36", "opp_bar_points/36", "my_hand/4", "opp_hand/4",
                "my_pile/8", "opp_pile/8", "turn/24", "queue_len/5")


def action_table():
    """The C action table as a list of (species, copy, param) tuples
    (copy 0 = none, param -1 = none)."""
    cdef const c.bb_action_info *info
    out = []
    for a in range(c.BB_NUM_ACTIONS):
        info = c.bb_action_get(a)
        out.append((info.species, info.copy, info.param))
    return out


ACTION_NAMES = tuple(_PY_ACTION_NAMES)


cdef str _status_message(c.bb_status st):
    return {c.BB_ERR_ILLEGAL: "illegal action", c.BB_ERR_DONE: "game is over",
            c.BB_ERR_INDEX: "game index out of range",
            c.BB_ERR_STATE: "invalid state", c.BB_ERR_PARAM: "parameter out of range"}.get(st, "error")


def _check_int(value, str name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    return int(value)


def _check_flag(value, str name):
    """A bool (or the integer 0 or 1): a string such as 'no' is an error, not True."""
    if isinstance(value, (bool, np.bool_)):
        return 1 if value else 0
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return int(value)
    raise TypeError(f"{name} must be a bool, got {value!r}")


def check_seed(value, str name="seed"):
    """``value`` as an int if it is an integer in [0, 2**64) (the seeds of
    every generator and agent), else TypeError or ValueError naming it."""
    value = _check_int(value, name)
    if not 0 <= value < 2 ** 64:
        raise ValueError(f"{name} must be in [0, 2**64), got {value}")
    return value


cdef class Rng:
    """A splitmix64 generator (the engine's), e.g. for the random agent."""
    cdef c.bb_rng rng

    def __init__(self, seed=0):
        c.bb_rng_seed(&self.rng, <uint64_t>check_seed(seed))

    @property
    def state(self):
        return int(self.rng.state)

    @state.setter
    def state(self, value):
        value = _check_int(value, "state")
        if not 0 <= value < 2 ** 64:
            raise ValueError("state must be in [0, 2**64)")
        self.rng.state = <uint64_t>value

    def next_u64(self):
        return int(c.bb_rng_next(&self.rng))

    def bounded(self, n):
        n = _check_int(n, "n")
        if not 1 <= n < 2 ** 32:
            raise ValueError("n must be in [1, 2**32)")
        return int(c.bb_rng_bounded(&self.rng, <unsigned int>n))

    def __reduce__(self):
        return (_rng_from_state, (self.state,))


def _rng_from_state(state):
    r = Rng(0)
    r.state = state
    return r


_KINDS = {"material": c.BB_AGENT_MATERIAL, "online": c.BB_AGENT_ONLINE,
          "outcome": c.BB_AGENT_OUTCOME}


cdef dict _default_params(int32_t kind):
    cdef c.bb_agent_params p
    c.bb_agent_params_default(&p, kind)
    return p  # Cython's struct -> dict conversion: the C struct's fields, in order


#: The scripted agents' scalar parameters: bb_agent_params' fields (C is
#: the one declaration) less the kind and the species multipliers.
_PARAM_FIELDS = tuple(k for k in _default_params(c.BB_AGENT_MATERIAL) if k not in ("kind", "species_mult"))


cdef class AgentParams:
    """Parameters of a scripted one-ply agent (bb_agent_params).

    ``kind`` is "material" (HeuristicAgent), "online" or "outcome"; keyword
    arguments override the defaults of that kind; ``species_weights`` maps
    species names to multipliers of the MaterialEvaluator."""
    cdef c.bb_agent_params p

    def __init__(self, kind="material", species_weights=None, **overrides):
        if kind not in _KINDS:
            raise ValueError(f"unknown agent kind {kind!r}; expected one of {sorted(_KINDS)}")
        c.bb_agent_params_default(&self.p, _KINDS[kind])
        for name, value in overrides.items():
            if name not in _PARAM_FIELDS:
                raise TypeError(f"unknown agent parameter {name!r}")
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a number, got {type(value).__name__}")
            v = float(value)
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"{name} must be finite, got {v}")
            if name == "noise_epsilon" and v < 0:
                raise ValueError("noise_epsilon must be >= 0")
            self._set(name, v)
        for sname, mult in (species_weights or {}).items():
            try:
                s = Species[str(sname).upper()]
            except KeyError:
                raise ValueError(f"unknown species {sname!r}") from None
            m = float(mult)
            if m != m or m in (float("inf"), float("-inf")):
                raise ValueError(f"species weight of {sname} must be finite, got {m}")
            self.p.species_mult[int(s)] = m

    cdef void _set(self, str name, double v):
        cdef dict fields = self.p
        fields[name] = v
        self.p = fields

    def as_dict(self):
        """The parameters as a plain dict (kind, scalar fields, species_mult)."""
        cdef dict fields = self.p
        d = {"kind": {v: k for k, v in _KINDS.items()}[self.p.kind]}
        d.update((name, fields[name]) for name in _PARAM_FIELDS)
        d["species_mult"] = {Species(s).name.lower(): self.p.species_mult[s] for s in range(1, 13)}
        return d


# ------------------------------------------------------------------ policies
cdef class Policy:
    """A C policy (csrc/policy.h): a function pointer and the memory it works
    on.  Drive it with :meth:`GameBatch.actions`.  ``lock`` serialises the
    calls of threads that share one (the search's tree is not shared-safe)."""
    cdef cp.bb_policy policy
    cdef readonly object lock
    cdef object _keep  # Python objects whose memory the C policy points into

    def __cinit__(self, *args, **kwargs):
        self.lock = threading.Lock()


cdef class RandomPolicy(Policy):
    """Uniform over the legal actions."""

    def __init__(self):
        self.policy = cp.bb_policy_random()


cdef class ScriptedPolicy(Policy):
    """A scripted one-ply agent (csrc/agents.c) with the given parameters."""

    def __init__(self, AgentParams params not None):
        self._keep = params
        self.policy = cp.bb_policy_scripted(&params.p)

    @property
    def params(self):
        return self._keep


cdef class Network(Policy):
    """The policy/value network of csrc/net.h, evaluated in C: a policy
    (the legal action of highest logit), the search's prior and leaf value
    (``Search(guide=...)``), and a batched forward pass.

    ``weights`` is the flat float32 array laid out as net.h says
    (:func:`network_size` floats for width ``hidden`` and ``depth``
    hidden-to-hidden layers, ``residual`` or plain); it is copied."""
    cdef cn.bb_net net
    cdef readonly int hidden
    cdef readonly int depth
    cdef readonly bint residual
    cdef readonly object weights

    def __init__(self, weights, hidden, depth=1, residual=False):
        size = network_size(hidden, depth)
        if not isinstance(residual, (bool, np.bool_)):
            raise TypeError(f"residual must be a bool, got {type(residual).__name__}")
        arr = np.asarray(weights)
        if arr.dtype != np.float32:
            raise TypeError(f"weights must be float32, got dtype {arr.dtype}")
        if arr.ndim != 1 or arr.shape[0] != size:
            raise ValueError(f"weights must be a flat array of {size} float32 values for hidden={hidden}, "
                             f"depth={depth}, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("weights hold NaN or infinite values")
        arr = np.array(arr, dtype=np.float32, copy=True)
        arr.flags.writeable = False
        cdef const float[::1] view = arr
        self.weights = arr
        self.hidden = hidden
        self.depth = depth
        self.residual = bool(residual)
        self.net.hidden = hidden
        self.net.depth = depth
        self.net.residual = self.residual
        self.net.weights = &view[0]
        if cn.bb_net_check(&self.net) != c.BB_OK:
            raise ValueError("bad network shape")  # unreachable: network_size checked it
        self.policy = cn.bb_policy_net(&self.net)

    def forward(self, obs):
        """Outputs ``float32 [B, NET_OUTPUTS]`` (the 33 logits, then the
        value in [-1, 1]) for observations ``float32 [B, OBS_DIM]``."""
        arr = np.asarray(obs)
        if arr.dtype != np.float32:
            raise TypeError(f"obs must be float32, got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] != c.BB_OBS_DIM:
            raise ValueError(f"obs must have shape [B, {c.BB_OBS_DIM}], got {arr.shape}")
        arr = np.ascontiguousarray(arr)
        out = np.empty((arr.shape[0], cn.BB_NET_OUTPUTS), dtype=np.float32)
        cdef const float[:, ::1] obs_v = arr
        cdef float[:, ::1] out_v = out
        cdef Py_ssize_t i, n = arr.shape[0]
        with nogil:
            for i in range(n):
                cn.bb_net_forward(&self.net, &obs_v[i, 0], &out_v[i, 0])
        return out

    def __reduce__(self):
        return (Network, (self.weights, self.hidden, self.depth, self.residual))


def network_size(hidden, depth=1):
    """Floats in the weights of a csrc/net.h network of width ``hidden``
    with ``depth`` hidden-to-hidden layers."""
    hidden = _check_int(hidden, "hidden")
    if not 1 <= hidden <= cn.BB_NET_MAX_HIDDEN:
        raise ValueError(f"hidden must be in [1, {cn.BB_NET_MAX_HIDDEN}], got {hidden}")
    depth = _check_int(depth, "depth")
    if not 1 <= depth <= cn.BB_NET_MAX_DEPTH:
        raise ValueError(f"depth must be in [1, {cn.BB_NET_MAX_DEPTH}], got {depth}")
    return int(cn.bb_net_size(hidden, depth))


_RANDOM_POLICY = RandomPolicy()

_ALGORITHMS = {"pimc": cs.BB_SEARCH_PIMC, "ismcts": cs.BB_SEARCH_ISMCTS}
#: The search's on/off fields (int32 0/1 in C, bools here).
_SEARCH_FLAGS = ("use_prior", "infer_hands", "model_in_tree")


cdef dict _search_defaults():
    cdef cs.bb_search_config config
    cs.bb_search_config_default(&config)
    cdef dict fields = config  # the C struct's fields, in order
    names = {v: k for k, v in _ALGORITHMS.items()}
    return {k: names[v] if k == "algorithm" else bool(v) if k in _SEARCH_FLAGS else v for k, v in fields.items()}


#: Defaults of the search's plain parameters, from C (bb_search_config_default;
#: csrc/search.h declares each field and its range, checked once in
#: bb_search_check).
SEARCH_DEFAULTS = _search_defaults()


cdef class Search(Policy):
    """The search player of csrc/search.h for one decision at a time.

    ``rollout`` plays the mover's side in rollouts (and gives its prior);
    ``models`` are the opponent models with prior weights ``model_prior``
    (default equal): they play the opponent in rollouts and weigh the
    opponent's possible hands by their earlier choices.  Keyword arguments
    override :data:`SEARCH_DEFAULTS`; an unknown name raises ``TypeError``,
    a value out of range ``ValueError`` naming it."""
    cdef cs.bb_search s
    cdef readonly dict config

    def __init__(self, Policy rollout not None, models, model_prior=None, Network guide=None, **overrides):
        config = dict(SEARCH_DEFAULTS)
        for name, value in overrides.items():
            if name not in config:
                raise TypeError(f"unknown search parameter {name!r}; known: {', '.join(SEARCH_DEFAULTS)}")
            config[name] = value
        cdef dict numeric = {}
        for name, value in config.items():
            default = SEARCH_DEFAULTS[name]
            if name == "algorithm":
                if value not in _ALGORITHMS:
                    raise ValueError(f"algorithm must be one of {sorted(_ALGORITHMS)}, got {value!r}")
                numeric[name] = _ALGORITHMS[value]
            elif isinstance(default, bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
                numeric[name] = int(bool(value))
            elif isinstance(default, int):
                numeric[name] = _check_int(value, name)
                if not -2 ** 31 <= numeric[name] < 2 ** 31:
                    raise ValueError(f"{name} is out of range: {value}")
            else:
                if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
                    raise TypeError(f"{name} must be a number, got {type(value).__name__}")
                numeric[name] = float(value)
        models = list(models)
        if not 1 <= len(models) <= cs.BB_SEARCH_MAX_MODELS:
            raise ValueError(f"models must hold 1 to {cs.BB_SEARCH_MAX_MODELS} policies, got {len(models)}")
        for m in models:
            if not isinstance(m, Policy) or isinstance(m, Search):
                raise TypeError("models must be RandomPolicy, ScriptedPolicy or Network objects")
        if isinstance(rollout, Search):
            raise TypeError("rollout must be a RandomPolicy, a ScriptedPolicy or a Network")
        prior = [1.0] * len(models) if model_prior is None else [float(w) for w in model_prior]
        if len(prior) != len(models):
            raise ValueError(f"model_prior must hold one weight per model ({len(models)}), got {len(prior)}")
        self.s.config = numeric
        self.s.self_policy = (<Policy>rollout).policy
        self.s.num_models = len(models)
        for j, m in enumerate(models):
            self.s.models[j] = (<Policy>m).policy
            self.s.model_prior[j] = prior[j]
            self.s.model_reads_hand[j] = isinstance(m, Network)
        if guide is not None:
            self.s.guide = guide.policy
        self._keep = (rollout, tuple(models), guide)
        self.config = config
        cdef int64_t capacity = numeric["simulations"] + 1 if numeric["algorithm"] == cs.BB_SEARCH_ISMCTS else 0
        if capacity > cs.BB_SEARCH_MAX_SIMULATIONS + 1:
            capacity = 0  # bb_search_check names simulations
        if capacity:
            self.s.nodes = <cs.bb_search_node *>calloc(capacity, sizeof(cs.bb_search_node))
            if self.s.nodes == NULL:
                raise MemoryError()
            self.s.capacity = <int32_t>capacity
        self.s.work = <cs.bb_search_workspace *>calloc(1, sizeof(cs.bb_search_workspace))
        if self.s.work == NULL:
            raise MemoryError()
        cdef const char *bad = NULL
        if cs.bb_search_check(&self.s, &bad) != c.BB_OK:
            field = bad.decode() if bad != NULL else "parameters"
            if field in ("models", "rollout"):
                raise ValueError(f"search {field}: every policy must be initialised and, for "
                                 "infer_hands or use_prior, have scores (a RandomPolicy or ScriptedPolicy)")
            if field == "guide":
                raise ValueError("value_weight > 0 and unknown_temperature > 0 need a guide network "
                                 "(Search(guide=Network(...)))")
            shown = prior if field == "model_prior" else config.get(field, "")
            raise ValueError(f"search parameter {field} out of range: {shown!r} (see csrc/search.h)")
        self.policy = cs.bb_policy_search(&self.s)

    def __dealloc__(self):
        free(self.s.nodes)
        free(self.s.work)

    def sample(self, GameBatch games not None, i, count, seed):
        """``count`` determinizations of game i as the search draws them:
        a :class:`GameBatch` of them (auto_reset off) and the index of the
        opponent model that plays in each (int32 ``[count]``; the number of
        models stands for "unknown")."""
        i = games._check_game(i)
        count = _check_int(count, "count")
        if not 1 <= count <= 1 << 20:
            raise ValueError(f"count must be in [1, 2**20], got {count}")
        cdef c.bb_game g = games._copy_game(i)
        if g.done:
            raise ValueError(f"game {i} is over")
        _check_searchable(&g, i)
        cdef uint64_t seed64 = check_seed(seed)
        cdef GameBatch worlds = GameBatch(count, auto_reset=False)
        models = np.empty(count, dtype=np.int32)
        cdef int32_t[::1] models_v = models
        cdef c.bb_rng rng
        cdef int32_t n = count
        c.bb_rng_seed(&rng, seed64)
        with self.lock, nogil:
            cs.bb_search_sample(&self.s, &g, &rng, n, worlds.games, &models_v[0])
        return worlds, models

    def run(self, GameBatch games not None, i, seed):
        """One search for game i's mover: a dict with ``action``,
        ``iterations``, ``solved``, ``elapsed_ms``, ``visits`` and ``value``
        (per action, int32/float64 [33]) and ``model_posterior`` (each
        model's posterior weight, then that of "unknown")."""
        i = games._check_game(i)
        cdef c.bb_game g = games._copy_game(i)
        if g.done:
            raise ValueError(f"game {i} is over: there is no decision to search")
        _check_searchable(&g, i)
        cdef uint64_t seed64 = check_seed(seed)
        cdef cs.bb_search_result r
        cdef c.bb_rng rng
        with self.lock, nogil:
            cp.bb_policy_rng(&rng, seed64, &g)
            cs.bb_search_run(&self.s, &g, &rng, &r)
        return {
            "action": int(r.action),
            "iterations": int(r.iterations),
            "solved": bool(r.solved),
            "elapsed_ms": float(r.elapsed_ms),
            "visits": np.array([r.visits[a] for a in range(c.BB_NUM_ACTIONS)], dtype=np.int32),
            "value": np.array([r.value[a] for a in range(c.BB_NUM_ACTIONS)], dtype=np.float64),
            "model_posterior": [float(r.model_posterior[m]) for m in range(self.s.num_models + 1)],
        }


cdef tuple _cards(const uint8_t *cards, int n):
    return tuple(Card(cards[i] >> 4 & 1, Species(cards[i] & 15)) for i in range(n))


cdef int _put_cards(uint8_t *dst, int cap, cards, str zone) except -1:
    cards = tuple(cards)
    if len(cards) > cap:
        raise ValueError(f"{zone} holds {len(cards)} cards, at most {cap} allowed")
    for i in range(cap):
        dst[i] = 0
    for i, card in enumerate(cards):
        owner, species = card
        if owner not in (0, 1):
            raise ValueError(f"{zone}: owner must be 0 or 1, got {owner!r}")
        dst[i] = <uint8_t>((owner << 4) | int(Species(species)))
    return len(cards)


cdef int _check_searchable(const c.bb_game *g, i) except -1:
    """ValueError unless the search (and determinize) can take game i: its
    cards' accounting (csrc/beasty.h, bb_game_check_cards)."""
    cdef const char *why = NULL
    if c.bb_game_check_cards(g, &why) != c.BB_OK:
        raise ValueError(f"game {i}: the search cannot take this state: {why.decode()}")
    return 0


cdef class GameBatch:
    """``n`` independent games stepped together by the C engine.

    Game ``i`` is dealt from seed ``seed + i`` (each game's own splitmix64
    stream).  With ``auto_reset`` a game that ends inside :meth:`step` is
    dealt again from the continuation of its own stream, so a batch never
    holds a finished game; without it, finished games stay finished and
    stepping them raises.

    A batch may be shared between threads: every method holds ``lock``
    (also while the C code runs without the GIL), so calls are serialised.
    """
    cdef c.bb_game *games
    cdef readonly int n
    cdef public bint auto_reset
    cdef readonly object lock

    def __cinit__(self, n=1, seed=0, early_stop=True, auto_reset=True):
        n = _check_int(n, "n")
        if not 1 <= n <= 1 << 24:
            raise ValueError(f"n must be in [1, 2**24], got {n}")
        self.games = <c.bb_game *>calloc(n, sizeof(c.bb_game))
        if self.games == NULL:
            raise MemoryError()
        self.n = n
        self.lock = threading.Lock()

    def __init__(self, n=1, seed=0, early_stop=True, auto_reset=True):
        self.auto_reset = bool(auto_reset)
        self.reset(seed, early_stop)

    def __dealloc__(self):
        free(self.games)

    def __len__(self):
        return self.n

    def reset(self, seed=0, early_stop=True):
        """Deals game i from seed ``seed + i``."""
        cdef uint64_t seed64 = check_seed(seed)
        cdef int early = _check_flag(early_stop, "early_stop")
        if seed64 + <uint64_t>(self.n - 1) < seed64:
            raise ValueError(f"seed + n - 1 must be below 2**64, got seed {seed} for {self.n} games")
        with self.lock, nogil:
            c.bb_batch_reset(self.games, self.n, seed64, early)

    def reset_games(self, idx, seeds, early_stop=True):
        """Deals game ``idx[j]`` from ``seeds[j]`` (each in [0, 2**64))."""
        cdef const int32_t[::1] idx_v
        cdef const uint64_t[::1] seeds_v
        cdef int early = _check_flag(early_stop, "early_stop")
        ids = self._idx(idx)
        if ids is None:
            raise TypeError("idx must name the games to deal")
        values = np.asarray(seeds)
        if values.shape != ids.shape or (values.size and values.dtype.kind not in "iu"):
            raise ValueError(f"seeds must be {len(ids)} integers, got shape {values.shape} "
                             f"and dtype {values.dtype}")
        if values.size and values.dtype.kind == "i" and values.min() < 0:
            raise ValueError("seeds must be in [0, 2**64)")
        if len(ids) == 0:
            return
        idx_v = ids
        seeds_v = np.ascontiguousarray(values, dtype=np.uint64)
        with self.lock, nogil:
            c.bb_batch_deal(self.games, self.n, &idx_v[0], <int32_t>idx_v.shape[0], &seeds_v[0], early)

    def reset_game(self, i, seed, early_stop=True):
        """Deals game i alone from ``seed``."""
        i = self._check_game(i)
        cdef uint64_t seed64 = check_seed(seed)
        cdef int early = _check_flag(early_stop, "early_stop")
        with self.lock:
            c.bb_game_reset(&self.games[i], seed64, early)

    cdef c.bb_game _copy_game(self, int i):
        """Game i (a checked index) copied under the lock."""
        with self.lock:
            return self.games[i]

    cdef int _check_game(self, i) except -1:
        i = _check_int(i, "game index")
        if not 0 <= i < self.n:
            raise IndexError(f"game index {i} out of range for a batch of {self.n}")
        return i

    cdef object _idx(self, idx):
        """None (all games) or a contiguous int32 array of valid indices."""
        if idx is None:
            return None
        arr = np.asarray(idx)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"idx must hold integers, got dtype {arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(f"idx must be 1-D, got shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.n):
            raise IndexError(f"idx holds a game index outside [0, {self.n})")
        return np.ascontiguousarray(arr, dtype=np.int32)

    # ------------------------------------------------------------ stepping
    def step(self, actions, idx=None, rewards=None, dones=None, scores=None):
        """Plays ``actions[j]`` in game ``idx[j]`` (all games if idx is None).

        Returns ``(rewards, dones, scores)``: float32 ``[k, 2]`` terminal
        rewards (+1/-1/0 per player, 0 while running), bool ``[k]`` and int32
        ``[k, 2]`` bar points (final points for a game that just ended),
        written into the given arrays when passed (C-contiguous, exactly
        that dtype and shape), so a loop need allocate nothing per step.
        Every action is checked before any game moves: an illegal one raises
        ``ValueError`` and leaves the whole batch unchanged."""
        cdef const int32_t[::1] idx_v
        cdef const int32_t[::1] act_v
        cdef float[:, ::1] rew_v
        cdef uint8_t[::1] done_v
        cdef int32_t[:, ::1] score_v
        cdef const int32_t *idx_p = NULL
        cdef int32_t bad = -1
        cdef int32_t k
        cdef c.bb_status st
        ids = self._idx(idx)
        k = self.n if ids is None else len(ids)
        if ids is not None and _repeats(ids, self.n):
            raise ValueError("idx must not name the same game twice in one step")
        acts = np.asarray(actions)
        if acts.dtype.kind not in "iu":
            raise TypeError(f"actions must hold integers, got dtype {acts.dtype}")
        if acts.shape != (k,):
            raise ValueError(f"actions must have shape ({k},), got {acts.shape}")
        # int32 and narrower go to C as they are, and C checks the range with
        # legality; wider values are checked here, before a cast could wrap them
        if not np.can_cast(acts.dtype, np.int32):
            _check_action_range(acts)
        acts32 = np.ascontiguousarray(acts, dtype=np.int32)
        rewards = _out_buffer(rewards, "rewards", np.float32, (k, 2))
        dones = _out_buffer(dones, "dones", np.bool_, (k,))
        scores = _out_buffer(scores, "scores", np.int32, (k, 2))
        if k == 0:
            return rewards, dones, scores
        act_v = acts32
        rew_v = rewards
        done_v = dones.view(np.uint8)
        score_v = scores
        if ids is not None:
            idx_v = ids
            idx_p = &idx_v[0]
        with self.lock, nogil:
            st = c.bb_batch_step(self.games, self.n, idx_p, k, &act_v[0], self.auto_reset,
                                 &rew_v[0, 0], &done_v[0], &score_v[0, 0], &bad)
        if st != c.BB_OK:
            _check_action_range(acts32)  # an index out of range is reported first, wherever it is
            game = bad if ids is None else int(ids[bad])
            if st == c.BB_ERR_DONE:
                raise ValueError(f"game {game} is over (position {bad}); reset it first")
            raise ValueError(f"{_status_message(st)} {int(acts[bad])} "
                             f"({ACTION_NAMES[int(acts[bad])]}) for game {game} at position {bad}; "
                             f"legal: {self.legal_actions(game)}")
        return rewards, dones, scores

    def observe(self, idx=None, obs=None, mask=None, players=None):
        """Observation (float32 ``[k, OBS_DIM]``) and legal mask (uint8
        ``[k, NUM_ACTIONS]``) of the player to move in each selected game,
        or of ``players[j]`` (0/1) in game ``idx[j]`` when given: then a
        finished game shows its final table from that seat, and the mask is
        all zero unless that player is to move.  Written into
        ``obs``/``mask`` when given (C-contiguous, exactly that dtype and
        shape) or into new arrays."""
        ids = self._idx(idx)
        cdef int32_t k = self.n if ids is None else len(ids)
        obs = _out_buffer(obs, "obs", np.float32, (k, c.BB_OBS_DIM))
        mask = _out_buffer(mask, "mask", np.uint8, (k, c.BB_NUM_ACTIONS))
        seats = None
        if players is not None:
            seats = np.asarray(players)
            if seats.dtype.kind not in "iu" or seats.shape != (k,):
                raise ValueError(f"players must be {k} integers (0 or 1), got shape {seats.shape} "
                                 f"and dtype {seats.dtype}")
            if k and (seats.min() < 0 or seats.max() > 1):
                raise ValueError("players must hold 0 or 1")
            seats = np.ascontiguousarray(seats, dtype=np.int32)
        self._observe_into(ids, k, seats, obs, mask)
        return obs, mask

    cdef void _observe_into(self, ids, int32_t k, seats, obs, mask):
        """bb_batch_observe over checked arguments: ``ids`` and ``seats``
        None or int32 [k], ``obs`` None or float32 [k, OBS_DIM], ``mask``
        uint8 [k, NUM_ACTIONS]."""
        cdef const int32_t[::1] idx_v
        cdef const int32_t[::1] seats_v
        cdef float[:, ::1] obs_v
        cdef uint8_t[:, ::1] mask_v = mask
        cdef const int32_t *idx_p = NULL
        cdef const int32_t *seats_p = NULL
        cdef float *obs_p = NULL
        if k == 0:
            return
        if ids is not None:
            idx_v = ids
            idx_p = &idx_v[0]
        if seats is not None:
            seats_v = seats
            seats_p = &seats_v[0]
        if obs is not None:
            obs_v = obs
            obs_p = &obs_v[0, 0]
        with self.lock, nogil:
            c.bb_batch_observe(self.games, self.n, idx_p, k, seats_p, obs_p, &mask_v[0, 0])

    def observe_player(self, i, player):
        """Observation of game i from ``player``'s point of view."""
        i = self._check_game(i)
        player = _check_int(player, "player")
        if player not in (0, 1):
            raise ValueError("player must be 0 or 1")
        out = np.zeros(c.BB_OBS_DIM, dtype=np.float32)
        cdef float[::1] v = out
        with self.lock:
            c.bb_game_observe(&self.games[i], player, &v[0])
        return out

    def random_actions(self, Rng rng not None, idx=None):
        """A uniformly random legal action per selected game (-1 if over),
        with a fresh seed drawn from ``rng``."""
        return self.actions(_RANDOM_POLICY, rng.next_u64(), idx)

    def actions(self, Policy policy not None, seed, idx=None):
        """``policy``'s choice per selected game (-1 for a finished game).

        Each decision's random stream is seeded from ``seed`` and what the
        mover knows (csrc/policy.h), so the same seed gives the same moves
        for a game alone or inside any batch."""
        cdef const int32_t[::1] idx_v
        cdef int32_t[::1] out_v
        cdef const int32_t *idx_p = NULL
        cdef int32_t k
        cdef uint64_t seed64 = check_seed(seed)
        if policy.policy.choose == NULL:
            raise TypeError(f"{type(policy).__name__} is not initialised: use RandomPolicy(), "
                            "ScriptedPolicy(params) or Search(...)")
        ids = self._idx(idx)
        k = self.n if ids is None else len(ids)
        out = np.empty(k, dtype=np.int32)
        if k == 0:
            return out
        out_v = out
        if ids is not None:
            idx_v = ids
            idx_p = &idx_v[0]
        if isinstance(policy, Search):
            with self.lock:
                for i in (range(k) if ids is None else ids):
                    _check_searchable(&self.games[i], int(i))
        with policy.lock, self.lock, nogil:
            cp.bb_batch_actions(self.games, self.n, idx_p, k, &policy.policy, seed64, &out_v[0], NULL)
        return out

    def agent_scores(self, i, AgentParams params not None):
        """Scores of every action for game i's mover (NaN where illegal)."""
        i = self._check_game(i)
        out = np.empty(c.BB_NUM_ACTIONS, dtype=np.float64)
        cdef double[::1] v = out
        with self.lock:
            c.bb_agent_scores(&self.games[i], &params.p, &v[0])
        return out

    # ------------------------------------------------------------ queries
    def legal_actions(self, i):
        i = self._check_game(i)
        cdef int32_t buf[64]
        cdef int32_t m
        with self.lock:
            m = c.bb_game_legal(&self.games[i], NULL, buf)
        return [int(buf[j]) for j in range(m)]

    def legal_masks(self, idx=None, mask=None):
        """The legal masks alone (uint8 ``[k, NUM_ACTIONS]``, all zero for a
        finished game), without computing observations; into ``mask`` when
        given (C-contiguous, exactly that dtype and shape)."""
        ids = self._idx(idx)
        cdef int32_t k = self.n if ids is None else len(ids)
        mask = _out_buffer(mask, "mask", np.uint8, (k, c.BB_NUM_ACTIONS))
        self._observe_into(ids, k, None, None, mask)
        return mask

    def legal_mask(self, i):
        i = self._check_game(i)
        out = np.zeros(c.BB_NUM_ACTIONS, dtype=np.uint8)
        cdef uint8_t[::1] v = out
        with self.lock:
            c.bb_game_legal(&self.games[i], &v[0], NULL)
        return out.view(bool)

    cdef object _field(self, int which):
        cdef int i
        out = np.empty(self.n, dtype=np.int32)
        cdef int32_t[::1] v = out
        with self.lock:
            for i in range(self.n):
                if which == 0:
                    v[i] = self.games[i].to_move
                elif which == 1:
                    v[i] = self.games[i].done
                elif which == 2:
                    v[i] = self.games[i].turn
                else:
                    v[i] = self.games[i].start_player
        return out

    @property
    def to_move(self):
        """int32 ``[n]``: the player to move in each game."""
        return self._field(0)

    @property
    def done(self):
        """bool ``[n]``: which games are over."""
        return self._field(1).astype(bool)

    @property
    def turn(self):
        """int32 ``[n]``: cards played so far in each game."""
        return self._field(2)

    @property
    def start_player(self):
        """int32 ``[n]``: who moved first in each game."""
        return self._field(3)

    def scores(self):
        """int32 ``[n, 2]`` current bar points."""
        cdef int i
        out = np.empty((self.n, 2), dtype=np.int32)
        cdef int32_t[:, ::1] v = out
        with self.lock:
            for i in range(self.n):
                c.bb_game_scores(&self.games[i], &v[i, 0])
        return out

    def winner(self, i):
        """0/1 for the winner of finished game i, None for a draw; raises if running."""
        i = self._check_game(i)
        with self.lock:
            w = c.bb_game_winner(&self.games[i])
        if w == -2:
            raise ValueError(f"game {i} is not over")
        return None if w == -1 else int(w)

    # ---------------------------------------------------------- conversion
    def get_state(self, i):
        """Game i as a :class:`beasty.rules.State`."""
        i = self._check_game(i)
        cdef c.bb_game g = self._copy_game(i)
        decks = tuple(_cards(&g.deck[p][g.deck_pos[p]], 8 - g.deck_pos[p]) for p in range(2))
        return State(
            queue=_cards(g.queue, g.queue_len),
            bar=_cards(g.bar, g.bar_len),
            thats_it=_cards(g.thats_it, g.ti_len),
            hands=(_cards(g.hand[0], g.hand_len[0]), _cards(g.hand[1], g.hand_len[1])),
            decks=decks,
            turn=int(g.turn),
            to_move=int(g.to_move),
            early_stop=bool(g.early_stop),
            history=tuple(int(g.history[t]) for t in range(g.history_len)),
        )

    def set_state(self, i, state, strict=True):
        """Loads a :class:`beasty.rules.State` into game i (its RNG stream is
        kept; the start player follows from ``to_move`` and ``turn``).  With
        ``strict`` the 24 cards must each appear exactly once; without it
        only the zone sizes and card codes are checked (for
        hand-made rule scenarios).  Raises ``ValueError`` on a bad state and
        leaves the game unchanged."""
        i = self._check_game(i)
        if not isinstance(state, State):
            raise TypeError(f"state must be a beasty.rules.State, got {type(state).__name__}")
        cdef c.bb_game g
        memset(&g, 0, sizeof(g))
        g.queue_len = _put_cards(g.queue, 4, state.queue, "queue")  # <= 4 between turns
        g.bar_len = _put_cards(g.bar, 24, state.bar, "bar")
        g.ti_len = _put_cards(g.thats_it, 24, state.thats_it, "thats_it")
        if len(state.hands) != 2 or len(state.decks) != 2:
            raise ValueError("hands and decks must hold one entry per player")
        cdef uint8_t tmp[8]
        for p in range(2):
            g.hand_len[p] = _put_cards(g.hand[p], 4, state.hands[p], f"hand {p}")
            m = _put_cards(tmp, 8, state.decks[p], f"deck {p}")
            g.deck_pos[p] = 8 - m
            for j in range(m):
                g.deck[p][8 - m + j] = tmp[j]
        turn = _check_int(state.turn, "turn")
        if not 0 <= turn <= 24:
            raise ValueError(f"turn must be in [0, 24], got {turn}")
        g.turn = turn
        to_move = _check_int(state.to_move, "to_move")
        if to_move not in (0, 1):
            raise ValueError(f"to_move must be 0 or 1, got {to_move}")
        g.to_move = to_move
        g.start_player = g.to_move ^ (g.turn & 1)
        history = tuple(state.history)
        if len(history) not in (0, turn):
            raise ValueError(f"history must be empty or hold one action per turn ({turn}), "
                             f"got {len(history)}")
        for t, a in enumerate(history):
            a = _check_int(a, "history action")
            if not 0 <= a < c.BB_NUM_ACTIONS:
                raise ValueError(f"history[{t}] = {a} is not an action index")
            g.history[t] = a
        g.history_len = len(history)
        g.early_stop = _check_flag(state.early_stop, "early_stop")
        g.done = c.bb_game_is_terminal(&g)
        cdef int full = _check_flag(strict, "strict")
        if c.bb_game_validate(&g, full) != c.BB_OK:
            raise ValueError("invalid state: " + (
                "it must be reachable by play (each player's 12 animals exactly once, hands and "
                "piles holding only their owner's cards, turn = cards played, players "
                "alternating, hands full while a pile lasts; strict=True)" if full else
                "zone sizes, card codes or player to move are inconsistent, or turn + cards in hands and piles "
                "exceeds 24"))
        with self.lock:
            g.rng = self.games[i].rng
            self.games[i] = g

    def determinize(self, i, seed):
        """A uniformly random full state consistent with what game i's mover
        knows (csrc/search.h), as a :class:`beasty.rules.State`.  Raises
        ``ValueError`` for a state the search cannot take (a hand-made one
        whose cards do not add up, csrc/beasty.h bb_game_check_cards)."""
        i = self._check_game(i)
        cdef uint64_t seed64 = check_seed(seed)
        cdef c.bb_rng rng
        cdef GameBatch one = GameBatch(1, auto_reset=False)
        c.bb_rng_seed(&rng, seed64)
        with self.lock:
            _check_searchable(&self.games[i], i)
            cs.bb_determinize(&self.games[i], &rng, &one.games[0], NULL)
        return one.get_state(0)

    def solve_endgame(self, i, margin=True):
        """Exact value of game i once both piles are empty, for the player
        to move: ``(result, margin, best_action, positions)`` with result
        +1/0/-1 under best play by both (win first, then points).  With
        ``margin=False`` only the result is solved (a far smaller search)
        and the margin is ``None``."""
        i = self._check_game(i)
        if not isinstance(margin, bool):
            raise TypeError(f"margin must be True or False, got {margin!r}")
        cdef c.bb_game g = self._copy_game(i)
        if g.deck_pos[0] != c.BB_DECK_MAX or g.deck_pos[1] != c.BB_DECK_MAX:
            raise ValueError(f"game {i} still has cards in a pile: its endgame is not exact yet")
        mover, other = g.hand_len[g.to_move], g.hand_len[1 - g.to_move]
        if not g.done and mover != other and mover != other + 1:
            raise ValueError(f"game {i}: the player to move must hold as many cards as the opponent or one "
                             f"more, or a turn comes with no card to play (hands {mover} and {other})")
        cdef int32_t best = -1
        cdef int64_t positions = 0
        cdef int32_t v
        cdef int32_t with_margin = margin
        with nogil:
            v = cs.bb_endgame_solve(&g, with_margin, &best, &positions)
        result = (v > 0) - (v < 0)
        return result, (int(v - 64 * result) if margin else None), int(best), int(positions)

    def clone(self):
        """An independent copy (same games, same RNG streams)."""
        cdef GameBatch other = GameBatch.__new__(GameBatch, self.n)
        with self.lock:
            memcpy(other.games, self.games, self.n * sizeof(c.bb_game))
        other.auto_reset = self.auto_reset
        return other

    def to_bytes(self):
        """The raw games (for pickling across processes of one build)."""
        with self.lock:
            return (<char *>self.games)[:self.n * sizeof(c.bb_game)]

    @staticmethod
    def from_bytes(data, auto_reset=True):
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("data must be bytes")
        if len(data) == 0 or len(data) % sizeof(c.bb_game):
            raise ValueError("data is not a whole number of games")
        cdef int n = len(data) // sizeof(c.bb_game)
        cdef GameBatch other = GameBatch.__new__(GameBatch, n)
        cdef const unsigned char[::1] buf = bytes(data)
        memcpy(other.games, &buf[0], n * sizeof(c.bb_game))
        for j in range(n):
            if c.bb_game_validate(&other.games[j], 1) != c.BB_OK:
                raise ValueError(f"game {j} in data is not a valid state (GameBatch.set_state "
                                 "with strict=True lists what a state must satisfy)")
        other.auto_reset = bool(auto_reset)
        return other

    def __reduce__(self):
        return (GameBatch.from_bytes, (self.to_bytes(), self.auto_reset))


cdef bint _repeats(const int32_t[::1] idx, int n):
    """Whether a (checked) index list names a game twice: O(k), not a sort."""
    cdef uint8_t[::1] seen = np.zeros(n, dtype=np.uint8)
    cdef Py_ssize_t j
    cdef bint twice = False
    with nogil:
        for j in range(idx.shape[0]):
            if seen[idx[j]]:
                twice = True
                break
            seen[idx[j]] = 1
    return twice


cdef _check_action_range(acts):
    """Raises for the first action index outside 0..NUM_ACTIONS-1."""
    if acts.size and (acts.min() < 0 or acts.max() >= c.BB_NUM_ACTIONS):
        j = int(np.flatnonzero((acts < 0) | (acts >= c.BB_NUM_ACTIONS))[0])
        raise ValueError(f"illegal action index {int(acts[j])} at position {j} "
                         f"(valid indices are 0..{c.BB_NUM_ACTIONS - 1})")


cdef object _out_buffer(buf, str name, dtype, tuple shape):
    if buf is None:
        return np.zeros(shape, dtype=dtype)
    if not isinstance(buf, np.ndarray):
        raise TypeError(f"{name} must be a numpy array")
    if buf.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {buf.dtype}")
    if buf.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {buf.shape}")
    if not buf.flags.c_contiguous or not buf.flags.writeable:
        raise ValueError(f"{name} must be C-contiguous and writeable")
    return buf
