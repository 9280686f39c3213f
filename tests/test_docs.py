"""What the README and the docs name in code spans exists: qualified
``beasty.*`` names import, repository paths are there and C names are in
csrc/.  (``mkdocs build --strict`` in CI checks the links and the API
reference; this checks the prose, so a rename cannot leave a page stale.)"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SPANS = [(page.name, span) for page in PAGES for span in re.findall(r"`([^`\n]+)`", page.read_text())]
C_SOURCES = "\n".join(p.read_text() for p in sorted((ROOT / "csrc").glob("*.[ch]")))


def _qualified_names() -> set[tuple[str, str]]:
    names = set()
    for page, span in SPANS:
        for name in re.findall(r"(?<![\w/.])beasty(?:\.[A-Za-z_]\w*)+", span):
            if name != "beasty.h":
                names.add((page, name))
    return names


def _paths() -> set[tuple[str, str]]:
    found = set()
    for page, span in SPANS:
        for path in re.findall(r"(?<![\w/.])((?:beasty|csrc|examples|benchmarks|tests|docs)/[\w./-]*)", span):
            found.add((page, path.rstrip(".")))
    return found


@pytest.mark.parametrize(("page", "name"), sorted(_qualified_names()))
def test_qualified_names_exist(page, name):
    if (ROOT / f"{name.replace('.', '/')}.pxd").is_file():  # cimport-able declarations
        return
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            assert hasattr(obj, attribute), f"{page}: {name} ({attribute} is missing)"
            obj = getattr(obj, attribute)
        return
    pytest.fail(f"{page}: {name} does not import")


@pytest.mark.parametrize(("page", "path"), sorted(_paths()))
def test_repository_paths_exist(page, path):
    if path.startswith("runs/"):
        return
    assert (ROOT / path).exists(), f"{page} names {path}, which is not in the repository"


def test_c_names_exist():
    named = {(page, name) for page, span in SPANS for name in re.findall(r"\bbb_\w+", span)}
    missing = sorted((page, name) for page, name in named if not re.search(rf"\b{name}\b", C_SOURCES))
    assert not missing, f"C names the docs use that csrc/ lacks: {missing}"
