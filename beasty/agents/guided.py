"""Networks for the search, evaluated in C without torch (csrc/net.h).

A network file (``.npz``, read with ``allow_pickle=False``) holds the
format name, the network's shape (hidden width, depth, residual or not), the
flat float32 weights in net.h's layout and a JSON string describing how it
was trained.  Format ``beasty-net-v2`` records the shape;
``beasty-net-v1`` files (two-layer MLPs: depth 1, not residual) still load.
``beasty expert`` (beasty/train/expert.py, needs torch) writes them;
``beasty/agents/models/`` holds the ones shipped with the package:
``expert.npz`` guides the champion's search (prior and leaf value), and
``champion_v1.npz`` is the first champion's, kept to measure later ones.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from beasty._ext import NET_MAX_DEPTH, NET_MAX_HIDDEN, Network, network_size
from beasty.files import atomic_write

NETWORK_FORMAT = "beasty-net-v2"
FORMATS = ("beasty-net-v1", NETWORK_FORMAT)
MODELS = Path(__file__).resolve().parent / "models"
SHIPPED_NETWORK = MODELS / "expert.npz"


class NetworkFileError(ValueError):
    """A network file is missing, corrupt or of another format."""


def save_network(path: str | Path, network: Network, about: dict[str, Any] | None = None) -> Path:
    """Writes ``network`` (its shape and weights) atomically; ``about``
    holds plain values (JSON) describing how it was trained."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format=np.array(NETWORK_FORMAT),
        hidden=np.array(network.hidden, dtype=np.int32),
        depth=np.array(network.depth, dtype=np.int32),
        residual=np.array(int(network.residual), dtype=np.int32),
        weights=network.weights,
        about=np.array(json.dumps(about or {})),
    )
    return atomic_write(path, buffer.getvalue())


#: The most bytes each field of a network file may claim, checked in its
#: header before anything is read: the weights of the largest net.h
#: network, a few bytes for the scalars, and the description's JSON.
FIELD_BYTES = {
    "format": 4 * 64,
    "hidden": 8,
    "depth": 8,
    "residual": 8,
    "weights": 4 * network_size(NET_MAX_HIDDEN, NET_MAX_DEPTH),
    "about": 4 * (1 << 20),
}
#: The fields of each format.
FIELDS = {"beasty-net-v1": ("format", "hidden", "weights", "about"), NETWORK_FORMAT: tuple(FIELD_BYTES)}


def _check_headers(path: Path) -> None:
    """Every field's .npy header names a size within FIELD_BYTES and within
    the bytes stored for it, so a header that lies about its shape is
    refused before numpy allocates for it."""
    with zipfile.ZipFile(path) as archive:
        present = {name[: -len(".npy")] for name in archive.namelist() if name.endswith(".npy")}
        for name in present & set(FIELD_BYTES):
            member = archive.getinfo(f"{name}.npy")
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if claimed > min(FIELD_BYTES[name], member.file_size):
                raise NetworkFileError(
                    f"{path}: field {name!r} claims {claimed} bytes (shape {shape}, {dtype}); "
                    f"at most {min(FIELD_BYTES[name], member.file_size)} are possible"
                )


def _integer(path: Path, fields: dict[str, Any], name: str) -> int:
    value = fields[name]
    if value.shape != () or value.dtype.kind not in "iu":
        raise NetworkFileError(f"{path}: {name} must be an integer")
    return int(value)


def _read(path: str | Path) -> tuple[Network, dict[str, Any]]:
    """The network in a file and its description, checked (the weights by
    :class:`beasty._ext.Network` itself)."""
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"network file {path} does not exist")
    try:
        _check_headers(path)
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data.files:
                raise NetworkFileError(f"{path} is not a {NETWORK_FORMAT} file (no 'format')")
            kind = data["format"]
            if kind.shape != () or str(kind) not in FORMATS:
                raise NetworkFileError(f"{path} is of no known network format ({', '.join(FORMATS)})")
            fields = {name: data[name] for name in FIELDS[str(kind)]}
    except NetworkFileError:
        raise
    except KeyError as e:
        raise NetworkFileError(f"{path} is not a {NETWORK_FORMAT} file (no {e.args[0]!r})") from e
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise NetworkFileError(f"{path} is corrupt or not a network file: {e}") from e
    hidden = _integer(path, fields, "hidden")
    depth = _integer(path, fields, "depth") if "depth" in fields else 1
    residual = _integer(path, fields, "residual") if "residual" in fields else 0
    if residual not in (0, 1):
        raise NetworkFileError(f"{path}: residual must be 0 or 1, got {residual}")
    try:
        network = Network(fields["weights"], hidden, depth, bool(residual))
    except (TypeError, ValueError) as e:
        raise NetworkFileError(f"{path}: {e}") from e
    try:
        about = json.loads(str(fields["about"]))
    except (json.JSONDecodeError, RecursionError) as e:  # RecursionError: nested thousands deep
        raise NetworkFileError(f"{path}: its description is not JSON: {type(e).__name__} {e}") from e
    if not isinstance(about, dict):
        raise NetworkFileError(f"{path}: its description must be a JSON object")
    return network, about


def read_network(path: str | Path) -> tuple[Network, dict[str, Any]]:
    """The checked network in a file and its description."""
    return _read(path)


def network_path(name: str) -> Path:
    """A network by name: ``"shipped"`` (the champion's), the stem of another
    file in the package's models folder (``"champion_v1"``), or a path."""
    if name == "shipped":
        return SHIPPED_NETWORK
    if (MODELS / f"{name}.npz").is_file() and "/" not in name:
        return MODELS / f"{name}.npz"
    return Path(name)


def load_network(path: str | Path = SHIPPED_NETWORK) -> Network:
    """The C network in a network file (default: the shipped one)."""
    return _read(path)[0]


def read_network_about(path: str | Path = SHIPPED_NETWORK) -> dict[str, Any]:
    """How the network in a file was trained (its ``about``)."""
    return _read(path)[1]
