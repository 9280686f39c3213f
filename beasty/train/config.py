"""Training configuration: dataclasses loaded from YAML with strict checks.

Unknown keys, wrong types and out-of-range values raise ``ConfigError``
naming the offending key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from beasty.agents import OPPONENT_NAMES
from beasty.files import load_yaml
from beasty.policy.network import ENCODERS, NetworkConfig
from beasty.train.schedules import DECAYS

POOL_SPECIAL = ("self", "checkpoint")
GENERATION_BACKENDS = ("inprocess", "processes", "ray")
MAX_ITERATIONS = 10**7
SHIPPED = resources.files("beasty") / "configs"


class ConfigError(ValueError):
    """A configuration file or value is invalid."""


@dataclass
class PPOConfig:
    learning_rate: float = 3e-4
    min_learning_rate: float = 1e-5
    """Linear decay target at the last iteration."""
    warmup_iterations: int = 0
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_epsilon: float = 0.2
    value_clip: float = 0.2
    """Clip range of the value around the rollout value (0 disables)."""
    value_coef: float = 0.5
    epochs: int = 4
    minibatch_size: int = 1024
    max_grad_norm: float = 0.5
    target_kl: float | None = None
    """Stop the epoch loop once the approximate KL exceeds this."""
    normalize_advantages: bool = True


@dataclass
class ScheduleConfig:
    start: float = 1.0
    end: float = 1.0
    decay: str = "linear"


@dataclass
class OpponentConfig:
    weights: dict[str, float] = field(
        default_factory=lambda: {"self": 0.4, "checkpoint": 0.1, **{n: 0.05 for n in OPPONENT_NAMES}}
    )
    """Initial sampling weight per opponent: "self", "checkpoint" or an opponent name."""
    adaptive: bool = True
    """Recompute weights after each evaluation: max(1 - win_rate, min_weight)."""
    min_weight: float = 0.05
    pool_checkpoint_frequency: int = 10
    """Snapshot the learner into the checkpoint pool every N iterations."""
    max_checkpoints: int = 10


@dataclass
class GenerationConfig:
    games_per_iteration: int = 256
    games_per_chunk: int = 64
    """Games per opponent draw; each chunk is one GameBatch vs one opponent type."""
    backend: str = "inprocess"
    """Where the games are played: "inprocess", "processes" (spawned worker
    processes) or "ray" (Ray actors; the beasty[ray] extra, see ``ray``)."""
    async_num_workers: int = 2
    """Worker processes or Ray actors of the other backends."""


@dataclass
class RayConfig:
    address: str = ""
    """"" starts a local Ray with async_num_workers CPUs; else ray.init's
    address ("auto", "ray://head:10001") of an existing cluster."""


@dataclass
class EvalConfig:
    frequency: int = 10
    """Evaluate every N iterations (and after the last)."""
    games: int = 200
    """Games per opponent (even: each deal from both seats)."""
    opponents: list[str] = field(default_factory=lambda: list(OPPONENT_NAMES))
    final_games: int = 0
    """Games per opponent for the final table (0 = same as games)."""


@dataclass
class TrainConfig:
    run_name: str = "beasty"
    out_dir: str = "runs"
    seed: int = 0
    total_iterations: int = 50
    checkpoint_frequency: int = 10
    resume_from: str | None = None
    """Checkpoint to continue from (its iteration, model, optimiser, pool, RNG)."""
    start_iteration: int | None = None
    """If set, the checkpoint in resume_from must be at this iteration."""
    num_threads: int = 0
    """torch intra-op threads in the main process (0 = torch default)."""
    progress: bool = True
    network: NetworkConfig = field(default_factory=NetworkConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    entropy: ScheduleConfig = field(default_factory=lambda: ScheduleConfig(0.04, 0.01, "linear"))
    temperature: ScheduleConfig = field(default_factory=lambda: ScheduleConfig(1.0, 0.5, "linear"))
    opponents: OpponentConfig = field(default_factory=OpponentConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.run_name

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> TrainConfig:
        """Checks every value's range; ``ConfigError`` names the key."""

        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ConfigError(msg)

        def within(key: str, value: float, low: float, high: float) -> None:
            need(low <= value <= high, f"{key} must be in [{low:g}, {high:g}], got {value!r}")

        n, p = self.network, self.ppo
        within("seed", self.seed, 0, 2**64 - 1)
        need(
            bool(self.run_name)
            and self.run_name not in (".", "..", "latest")
            and "/" not in self.run_name
            and "\\" not in self.run_name
            and "\0" not in self.run_name,
            f"run_name must be a plain folder name inside out_dir (not 'latest'), got {self.run_name!r}",
        )
        need(bool(self.out_dir) and "\0" not in self.out_dir, "out_dir must be a folder path")
        within("total_iterations", self.total_iterations, 1, MAX_ITERATIONS)
        within("checkpoint_frequency", self.checkpoint_frequency, 1, MAX_ITERATIONS)
        within("num_threads", self.num_threads, 0, 1024)
        need(self.start_iteration is None or self.start_iteration >= 0, "start_iteration must be >= 0")
        need(n.encoder in ENCODERS, f"network.encoder must be one of {', '.join(ENCODERS)}: {n.encoder!r}")
        within("network.hidden_dim", n.hidden_dim, 2, 4096)
        within("network.species_embedding_dim", n.species_embedding_dim, 1, 4096)
        within("network.num_heads", n.num_heads, 1, 64)
        need(
            n.encoder == "flat" or n.hidden_dim % n.num_heads == 0,
            "network.num_heads must divide network.hidden_dim",
        )
        within("network.num_layers", n.num_layers, 0, 32)
        within("network.depth", n.depth, 1, 16)
        need(0.0 <= n.dropout < 1.0, f"network.dropout must be in [0, 1), got {n.dropout!r}")
        need(0 < p.learning_rate <= 10, f"ppo.learning_rate must be in (0, 10], got {p.learning_rate!r}")
        within("ppo.min_learning_rate", p.min_learning_rate, 0.0, p.learning_rate)
        within("ppo.warmup_iterations", p.warmup_iterations, 0, MAX_ITERATIONS)
        need(0 < p.gamma <= 1, f"ppo.gamma must be in (0, 1], got {p.gamma!r}")
        within("ppo.gae_lambda", p.gae_lambda, 0.0, 1.0)
        need(0 < p.clip_epsilon <= 10, f"ppo.clip_epsilon must be in (0, 10], got {p.clip_epsilon!r}")
        within("ppo.value_clip", p.value_clip, 0.0, 1e6)
        within("ppo.value_coef", p.value_coef, 0.0, 1e6)
        within("ppo.epochs", p.epochs, 1, 1000)
        within("ppo.minibatch_size", p.minibatch_size, 1, 2**20)
        need(0 < p.max_grad_norm <= 1e6, f"ppo.max_grad_norm must be in (0, 1e6], got {p.max_grad_norm!r}")
        need(p.target_kl is None or p.target_kl > 0, "ppo.target_kl must be > 0 or null")
        for name, s in (("entropy", self.entropy), ("temperature", self.temperature)):
            need(s.decay in DECAYS, f"{name}.decay must be one of {DECAYS}")
            within(f"{name}.start", s.start, 0.0, 1e3)
            within(f"{name}.end", s.end, 0.0, 1e3)
            if s.decay == "exponential":
                need(s.start > 0 and s.end > 0, f"{name}: exponential decay needs start, end > 0")
        need(self.temperature.start > 0 and self.temperature.end > 0, "temperature start/end must be > 0")
        o = self.opponents
        need(0 < o.min_weight <= 1, f"opponents.min_weight must be in (0, 1], got {o.min_weight!r}")
        need(bool(o.weights), "opponents.weights must not be empty")
        for k, w in o.weights.items():
            need(k in POOL_SPECIAL or k in OPPONENT_NAMES, f"opponents.weights: unknown opponent {k!r}")
            within(f"opponents.weights.{k}", w, 0.0, 1e6)
        need(sum(o.weights.values()) > 0, "opponents.weights must not all be 0")
        within("opponents.pool_checkpoint_frequency", o.pool_checkpoint_frequency, 1, MAX_ITERATIONS)
        within("opponents.max_checkpoints", o.max_checkpoints, 1, 1000)
        g = self.generation
        within("generation.games_per_iteration", g.games_per_iteration, 2, 2**20)
        within("generation.games_per_chunk", g.games_per_chunk, 2, 2**20)
        need(g.games_per_chunk % 2 == 0, "generation.games_per_chunk must be even (mirrored deals)")
        within("generation.async_num_workers", g.async_num_workers, 1, 256)
        need(
            g.backend in GENERATION_BACKENDS,
            f"generation.backend must be one of {', '.join(GENERATION_BACKENDS)}, got {g.backend!r}",
        )
        e = self.eval
        within("eval.frequency", e.frequency, 1, MAX_ITERATIONS)
        within("eval.games", e.games, 2, 10**7)
        need(e.games % 2 == 0, "eval.games must be even (mirrored deals)")
        within("eval.final_games", e.final_games, 0, 10**7)
        need(e.final_games % 2 == 0, "eval.final_games must be even (mirrored deals)")
        for name in e.opponents:
            need(name in OPPONENT_NAMES, f"eval.opponents: unknown opponent {name!r}")
        need(
            self.start_iteration is None or self.resume_from is not None, "start_iteration needs resume_from"
        )
        return self


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, key)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping, got {type(value).__name__}")
        return _build(tp, value, key + ".")
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping")
        _, vt = typing.get_args(tp)
        return {str(k): _convert(vt, v, f"{key}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list")
        (it,) = typing.get_args(tp)
        return [_convert(it, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{key} must be a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported type {tp}")  # pragma: no cover


def _build(cls: Any, data: dict[str, Any], prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(prefix + k for k in unknown)}")
    kwargs = {k: _convert(hints[k], v, prefix + k) for k, v in data.items()}
    return cls(**kwargs)


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Older configs (and the configs stored in older checkpoints) said
    ``generation.async_game_generation: true|false`` for the backend."""
    generation = data.get("generation")
    if not isinstance(generation, dict) or "async_game_generation" not in generation:
        return data
    generation = dict(generation)
    spawn = _convert(bool, generation.pop("async_game_generation"), "generation.async_game_generation")
    generation.setdefault("backend", "processes" if spawn else "inprocess")
    return {**data, "generation": generation}


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    if not isinstance(data, dict):
        raise ConfigError("the config must be a YAML mapping at the top level")
    cfg: TrainConfig = _build(TrainConfig, _upgrade(data))
    return cfg.validate()


def shipped_configs() -> list[str]:
    """The names of the configs inside the package (``beasty/configs``)."""
    return sorted(p.name[:-5] for p in SHIPPED.iterdir() if p.name.endswith(".yaml"))


def resolve_config(path: str | Path) -> Path:
    """A YAML file, or the name of a shipped config (``default``, ``long``...)."""
    text = str(path)
    if not Path(text).exists() and text in shipped_configs():
        return Path(str(SHIPPED / f"{text}.yaml"))
    return Path(text)


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Reads a YAML config (a file, or a shipped config's name: see
    :func:`shipped_configs`); ``overrides`` maps dotted keys to values."""
    path = resolve_config(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(
            f"cannot read config {path}: {e.strerror or e} (shipped configs: {', '.join(shipped_configs())})"
        ) from e
    try:
        data = load_yaml(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a YAML mapping at the top level")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {dotted}: {part} is not a mapping")
        node[leaf] = value
    return config_from_dict(data)
