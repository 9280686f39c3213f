"""Training configuration: a declared schema (:mod:`beasty.schema`) loaded from YAML.

Unknown keys, wrong types and out-of-range values raise ``ConfigError``
naming the offending key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import torch
import yaml
from pydantic import AfterValidator, Field, field_validator, model_validator

from beasty.agents import OPPONENT_NAMES
from beasty.files import load_yaml
from beasty.policy.network import NetworkConfig
from beasty.schema import Schema, even, one_of, parse, within
from beasty.train.plan import PlanError, from_plan, is_plan
from beasty.train.schedules import DECAYS

POOL_SPECIAL = ("self", "checkpoint")
GENERATION_BACKENDS = ("inprocess", "processes", "ray")
MAX_ITERATIONS = 10**7
DEVICES = ("auto", "cpu", "cuda")
SHIPPED = resources.files("beasty") / "configs"
Iterations = Annotated[int, within(1, MAX_ITERATIONS)]


class ConfigError(ValueError):
    """A configuration file or value is invalid."""


class PPOConfig(Schema):
    learning_rate: Annotated[float, within(0, 10, open_low=True)] = 3e-4
    """Adam's learning rate at the start (after any warm-up)."""
    min_learning_rate: Annotated[float, within(0, 10)] = 1e-5
    """Linear decay target at the last iteration (at most learning_rate)."""
    warmup_iterations: Annotated[int, within(0, MAX_ITERATIONS)] = 0
    """Iterations of linear warm-up from 0 to learning_rate."""
    gamma: Annotated[float, within(0, 1, open_low=True)] = 0.99
    """Discount per learner move."""
    gae_lambda: Annotated[float, within(0, 1)] = 0.95
    """GAE's lambda: 0 bootstraps from the next value, 1 uses the whole return."""
    clip_epsilon: Annotated[float, within(0, 10, open_low=True)] = 0.2
    """Clip range of the probability ratio."""
    value_clip: Annotated[float, within(0, 1e6)] = 0.2
    """Clip range of the value around the rollout value (0 disables)."""
    value_coef: Annotated[float, within(0, 1e6)] = 0.5
    """Weight of the value loss."""
    epochs: Annotated[int, within(1, 1000)] = 4
    """Passes over the iteration's decisions."""
    minibatch_size: Annotated[int, within(1, 2**20)] = 1024
    """Decisions per optimiser step."""
    max_grad_norm: Annotated[float, within(0, 1e6, open_low=True)] = 0.5
    """Gradients are scaled down to at most this global norm."""
    target_kl: Annotated[float, within(0, 1e6, open_low=True)] | None = None
    """Stop the epoch loop once the approximate KL exceeds this."""
    normalize_advantages: bool = True
    """Standardise the advantages within each minibatch."""

    @model_validator(mode="after")
    def _decays_to_below_start(self) -> PPOConfig:
        if self.min_learning_rate > self.learning_rate:
            raise ValueError(
                f"min_learning_rate must be in [0, {self.learning_rate:g}] (learning_rate), "
                f"got {self.min_learning_rate!r}"
            )
        return self


class ScheduleConfig(Schema):
    start: Annotated[float, within(0, 1e3)] = 1.0
    """The value at the first iteration."""
    end: Annotated[float, within(0, 1e3)] = 1.0
    """The value at total_iterations."""
    decay: Annotated[str, one_of(DECAYS)] = "linear"
    """The path from start to end (beasty/train/schedules.py)."""

    @model_validator(mode="after")
    def _exponential_needs_positive(self) -> ScheduleConfig:
        if self.decay == "exponential" and not (self.start > 0 and self.end > 0):
            raise ValueError("start: exponential decay needs start, end > 0")
        return self


