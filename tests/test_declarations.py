"""Each parameter list is declared once, in C: the headers' structs, the
.pxd files that mirror them and the Python key sets must agree.  Parsed
from the sources, so a field added on one side only fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import beasty
from beasty._ext import SEARCH_DEFAULTS, AgentParams

HEADERS = Path(beasty.get_include())
PXD = Path(beasty.__file__).resolve().parent / "_ext"


def _declared_names(body: str) -> list[str]:
    names = []
    for statement in body.split(";" if ";" in body else "\n"):
        statement = statement.strip()
        if not statement or statement.startswith("#"):
            continue
        pointer = re.search(r"\(\s*\*\s*(\w+)\s*\)", statement)  # a function pointer: (*name)(...)
        if pointer:
            names.append(pointer.group(1))
            continue
        words = re.sub(r"\[[^\]]*\]", "", statement)  # arrays: the name only
        head, *rest = [part.strip() for part in words.split(",")]
        names += [head.split()[-1].lstrip("*"), *(r.lstrip("*") for r in rest)]
    return names


def c_structs() -> dict[str, list[str]]:
    out = {}
    for header in HEADERS.glob("*.h"):
        text = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
        for name, body in re.findall(r"typedef struct (\w+) \{(.*?)\} \1;", text, flags=re.S):
            out[name] = _declared_names(body)
    return out


def pxd_structs() -> dict[str, list[str]]:
    out = {}
    for pxd in PXD.glob("*.pxd"):
        text = pxd.read_text()
        for name, body in re.findall(r"ctypedef struct (\w+):\n((?:        .*\n|\n)+)", text):
            lines = [line.split("#")[0].strip() for line in body.splitlines()]
            if lines[0] != "pass":  # an opaque struct: Cython needs only its name
                out[name] = _declared_names("\n".join(line for line in lines if line))
    return out


@pytest.mark.parametrize("struct", sorted(pxd_structs()))
def test_every_pxd_struct_mirrors_its_header(struct):
    assert pxd_structs()[struct] == c_structs()[struct]


def test_the_structs_that_hold_parameters_are_mirrored():
    assert {"bb_agent_params", "bb_search_config", "bb_net", "bb_game"} <= set(pxd_structs())


def test_search_defaults_name_every_field_of_the_config():
    assert list(SEARCH_DEFAULTS) == c_structs()["bb_search_config"]


def test_agent_params_name_every_field():
    fields = c_structs()["bb_agent_params"]
    scalars = [f for f in fields if f != "species_mult"]
    assert list(AgentParams("outcome").as_dict()) == [*scalars, "species_mult"]
