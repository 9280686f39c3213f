"""The weights format: a network's configuration and parameters only (no
optimiser, no training state), loaded with ``torch.load(weights_only=True)``.

The trainer exports one at the end of a run (``runs/<name>/policy.pt``);
``beasty/policy/models/ppo.pt`` is the one shipped in the package.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import torch
from pydantic import ValidationError

from beasty._ext import NUM_ACTIONS
from beasty.files import atomic_write
from beasty.policy.network import NetworkConfig, PolicyValueNet
from beasty.schema import explain

FORMAT = "beasty-policy-v1"
SHIPPED = Path(__file__).resolve().parent / "models" / "ppo.pt"


class WeightsError(ValueError):
    """A weights file is missing, corrupt, of another format, or holds a
    network that does not fit its configuration."""


class NotWeightsFile(WeightsError):
    """The file is missing, unreadable or of another format."""


def first_non_finite(value: Any, where: str) -> str | None:
    """Where the first floating tensor or number in ``value`` (nested in
    dicts, lists and tuples) holds a NaN or an infinity, else None: the one
    finiteness check of weights, checkpoints and training."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            return where
    elif isinstance(value, float):
        if not math.isfinite(value):
            return where
    elif isinstance(value, dict):
        for key, item in value.items():
            found = first_non_finite(item, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = first_non_finite(item, f"{where}[{i}]")
            if found:
                return found
    return None


def save_weights(path: str | Path, net: PolicyValueNet, about: dict[str, Any] | None = None) -> Path:
    """Writes ``net``'s configuration and parameters (and ``about``: plain
    strings and numbers describing how it was trained) atomically."""
    state = {name: tensor.detach().cpu().clone() for name, tensor in net.state_dict().items()}
    bad = first_non_finite(state, "state_dict")
    if bad:
        raise WeightsError(f"refusing to save non-finite weights ({bad})")
    buffer = io.BytesIO()
    payload = {
        "format": FORMAT,
        "config": net.cfg.model_dump(),
        "state_dict": state,
        "about": about or {},
    }
    torch.save(payload, buffer)
    return atomic_write(path, buffer.getvalue())


def read_weights(path: str | Path) -> dict[str, Any]:
    """The checked contents of a weights file."""
    path = Path(path)
    if not path.is_file():
        raise NotWeightsFile(f"weights file {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged file
        raise NotWeightsFile(f"{path} is corrupt or not a weights file: {e}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise NotWeightsFile(f"{path} is not a {FORMAT} file")
    if not isinstance(data.get("config"), dict) or not isinstance(data.get("state_dict"), dict):
        raise WeightsError(f"{path} is malformed: it needs a config and a state_dict")
    return data


def build_network(config: Any, state_dict: Any, source: str | Path) -> PolicyValueNet:
    """The network of a stored configuration and parameters, in eval mode,
    checked before its memory is allocated: the configuration's width
    against the stored policy head, every parameter's shape against a
    shape-only (meta device) build, and finiteness.  WeightsError naming
    ``source`` otherwise."""
    if not isinstance(config, dict) or not isinstance(state_dict, dict):
        raise WeightsError(f"{source} is malformed: it needs a config and a state_dict")
    head = state_dict.get("policy.weight")
    width = config.get("hidden_dim", NetworkConfig.model_fields["hidden_dim"].default)
    if not isinstance(head, torch.Tensor) or tuple(head.shape) != (NUM_ACTIONS, width):
        raise WeightsError(f"{source}: its parameters do not fit its configuration (hidden_dim {width!r})")
    try:
        cfg = NetworkConfig.model_validate(config)
    except ValidationError as e:
        reason = explain(e)
        kind = "is not one" if reason.startswith("unknown config key") else "is invalid"
        raise WeightsError(f"{source}: its network configuration {kind}: {reason}") from None
    try:
        with torch.device("meta"):
            expected = {name: tuple(t.shape) for name, t in PolicyValueNet(cfg).state_dict().items()}
    except Exception as e:  # torch's own checks raise AssertionError, ValueError, TypeError, ...
        raise WeightsError(f"{source}: its network configuration is invalid: {e}") from e
    for name, shape in expected.items():
        stored = state_dict.get(name)
        if not isinstance(stored, torch.Tensor) or tuple(stored.shape) != shape:
            found = tuple(stored.shape) if isinstance(stored, torch.Tensor) else type(stored).__name__
            raise WeightsError(f"{source}: parameter {name} should have shape {shape}, found {found}")
    extra = sorted(set(state_dict) - set(expected))
    if extra:
        raise WeightsError(f"{source}: parameters its configuration lacks: {', '.join(map(str, extra))}")
    bad = first_non_finite(state_dict, "state_dict")
    if bad:
        raise WeightsError(f"{source}: non-finite weights ({bad})")
    net = PolicyValueNet(cfg)
    try:
        net.load_state_dict(state_dict)
    except RuntimeError as e:  # a dtype torch cannot copy from
        raise WeightsError(f"{source}: {e}") from e
    return net.eval()


def load_weights(path: str | Path = SHIPPED) -> PolicyValueNet:
    """The network stored in ``path`` (by default the shipped one), in eval mode."""
    data = read_weights(path)
    return build_network(data["config"], data["state_dict"], path)


def read_about(path: str | Path = SHIPPED) -> dict[str, Any]:
    """How the network in ``path`` was trained (run, iteration, win rates)."""
    about: dict[str, Any] = read_weights(path).get("about", {})
    return about
