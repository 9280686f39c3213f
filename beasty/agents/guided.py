"""Networks for the search, evaluated in C without torch (csrc/net.h).

A network file (``.npz``, read with ``allow_pickle=False``) holds the
format name, the hidden width, the flat float32 weights in net.h's layout
and a JSON string describing how it was trained.  ``beasty expert``
(beasty/train/expert.py, needs torch) writes them;
``beasty/agents/models/expert.npz`` is the one shipped with the package,
which the champion's search uses as its prior and leaf value.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from beasty._ext import NET_MAX_HIDDEN, Network, network_size
from beasty.files import atomic_write

NETWORK_FORMAT = "beasty-net-v1"
SHIPPED_NETWORK = Path(__file__).resolve().parent / "models" / "expert.npz"


class NetworkFileError(ValueError):
    """A network file is missing, corrupt or of another format."""


def save_network(
    path: str | Path, weights: npt.NDArray[np.float32], hidden: int, about: dict[str, Any] | None = None
) -> Path:
    """Writes a network file atomically; ``about`` holds plain values
    (JSON) describing how it was trained."""
    Network(weights, hidden)  # the checks of the C side: size, dtype, finite
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format=np.array(NETWORK_FORMAT),
        hidden=np.array(hidden, dtype=np.int32),
        weights=np.asarray(weights, dtype=np.float32),
        about=np.array(json.dumps(about or {})),
    )
    return atomic_write(path, buffer.getvalue())


#: The most bytes each field of a network file may claim, checked in its
#: header before anything is read: the weights of the widest net.h network,
#: a few bytes for the scalars, and the description's JSON.
FIELD_BYTES = {
    "format": 4 * 64,
    "hidden": 8,
    "weights": 4 * network_size(NET_MAX_HIDDEN),
    "about": 4 * (1 << 20),
}


def _check_headers(path: Path) -> None:
    """Every field's .npy header names a size within FIELD_BYTES and within
    the bytes stored for it, so a header that lies about its shape is
    refused before numpy allocates for it."""
    with zipfile.ZipFile(path) as archive:
        for name, limit in FIELD_BYTES.items():
            try:
                member = archive.getinfo(f"{name}.npy")
            except KeyError:
                raise NetworkFileError(f"{path} is not a {NETWORK_FORMAT} file (no {name!r})") from None
            with archive.open(member) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
            claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if claimed > min(limit, member.file_size):
                raise NetworkFileError(
                    f"{path}: field {name!r} claims {claimed} bytes (shape {shape}, {dtype}); "
                    f"at most {min(limit, member.file_size)} are possible"
                )


def _read(path: str | Path) -> tuple[Network, dict[str, Any]]:
    """The network in a file and its description, checked (the weights by
    :class:`beasty._ext.Network` itself)."""
    path = Path(path)
    if not path.is_file():
        raise NetworkFileError(f"network file {path} does not exist")
    try:
        _check_headers(path)
        with np.load(path, allow_pickle=False) as data:
            fields = {name: data[name] for name in ("format", "hidden", "weights", "about")}
    except NetworkFileError:
        raise
    except KeyError as e:
        raise NetworkFileError(f"{path} is not a {NETWORK_FORMAT} file (no {e.args[0]!r})") from e
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise NetworkFileError(f"{path} is corrupt or not a network file: {e}") from e
    if fields["format"].shape != () or str(fields["format"]) != NETWORK_FORMAT:
        raise NetworkFileError(f"{path} is not a {NETWORK_FORMAT} file")
    hidden = fields["hidden"]
    if hidden.shape != () or hidden.dtype.kind not in "iu":
        raise NetworkFileError(f"{path}: the hidden width must be an integer")
    try:
        network = Network(fields["weights"], int(hidden))
    except (TypeError, ValueError) as e:
        raise NetworkFileError(f"{path}: {e}") from e
    try:
        about = json.loads(str(fields["about"]))
    except (json.JSONDecodeError, RecursionError) as e:  # RecursionError: nested thousands deep
        raise NetworkFileError(f"{path}: its description is not JSON: {type(e).__name__} {e}") from e
    if not isinstance(about, dict):
        raise NetworkFileError(f"{path}: its description must be a JSON object")
    return network, about


def read_network(path: str | Path) -> tuple[npt.NDArray[np.float32], int, dict[str, Any]]:
    """The checked weights, hidden width and description in a network file."""
    network, about = _read(path)
    return network.weights, network.hidden, about


def load_network(path: str | Path = SHIPPED_NETWORK) -> Network:
    """The C network in a network file (default: the shipped one)."""
    return _read(path)[0]


def read_network_about(path: str | Path = SHIPPED_NETWORK) -> dict[str, Any]:
    """How the network in a file was trained (its ``about``)."""
    return _read(path)[1]
