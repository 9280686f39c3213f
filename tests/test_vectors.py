"""docs/RULES.md: the rule test vectors (V1...), in the Python reference and in C."""

import pytest
from scenario import action, cards, scenario

from beasty import rules
from beasty._ext import GameBatch

# id, queue before (front first), played (choice), queue after, bar, THAT'S IT
VECTORS = [
    ("V1", "A.monkey B.hippo B.monkey", "lion", "A.lion B.hippo", "", "A.monkey B.monkey"),
    ("V2", "B.lion B.monkey", "lion", "B.lion B.monkey", "", "A.lion"),
    ("V3", "B.lion B.parrot B.crocodile", "hippo", "B.lion A.hippo B.crocodile", "", "B.parrot"),
    ("V4", "B.parrot B.zebra B.crocodile", "hippo", "B.parrot B.zebra A.hippo B.crocodile", "", ""),
    (
        "V5",
        "B.parrot B.kangaroo B.zebra B.monkey",
        "crocodile",
        "B.parrot B.kangaroo B.zebra A.crocodile",
        "",
        "B.monkey",
    ),
    ("V6", "A.hippo B.parrot B.hippo", "snake", "A.hippo B.hippo A.snake B.parrot", "", ""),
    ("V7", "B.parrot B.skunk", "giraffe", "B.parrot A.giraffe B.skunk", "", ""),
    ("V8", "B.zebra", "giraffe", "A.giraffe B.zebra", "", ""),
    ("V9", "B.parrot A.lion B.zebra", "seal", "A.seal B.zebra A.lion B.parrot", "", ""),
    ("V10", "B.crocodile B.zebra A.crocodile", "seal", "A.crocodile B.zebra B.crocodile", "", "A.seal"),
    (
        "V11",
        "B.parrot B.snake B.zebra B.giraffe",
        "chameleon:snake",
        "A.chameleon B.zebra",
        "B.snake B.giraffe",
        "B.parrot",
    ),
    ("V12", "B.lion B.monkey", "chameleon:lion", "B.lion B.monkey", "", "A.chameleon"),
    ("V13", "B.hippo B.monkey B.zebra", "chameleon:monkey", "A.chameleon B.monkey B.zebra", "", "B.hippo"),
    (
        "V14",
        "B.crocodile B.snake B.giraffe",
        "chameleon:crocodile",
        "B.crocodile A.chameleon",
        "",
        "B.giraffe B.snake",
    ),
    ("V15", "B.giraffe B.zebra", "chameleon:giraffe", "B.giraffe A.chameleon B.zebra", "", ""),
    (
        "V16",
        "A.monkey B.hippo B.monkey B.zebra",
        "monkey",
        "A.monkey B.monkey A.monkey B.zebra",
        "",
        "B.hippo",
    ),
    ("V17", "B.hippo B.hippo", "kangaroo:2", "B.hippo B.hippo A.kangaroo", "", ""),
    ("V18", "B.parrot B.crocodile", "kangaroo:2", "B.crocodile", "", "B.parrot A.kangaroo"),
    ("V19", "B.lion B.zebra", "parrot:0", "B.zebra A.parrot", "", "B.lion"),
    ("V20", "B.lion B.hippo A.crocodile", "skunk", "A.crocodile A.skunk", "", "B.lion B.hippo"),
    ("V21", "B.parrot B.skunk", "skunk", "B.skunk A.skunk", "", "B.parrot"),
    ("V22", "B.lion B.zebra B.seal B.monkey", "parrot:3", "B.lion B.zebra B.seal A.parrot", "", "B.monkey"),
    ("V23", "A.lion B.zebra A.seal B.monkey", "zebra", "A.seal B.monkey", "A.lion B.zebra", "A.zebra"),
    ("V24", "B.monkey B.zebra B.hippo", "chameleon:hippo", "B.monkey B.zebra B.hippo A.chameleon", "", ""),
    (
        "V25",
        "B.skunk B.chameleon B.parrot",
        "chameleon:skunk",
        "B.skunk A.chameleon",
        "",
        "B.chameleon B.parrot",
    ),
    ("V26", "B.zebra B.parrot B.hippo", "chameleon:hippo", "B.zebra B.hippo B.parrot A.chameleon", "", ""),
    ("V27", "B.lion B.seal B.parrot", "chameleon:parrot:1", "B.lion B.parrot A.chameleon", "", "B.seal"),
    (
        "V28",
        "B.crocodile B.zebra B.kangaroo",
        "chameleon:kangaroo:2",
        "B.crocodile A.chameleon B.zebra B.kangaroo",
        "",
        "",
    ),
]


@pytest.mark.parametrize("vid,before,played,after,bar,ti", VECTORS, ids=[v[0] for v in VECTORS])
def test_vector_python(vid, before, played, after, bar, ti):
    s = rules.play(scenario(before, played), action(played))
    assert (s.queue, s.bar, s.thats_it) == (cards(after), cards(bar), cards(ti))


@pytest.mark.parametrize("vid,before,played,after,bar,ti", VECTORS, ids=[v[0] for v in VECTORS])
def test_vector_c(vid, before, played, after, bar, ti):
    games = GameBatch(1, auto_reset=False)
    games.set_state(0, scenario(before, played), strict=False)
    assert action(played) in games.legal_actions(0)
    games.step([action(played)])
    s = games.get_state(0)
    assert (s.queue, s.bar, s.thats_it) == (cards(after), cards(bar), cards(ti))
    assert s.to_move == 1 and s.turn == 6


def test_second_jump_needs_two_animals():
    # A kangaroo behind a single animal may only hop 1 (A11); a parrot must
    # pick a target when one exists (A12).
    s = scenario("B.lion", "kangaroo")
    assert rules.legal_actions(s) == [action("kangaroo:1")]
    s = scenario("", "parrot")
    assert rules.legal_actions(s) == [action_index_none("parrot")]


def action_index_none(name):
    return rules.action_index(rules.Species[name.upper()])


def test_chameleon_with_only_chameleons_has_no_copy():
    s = scenario("B.chameleon", "chameleon")
    assert rules.legal_actions(s) == [action_index_none("chameleon")]
    games = GameBatch(1, auto_reset=False)
    games.set_state(0, s, strict=False)
    assert games.legal_actions(0) == rules.legal_actions(s)
