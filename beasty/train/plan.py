"""The original training plan's flat config format, read into today's.

The project began from a plan whose config files (``network_config``,
``ppo_config``, ``entropy_schedule``, ``opponent_config``, ...) users of the
original project still have; ``beasty/configs/plan_iter600_to_1000.yaml``
is one, verbatim.  :func:`from_plan` maps every key of that format onto
today's settings (docs/TRAINING.md has the table) and says, one line each,
what a key that cannot apply here means instead.
"""

from __future__ import annotations

from typing import Any

from beasty.agents import OPPONENT_NAMES

#: Top-level keys only the plan's format has: one of them marks a plan file.
PLAN_KEYS = frozenset({
    "network_config", "ppo_config", "games_per_iteration", "eval_frequency", "entropy_schedule",
    "entropy_start", "entropy_end", "temperature_schedule", "temperature_start", "temperature_end",
    "use_opponent_pool", "use_adaptive_weights", "min_opponent_weight", "opponent_config",
    "use_heuristic_variants", "use_exploit_patch", "exploit_patch_interval", "force_cython",
    "async_game_generation", "async_num_workers", "buffer_size", "experiment_name", "eval_opponents",
})  # fmt: skip
#: The scripted opponents the plan's ``heuristic_weight`` is shared among
#: with ``use_heuristic_variants`` (all but random).
HEURISTIC_VARIANTS = tuple(name for name in OPPONENT_NAMES if name != "random")

_NETWORK = {"hidden_dim", "num_heads", "num_layers", "dropout", "species_embedding_dim"}
_PPO = {
    "learning_rate": "learning_rate", "clip_epsilon": "clip_epsilon", "value_coef": "value_coef",
    "gamma": "gamma", "gae_lambda": "gae_lambda", "ppo_epochs": "epochs", "minibatch_size": "minibatch_size",
    "max_grad_norm": "max_grad_norm", "normalize_advantages": "normalize_advantages",
    "target_kl": "target_kl",
}  # fmt: skip
_TOP = {
    "total_iterations": ("total_iterations",), "checkpoint_frequency": ("checkpoint_frequency",),
    "seed": ("seed",), "device": ("device",), "experiment_name": ("run_name",),
    "games_per_iteration": ("generation", "games_per_iteration"), "eval_frequency": ("eval", "frequency"),
    "eval_opponents": ("eval", "opponents"), "entropy_schedule": ("entropy", "decay"),
    "entropy_start": ("entropy", "start"), "entropy_end": ("entropy", "end"),
    "temperature_schedule": ("temperature", "decay"), "temperature_start": ("temperature", "start"),
    "temperature_end": ("temperature", "end"), "use_adaptive_weights": ("opponents", "adaptive"),
    "min_opponent_weight": ("opponents", "min_weight"),
    "async_num_workers": ("generation", "async_num_workers"),
}  # fmt: skip
#: The original's cycle when the plan names none (its exploiters, 50
#: iterations of 128 games kept at 55 %, are ExploitPatchConfig's defaults).
EXPLOIT_DEFAULT_INTERVAL = 100
_WEIGHTS = {"current_weight": "self", "checkpoint_weight": "checkpoint", "random_weight": "random"}
#: The plan's true/false keys that this module reads itself.
_SWITCHES = ("use_opponent_pool", "use_heuristic_variants", "use_exploit_patch", "async_game_generation",
             "force_cython")  # fmt: skip


class PlanError(ValueError):
    """A plan-format config that cannot be read."""


def is_plan(data: dict[str, Any]) -> bool:
    """Whether a config mapping is in the plan's format."""
    return bool(PLAN_KEYS & set(data))


def _put(out: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        out = out.setdefault(part, {})
    out[path[-1]] = value


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise PlanError(f"plan key {name} must be a mapping, got {section!r}")
    return section


def from_plan(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Today's config mapping for a plan-format one, and one note per key
    that does not apply as written.  Unknown keys raise :class:`PlanError`."""
    out: dict[str, Any] = {"network": {"encoder": "attention"}}
    notes: list[str] = []
    unknown = sorted(set(data) - PLAN_KEYS - set(_TOP))
    if unknown:
        raise PlanError(f"unknown plan key(s): {', '.join(unknown)}")
    switches = {key: data[key] for key in _SWITCHES if key in data}
    if "clip_value" in _section(data, "ppo_config"):
        switches["ppo_config.clip_value"] = data["ppo_config"]["clip_value"]
    for key, value in switches.items():
        if not isinstance(value, bool):
            raise PlanError(f"plan key {key} must be true or false, got {value!r}")
    for key, path in _TOP.items():
        if key in data:
            _put(out, path, data[key])
    network = _section(data, "network_config")
    for key, value in network.items():
        if key not in _NETWORK:
            raise PlanError(f"unknown plan key network_config.{key}")
        out["network"][key] = value
    ppo = _section(data, "ppo_config")
    for key, value in ppo.items():
        if key in _PPO:
            _put(out, ("ppo", _PPO[key]), value)
        elif key == "entropy_coef":
            if "entropy_start" not in data:
                _put(out, ("entropy", "start"), value)
            else:
                notes.append("ppo_config.entropy_coef: the entropy schedule's entropy_start sets it")
        elif key == "clip_value":
            # CleanRL's clip_vloss: the value is clipped with the policy's range
            _put(out, ("ppo", "value_clip"), ppo.get("clip_epsilon", 0.2) if value else 0.0)
        else:
            raise PlanError(f"unknown plan key ppo_config.{key}")
    if data.get("use_opponent_pool", True) is False:
        _put(out, ("opponents", "weights"), {"self": 1.0})
        notes.append("use_opponent_pool false: self-play only")
    opponents = _section(data, "opponent_config")
    weights: dict[str, Any] = {}
    for key, value in opponents.items():
        if key in _WEIGHTS:
            weights[_WEIGHTS[key]] = value
        elif key == "heuristic_weight":
            variants = HEURISTIC_VARIANTS if data.get("use_heuristic_variants", False) else ("heuristic",)
            share = value / len(variants) if isinstance(value, (int, float)) else value
            weights.update(dict.fromkeys(variants, share))
        elif key == "max_checkpoints":
            _put(out, ("opponents", "max_checkpoints"), value)
        else:
            raise PlanError(f"unknown plan key opponent_config.{key}")
    if weights and data.get("use_opponent_pool", True) is not False:
        _put(out, ("opponents", "weights"), weights)
    if data.get("use_exploit_patch") is True:
        interval = data.get("exploit_patch_interval", EXPLOIT_DEFAULT_INTERVAL)
        _put(out, ("opponents", "exploit_patch", "interval"), interval)  # the rest: the original's defaults
    elif "exploit_patch_interval" in data:
        notes.append("exploit_patch_interval: use_exploit_patch is not true, so no exploiters are trained")
    if "async_game_generation" in data:
        spawn = data["async_game_generation"]
        _put(out, ("generation", "backend"), "processes" if spawn is True else "inprocess")
    if "force_cython" in data:
        notes.append("force_cython: the C engine is the only path here, so it is always on")
    if "buffer_size" in data:
        notes.append(
            "buffer_size: PPO here is on-policy, each iteration's games are its buffer "
            "(generation.games_per_iteration)"
        )
    if "use_heuristic_variants" in data and "heuristic_weight" not in opponents:
        notes.append("use_heuristic_variants: there is no opponent_config.heuristic_weight to share out")
    return out, notes
