"""beasty: a fast Beasty Bar engine, reference opponents and a PPO trainer."""

from pathlib import Path

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent


def get_include() -> str:
    """The folder of the engine's C headers (``beasty.h``, ``policy.h``,
    ``search.h``), to compile C or Cython against it, as
    ``numpy.get_include()``; the ``.pxd`` files that mirror them are
    ``cimport beasty._ext.cbeasty``, ``cpolicy`` and ``csearch``."""
    for folder in (_HERE / "include", _HERE.parent / "csrc"):  # a wheel, or a source checkout
        if (folder / "beasty.h").is_file():
            return str(folder)
    raise FileNotFoundError("beasty's C headers are not installed (build beasty with pip)")


def get_library_dir() -> str:
    """The folder of ``libbeasty_core.a``, the static C core: link an
    extension with ``libraries=["beasty_core"]`` from here."""
    for folder in (_HERE / "lib", _HERE.parent / "build"):  # a wheel, or an editable build
        if any(folder.glob("*beasty_core*")):
            return str(folder)
    raise FileNotFoundError("beasty's C core library is not installed (build beasty with pip)")


__all__ = ["__version__", "get_include", "get_library_dir"]
