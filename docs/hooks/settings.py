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
    lines = ["| key | default | allowed | what it sets |", "|---|---|---|---|"]
    for key, default, allowed, text in rows:
        allowed = allowed.replace("|", "&#124;")
        lines.append(f"| `{key}` | `{default}` | {allowed} | {text.replace('|', '&#124;')} |")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    return MARKER.sub(lambda m: table(m.group(1), Path(config["docs_dir"])), markdown)
