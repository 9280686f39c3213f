"""``beasty._ext``: the compiled engine (C core + Cython binding).

>>> from beasty._ext import GameBatch, Rng
>>> games = GameBatch(1024, seed=0)
>>> obs, mask = games.observe()
>>> rewards, dones, scores = games.step(games.random_actions(Rng(1)))
"""

try:
    from beasty._ext._engine import (
        ACTION_NAMES,
        NET_MAX_DEPTH,
        NET_MAX_HIDDEN,
        NET_OUTPUTS,
        NUM_ACTIONS,
        OBS_DIM,
        OBS_SEGMENTS,
        QUEUE_MAX,
        SCALAR_NAMES,
        SEARCH_DEFAULTS,
        AgentParams,
        GameBatch,
        Network,
        Policy,
        RandomPolicy,
        Rng,
        ScriptedPolicy,
        Search,
        action_table,
        check_seed,
        network_size,
    )
except ModuleNotFoundError as e:  # pragma: no cover - depends on how beasty was installed
    if e.name != "beasty._ext._engine":
        raise
    raise ImportError(
        "beasty._ext._engine is not built here. Install the package (pip install .) and run from "
        "outside the source tree, or use `pytest` rather than `python -m pytest` in the checkout: "
        "the source folder on sys.path shadows the installed, compiled package."
    ) from e

__all__ = [
    "ACTION_NAMES",
    "NET_MAX_DEPTH",
    "NET_MAX_HIDDEN",
    "NET_OUTPUTS",
    "NUM_ACTIONS",
    "OBS_DIM",
    "OBS_SEGMENTS",
    "QUEUE_MAX",
    "SCALAR_NAMES",
    "SEARCH_DEFAULTS",
    "AgentParams",
    "GameBatch",
    "Network",
    "Policy",
    "RandomPolicy",
    "Rng",
    "ScriptedPolicy",
    "Search",
    "action_table",
    "check_seed",
    "network_size",
]
