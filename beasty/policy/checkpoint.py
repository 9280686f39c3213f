"""Checkpoint files: atomic, checksummed, finite, loaded with
``torch.load(weights_only=True)`` and checked field by field.

A file is one header line, ``beasty checkpoint v2 sha256=<64 hex digits>``,
followed by the ``torch.save`` bytes of the payload, whose SHA-256 the
header states: a flipped byte is found before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path
from typing import Any

import torch
import yaml

from beasty.files import atomic_write, load_yaml
from beasty.policy.weights import first_non_finite

FORMAT = "beasty-ppo-v2"
LEGACY_FORMAT = "beasty-ppo-v1"  # the same payload without the checksum header
MAGIC = b"beasty checkpoint v2 sha256="
REQUIRED = ("format", "iteration", "config", "model", "optimizer", "pool", "snapshots", "rng")


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, of another format or not finite."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Writes the payload atomically with its checksum; refuses (raising
    ``CheckpointError``) weights or optimiser state that are not finite."""
    for key in ("model", "optimizer", "snapshots"):
        bad = first_non_finite(payload.get(key), key)
        if bad:
            raise CheckpointError(f"refusing to save a checkpoint with non-finite values ({bad})")
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, **payload}, buffer)
    body = buffer.getvalue()
    return atomic_write(path, MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def _read_verified(path: Path) -> bytes:
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        warnings.warn(f"{path} has no checksum (an older checkpoint): it cannot be verified", stacklevel=3)
        return raw
    header, _, body = raw.partition(b"\n")
    digest = header[len(MAGIC) :].decode("ascii", "replace")
    if hashlib.sha256(body).hexdigest() != digest:
        raise CheckpointError(f"checkpoint {path} is corrupt: its checksum does not match its contents")
    return body


def _check_fields(data: dict[str, Any], path: Path) -> None:
    def need(ok: bool, what: str) -> None:
        if not ok:
            raise CheckpointError(f"checkpoint {path} is malformed: {what}")

    def tensors(value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items()
        )

    iteration = data["iteration"]
    need(
        isinstance(iteration, int) and not isinstance(iteration, bool) and iteration >= 0,
        f"iteration must be an integer >= 0, got {iteration!r}",
    )
    need(isinstance(data["config"], str), "config must be YAML text")
    try:
        config = load_yaml(data["config"])
    except yaml.YAMLError as e:
        raise CheckpointError(f"checkpoint {path} is malformed: its config is not valid YAML: {e}") from e
    need(isinstance(config, dict), "config must be a YAML mapping")
    need(tensors(data["model"]), "model must map parameter names to tensors")
    need(isinstance(data["optimizer"], dict), "optimizer must be a mapping")
    need(isinstance(data["pool"], dict), "pool must be a mapping")
    need(isinstance(data["rng"], dict), "rng must be a mapping")
    snapshots = data["snapshots"]
    need(
        isinstance(snapshots, dict) and all(tensors(sd) for sd in snapshots.values()),
        "snapshots must map iterations to state dicts of tensors",
    )
    need(all(isinstance(k, str) and k.isdigit() for k in snapshots), "snapshot keys must be iterations")
    exploiters = data.get("exploiters", {})  # absent from checkpoints older than exploit-patch cycles
    need(
        isinstance(exploiters, dict) and all(tensors(sd) for sd in exploiters.values())
        and all(isinstance(k, str) and k.isdigit() for k in exploiters),
        "exploiters must map iterations to state dicts of tensors",
    )  # fmt: skip
    bad = first_non_finite(data["model"], "model")
    need(bad is None, f"{bad} is not finite")


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """The verified payload of a checkpoint; ``CheckpointError`` on anything
    missing, corrupt, malformed or of another format."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        body = _read_verified(path)
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e}") from e
    try:
        data = torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a damaged file
        raise CheckpointError(f"checkpoint {path} is corrupt or not a beasty checkpoint: {e}") from e
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, LEGACY_FORMAT):
        raise CheckpointError(f"{path} is not a {FORMAT} checkpoint")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {', '.join(missing)}")
    _check_fields(data, path)
    return data


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Deletes the ``*.tmp`` files a killed run left while writing a
    checkpoint (a finished write renames its file away)."""
    stale = sorted(Path(folder).glob("*.pt*.tmp"))
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale
