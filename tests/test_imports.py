"""Dependencies point one way: no import cycles among beasty's modules, and
play-time code (agents, networks, environments, play, evaluation) never
imports the trainer.  Read from the source with ``ast``, so a cycle hidden
by import order or a lazy import inside a function is found too."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import beasty

ROOT = Path(beasty.__file__).resolve().parent
PLAY_TIME = ("beasty._ext", "beasty.agents", "beasty.policy", "beasty.envs", "beasty.play", "beasty.rules",
             "beasty.match", "beasty.evaluate", "beasty.ladder", "beasty.files", "beasty.plot")  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path, name: str, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], base]).strip(".")
            out.add(base)
            out |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in out if m == "beasty" or m.startswith("beasty.")}


def _resolve(imported: set[str], modules: dict[str, Path]) -> set[str]:
    return {m for m in imported if m in modules}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _resolve(_imports(path, name, top_level_only=False), modules) - {name}
             for name, path in modules.items()}  # fmt: skip
    # importing a submodule runs its packages' __init__ first: a package's own imports are edges too
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                pairs = itertools.pairwise(cycle)
                nested = (a.startswith(b + ".") or b.startswith(a + ".") for a, b in pairs)
                if not all(nested):
                    raise AssertionError("import cycle: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_play_time_code_never_imports_the_trainer():
    offenders = []
    for name, path in _modules().items():
        if name.startswith(PLAY_TIME):
            trainer = {m for m in _imports(path, name, top_level_only=False) if m.startswith("beasty.train")}
            if trainer:
                offenders.append(f"{name} imports {', '.join(sorted(trainer))}")
    assert not offenders, offenders