class ExploitPatchConfig(Schema):
    interval: Annotated[int, within(0, MAX_ITERATIONS)] = 0
    """Every N iterations train a fresh exploiter against the frozen learner (0: never)."""
    iterations: Annotated[int, within(1, 100_000)] = 50
    """PPO iterations of each exploiter."""
    games: Annotated[int, within(2, 2**20), even] = 128
    """Games per exploiter iteration, all against the frozen learner (even: mirrored deals)."""
    eval_games: Annotated[int, within(2, 10**6), even] = 200
    """Mirrored games measuring the exploiter's win rate against the learner (even)."""
    keep_threshold: Annotated[float, within(0, 1)] = 0.55
    """An exploiter joins the opponent pool only if it wins at least this share."""
    start: Annotated[str, one_of(("fresh", "learner"))] = "fresh"
    """An exploiter starts from new weights (the original plan's) or from a copy of the learner's."""


class OpponentConfig(Schema):
    weights: dict[str, Annotated[float, within(0, 1e6)]] = Field(
        default_factory=lambda: {"self": 0.4, "checkpoint": 0.1, **{n: 0.05 for n in OPPONENT_NAMES}}
    )
    """Initial sampling weight per opponent: "self", "checkpoint" or an opponent name."""
    adaptive: bool = True
    """Recompute weights after each evaluation: max(1 - win_rate, min_weight)."""
    min_weight: Annotated[float, within(0, 1, open_low=True)] = 0.05
    """The adaptive weights' floor, so no opponent is ever dropped."""
    pool_checkpoint_frequency: Iterations = 10
    """Snapshot the learner into the checkpoint pool every N iterations."""
    max_checkpoints: Annotated[int, within(1, 1000)] = 10
    """Snapshots kept in the pool (the oldest leave first)."""
    exploit_patch: ExploitPatchConfig = Field(default_factory=ExploitPatchConfig)

    @field_validator("weights")
    @classmethod
    def _known_opponents(cls, weights: dict[str, float]) -> dict[str, float]:
        for name in weights:
            if name not in POOL_SPECIAL and name not in OPPONENT_NAMES:
                raise ValueError(f"must name known opponents: unknown opponent {name!r}")
        if not weights or sum(weights.values()) <= 0:
            raise ValueError("must not be empty or all 0")
        return weights


class GenerationConfig(Schema):
    games_per_iteration: Annotated[int, within(2, 2**20)] = 256
    """Games played per iteration, in chunks of games_per_chunk."""
    games_per_chunk: Annotated[int, within(2, 2**20), even] = 64
    """Games per opponent draw; each chunk is one GameBatch vs one opponent type (even: mirrored deals)."""
    backend: Annotated[str, one_of(GENERATION_BACKENDS)] = "inprocess"
    """Where the games are played: "inprocess", "processes" (spawned worker
    processes) or "ray" (Ray actors; the beasty[ray] extra, see ``ray``)."""
    async_num_workers: Annotated[int, within(1, 256)] = 2
    """Worker processes or Ray actors of the other backends."""


class RayConfig(Schema):
    address: str = ""
    """"" starts a local Ray with async_num_workers CPUs; else ray.init's
    address ("auto", "ray://head:10001") of an existing cluster."""


class EvalConfig(Schema):
    frequency: Iterations = 10
    """Evaluate every N iterations (and after the last)."""
    games: Annotated[int, within(2, 10**7), even] = 200
    """Games per opponent (even: each deal from both seats)."""
    opponents: list[str] = Field(default_factory=lambda: list(OPPONENT_NAMES))
    """The reference opponents the greedy learner is evaluated against."""
    final_games: Annotated[int, within(0, 10**7), even] = 0
    """Games per opponent for the final table (0 = same as games)."""

    @field_validator("opponents")
    @classmethod
    def _known_opponents(cls, names: list[str]) -> list[str]:
        for name in names:
            if name not in OPPONENT_NAMES:
                raise ValueError(f"must name reference opponents: unknown opponent {name!r}")
        return names


def _run_name(name: str) -> str:
    if not name or name in (".", "..", "latest") or any(c in name for c in "/\\\0"):
        raise ValueError(f"must be a plain folder name inside out_dir (not 'latest'), got {name!r}")
    return name


def _folder(path: str) -> str:
    if not path or "\0" in path:
        raise ValueError(f"must be a folder path, got {path!r}")
    return path


