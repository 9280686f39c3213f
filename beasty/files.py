"""Writing result files safely: atomically, with the usual permissions, and
checked for writability before the work that produces them starts."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """YAML's safe loader that also reads ``1e-3`` and ``5e+2`` as floats
    (YAML 1.1, which PyYAML follows, wants a dot: ``1.0e-3``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml(text: str) -> Any:
    """Parses YAML text (configs, ``--set`` values) as the safe loader does,
    with ``1e-3`` a float; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_Loader)


def _default_mode() -> int:
    """0o666 less the umask: what ``open(path, "w")`` would create."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Writes ``data`` to a temporary file beside ``path``, fsyncs, then
    renames it over ``path``: a crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        os.fchmod(fd, _default_mode())  # mkstemp creates 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def check_writable(path: str | Path, folder: bool = False) -> None:
    """Raises ``OSError`` with a readable message unless the file ``path``
    (or, with ``folder``, the folder ``path``) can be created or replaced."""
    path = Path(path)
    directory = path if folder else path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(f"cannot create the folder {directory}: {e.strerror or e}") from e
    if not directory.is_dir():
        raise OSError(f"{directory} is not a folder")
    if not folder and path.is_dir():
        raise OSError(f"{path} is a folder, not a file")
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as e:
        raise OSError(f"cannot write in {directory}: {e.strerror or e}") from e
