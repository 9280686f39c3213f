"""The weights format: a network's configuration and parameters only (no
optimiser, no training state), loaded with ``torch.load(weights_only=True)``.

The trainer exports one at the end of a run (``runs/<name>/policy.pt``);
``beasty/policy/models/ppo.pt`` is the one shipped in the package.
"""

from __future__ import annotations

import dataclasses
import io
import math
from pathlib import Path
from typing import Any

import torch

from beasty.files import atomic_write
from beasty.policy.network import NetworkConfig, PolicyValueNet

FORMAT = "beasty-policy-v1"
SHIPPED = Path(__file__).resolve().parent / "models" / "ppo.pt"


class WeightsError(ValueError):
    """A weights file is missing, corrupt or of another format."""


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
    state = {name: tensor.detach().clone() for name, tensor in net.state_dict().items()}
    bad = first_non_finite(state, "state_dict")
    if bad:
        raise WeightsError(f"refusing to save non-finite weights ({bad})")
    buffer = io.BytesIO()
    payload = {
        "format": FORMAT,
        "config": dataclasses.asdict(net.cfg),
        "state_dict": state,
        "about": about or {},
    }
    torch.save(payload, buffer)
    return atomic_write(path, buffer.getvalue())


def read_weights(path: str | Path) -> dict[str, Any]:
    """The checked contents of a weights file."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged file
        raise WeightsError(f"{path} is corrupt or not a weights file: {e}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a {FORMAT} file")
    if not isinstance(data.get("config"), dict) or not isinstance(data.get("state_dict"), dict):
        raise WeightsError(f"{path} is malformed: it needs a config and a state_dict")
    return data


def load_weights(path: str | Path = SHIPPED) -> PolicyValueNet:
    """The network stored in ``path`` (by default the shipped one), in eval mode."""
    data = read_weights(path)
    try:
        net = PolicyValueNet(NetworkConfig(**data["config"]))
        net.load_state_dict(data["state_dict"])
    except (TypeError, ValueError, RuntimeError) as e:
        raise WeightsError(f"{path} does not hold a beasty policy network: {e}") from e
    return net.eval()


def read_about(path: str | Path = SHIPPED) -> dict[str, Any]:
    """How the network in ``path`` was trained (run, iteration, win rates)."""
    about: dict[str, Any] = read_weights(path).get("about", {})
    return about