class TrainConfig(Schema):
    run_name: Annotated[str, AfterValidator(_run_name)] = "beasty"
    """The run's folder inside out_dir (a new one, -2, -3..., if it holds a run)."""
    out_dir: Annotated[str, AfterValidator(_folder)] = "runs"
    """Where run folders go (out_dir/latest links to the newest)."""
    seed: Annotated[int, within(0, 2**64 - 1)] = 0
    """Seeds the network, the deals, the opponent draws and the sampling."""
    total_iterations: Iterations = 50
    """Iterations of the whole run (the schedules' length)."""
    checkpoint_frequency: Iterations = 10
    """Checkpoint every N iterations (and after the last)."""
    resume_from: str | None = None
    """Checkpoint to continue from (its iteration, model, optimiser, pool, RNG)."""
    start_iteration: Annotated[int, within(0, MAX_ITERATIONS)] | None = None
    """If set, the checkpoint in resume_from must be at this iteration."""
    num_threads: Annotated[int, within(0, 1024)] = 0
    """torch intra-op threads in the main process (0 = torch default)."""
    progress: bool = True
    """A progress bar on the terminal."""
    device: Annotated[str, one_of(DEVICES)] = "auto"
    """Where the networks train: auto (a GPU when torch sees one), cpu or cuda; games are played in C."""
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    ppo: PPOConfig = Field(default_factory=PPOConfig)
    entropy: ScheduleConfig = Field(default_factory=lambda: ScheduleConfig(start=0.04, end=0.01))
    temperature: ScheduleConfig = Field(default_factory=lambda: ScheduleConfig(start=1.0, end=0.5))
    opponents: OpponentConfig = Field(default_factory=OpponentConfig)
    generation: GenerationConfig = Field(default_factory=GenerationConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if not (self.temperature.start > 0 and self.temperature.end > 0):
            raise ValueError("temperature start/end must be > 0")
        if self.start_iteration is not None and self.resume_from is None:
            raise ValueError("start_iteration needs resume_from")
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.run_name

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Older configs (and the configs stored in older checkpoints) said
    ``generation.async_game_generation: true|false`` for the backend."""
    generation = data.get("generation")
    if not isinstance(generation, dict) or "async_game_generation" not in generation:
        return data
    generation = dict(generation)
    spawn = generation.pop("async_game_generation")
    if not isinstance(spawn, bool):
        raise ConfigError(f"generation.async_game_generation must be true or false, got {spawn!r}")
    generation.setdefault("backend", "processes" if spawn else "inprocess")
    return {**data, "generation": generation}


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    if not isinstance(data, dict):
        raise ConfigError("the config must be a YAML mapping at the top level")
    return parse(TrainConfig, _upgrade(data), ConfigError)


def torch_device(name: str) -> torch.device:
    """The torch device of a ``device`` setting; ConfigError for cuda without a GPU."""
    if name not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device cuda: torch sees no GPU here (set device: cpu or auto)")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def shipped_configs() -> list[str]:
    """The names of the configs inside the package (``beasty/configs``)."""
    return sorted(p.name[:-5] for p in SHIPPED.iterdir() if p.name.endswith(".yaml"))


def resolve_config(path: str | Path) -> Path:
    """A YAML file, or the name of a shipped config (``default``, ``long``...)."""
    text = str(path)
    if not Path(text).exists() and text in shipped_configs():
        return Path(str(SHIPPED / f"{text}.yaml"))
    return Path(text)


def load_config(
    path: str | Path, overrides: dict[str, Any] | None = None, on_note: Callable[[str], None] | None = None
) -> TrainConfig:
    """Reads a YAML config (a file, or a shipped config's name: see
    :func:`shipped_configs`); ``overrides`` maps dotted keys to values.  A
    file in the original plan's format (:mod:`beasty.train.plan`) is read
    into today's first, ``on_note`` hearing what of it does not apply as written."""
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
    if is_plan(data):
        try:
            data, notes = from_plan(data)
        except PlanError as e:
            raise ConfigError(f"{path}: {e}") from e
        for note in notes:
            (on_note or warnings.warn)(f"{path.name}: {note}")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {dotted}: {part} is not a mapping")
        node[leaf] = value
    return config_from_dict(data)
