"""MkDocs hook: the settings tables, generated from their one declaration.

``<!-- settings: search -->`` becomes the search's parameters (the fields of
``bb_search_config`` in csrc/search.h with their comments, the defaults read
from C through ``beasty._ext.SEARCH_DEFAULTS``); ``<!-- settings:
module.Class -->`` the fields of a :class:`beasty.schema.Schema`.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

MARKER = re.compile(r"<!-- settings: ([\w.]+) -->")


def search_rows(header: Path) -> list[tuple[str, str, str, str]]:
    from beasty._ext import SEARCH_DEFAULTS

    body = re.search(r"typedef struct bb_search_config \{(.*?)\} bb_search_config;", header.read_text(), re.S)
    if body is None:
        raise ValueError(f"{header}: no bb_search_config")
    fields = re.findall(r"\b\w+\s+(\w+);\s*/\*(.*?)\*/", body.group(1), re.S)
    return [(name, repr(SEARCH_DEFAULTS[name]), "", " ".join(text.split())) for name, text in fields]


def table(target: str, docs_dir: Path) -> str:
    if target == "search":
        rows = search_rows(docs_dir.parent / "csrc" / "search.h")
    else:
        from beasty.schema import describe

        module, name = target.rsplit(".", 1)
        rows = describe(getattr(importlib.import_module(module), name))
    with_allowed = any(allowed for _, _, allowed, _ in rows)  # the search's ranges are in its comments
    head = ["key", "default", *(["allowed"] if with_allowed else []), "what it sets"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, default, allowed, text in rows:
        cells = [f"`{key}`", f"`{default}`", *([allowed] if with_allowed else []), text]
        lines.append("| " + " | ".join(c.replace("|", "&#124;") for c in cells) + " |")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return MARKER.sub(lambda m: table(m.group(1), Path(config["docs_dir"])), markdown)
