"""Pure-Python scorers written straight from docs/OPPONENTS.md 1.2-1.5, used as
an oracle for the C scorer (csrc/agents.c)."""

from __future__ import annotations

from beasty import rules
from beasty.rules import ACTIONS, Card, Species, State

S = Species
MATERIAL = {
    "bar_weight": 2.0,
    "queue_front_weight": 1.1,
    "queue_back_weight": 0.3,
    "thats_it_weight": -0.5,
    "hand_weight": 0.1,
}
OUTCOME = {
    "my_bar": 3.0,
    "opp_bar": -2.0,
    "my_ti": -2.5,
    "opp_ti": 2.0,
    "queue_position": 1.5,
    "front_bonus": 2.0,
    "threat_removal": 1.5,
    "parrot_bonus": 0.4,
    "monkey_combo": 15.0,
    "skunk_mult": 0.5,
    "early_recurring": 0.5,
    "late_removal": 0.3,
}


def pts(c: Card) -> int:
    return c.points


def material(s: State, me: int, w: dict, mult: dict) -> float:
    m = lambda c: mult.get(c.species.name.lower(), 1.0)  # noqa: E731
    sign = lambda c: 1 if c.owner == me else -1  # noqa: E731
    v = sum(sign(c) * w["bar_weight"] * pts(c) * m(c) for c in s.bar)
    n = len(s.queue)
    for i, c in enumerate(s.queue):
        f = 1 - i / max(n, 1)
        v += sign(c) * (w["queue_front_weight"] * f + w["queue_back_weight"] * (1 - f)) * pts(c) * m(c)
    v += sum((1 if c.owner == me else -1) * w["thats_it_weight"] * pts(c) * m(c) for c in s.thats_it)
    v += sum(w["hand_weight"] * pts(c) * m(c) for c in s.hands[me])
    return v


def deltas(b: State, a: State, me: int):
    new_bar, new_ti = a.bar[len(b.bar) :], a.thats_it[len(b.thats_it) :]
    return (
        sum(pts(c) for c in new_bar if c.owner == me),
        sum(pts(c) for c in new_bar if c.owner != me),
        sum(pts(c) for c in new_ti if c.owner == me),
        sum(pts(c) for c in new_ti if c.owner != me),
        sum(1 for c in new_ti if c.owner != me),
    )


def heuristic(b: State, action: int, w: dict | None = None, mult: dict | None = None) -> float:
    w = {**MATERIAL, **(w or {})}
    me, act = b.to_move, ACTIONS[action]
    a = rules.play(b, action)
    my_bar, opp_bar, my_ti, opp_ti, opp_cnt = deltas(b, a, me)
    adj = 0.0
    sp = act.species
    mine_in = lambda s: sum(c.owner == me for c in s.queue)  # noqa: E731
    first = lambda s, x: next((i for i, c in enumerate(s.queue) if c.owner == me and c.species is x), -1)  # noqa: E731
    if sp is S.SKUNK:
        adj = 3.0 if opp_ti >= 5 else 1.5 if opp_ti >= 3 else -2.0 if opp_ti == 0 and my_ti > 0 else 0.0
    elif sp is S.PARROT and act.param is not None:
        t = b.queue[act.param]
        adj = (0.5 if t.owner != me else -0.5) * pts(t)
    elif sp is S.LION:
        adj = 2.0 if a.queue and a.queue[0] == Card(me, S.LION) else 0.0
    elif sp is S.MONKEY:
        adj = 2.5 if opp_cnt > 0 and opp_ti >= 4 else 0.0
    elif sp is S.SEAL:
        adj = 1.5 if my_bar > opp_bar else -1.0 if opp_bar > my_bar else 0.0
    elif sp is S.SNAKE:
        if mine_in(a) > mine_in(b):
            adj = sum(0.5 * pts(c) for c in a.queue[:2] if c.owner == me)
    elif sp is S.ZEBRA:
        adj = 1.5 if any(c.owner != me and c.species in (S.HIPPO, S.CROCODILE) for c in a.queue) else -0.5
    elif sp is S.KANGAROO:
        adj = 1.0 if 0 <= first(a, S.KANGAROO) < 2 else 0.0
    elif sp is S.GIRAFFE:
        adj = {0: 1.5, 1: 0.5}.get(first(a, S.GIRAFFE), 0.0)
    elif sp is S.CROCODILE:
        adj = 0.3 * opp_ti if opp_cnt > 0 else 0.0
    elif sp is S.CHAMELEON:
        adj = 0.1 * (int(act.copy) if act.copy is not None else 0)
    return material(a, me, w, mult or {}) + adj


def online(b: State, action: int) -> float:
    me, act = b.to_move, ACTIONS[action]
    a = rules.play(b, action)
    q = b.queue
    seen = {c.species for c in (*b.bar, *b.thats_it, *q) if c.owner != me}
    r = 0.0
    if act.species is S.CROCODILE:
        r = 5.0 if any(c.species is S.CHAMELEON for c in q) else (0.0 if S.CHAMELEON in seen else -1.0)
    elif act.species is S.SKUNK:
        present = sorted({c.species for c in q if c.species is not S.SKUNK}, reverse=True)
        if len(present) < 2:
            r = -1.5
        else:
            top = set(present[:2])
            net = sum((pts(c) if c.owner != me else -pts(c)) for c in q if c.species in top)
            r = 4.0 if net >= 4 else 2.0 if net >= 2 else -3.0 if net <= -2 else 0.0
    elif act.species is S.LION:
        r = (
            -5.0
            if any(c.owner != me and c.species is S.LION for c in q)
            else (3.0 if S.LION in seen else -2.0)
        )
    elif act.species is S.PARROT and act.param is not None:
        t = q[act.param]
        r = 0.3 * pts(t) + 2.0 * (1 - act.param / len(q)) if t.owner != me else -0.5 * pts(t)
    return material(a, me, MATERIAL, {}) + r


PW = [0.53, 0.37, 0.25, 0.27, 0.10]
THREAT = {S.CROCODILE, S.HIPPO, S.LION, S.ZEBRA, S.GIRAFFE}
RECUR = {S.GIRAFFE, S.HIPPO, S.CROCODILE}


def outcome(b: State, action: int, w: dict | None = None) -> float:
    w = {**OUTCOME, **(w or {})}
    me, act = b.to_move, ACTIONS[action]
    a = rules.play(b, action)
    my_bar, opp_bar, my_ti, opp_ti, _ = deltas(b, a, me)

    def qv(s: State) -> float:
        return sum((pts(c) if c.owner == me else -0.6 * pts(c)) * PW[i] for i, c in enumerate(s.queue))

    def threats(s: State) -> int:
        return sum(c.owner != me and c.species in THREAT for c in s.queue)

    def hc(s: State) -> int:
        return sum(c.owner != me and c.species in (S.HIPPO, S.CROCODILE) for c in s.queue)

    v = w["my_bar"] * my_bar + w["opp_bar"] * opp_bar + w["my_ti"] * my_ti + w["opp_ti"] * opp_ti
    v += w["queue_position"] * (qv(a) - qv(b))
    v += w["front_bonus"] if sum(c.owner == me for c in a.queue[:2]) >= 1 else 0.0
    v += w["threat_removal"] * max(0, threats(b) - threats(a))
    sp = act.species
    if sp is S.PARROT and act.param is not None:
        t = b.queue[act.param]
        if t.owner != me:
            v += pts(t) * w["parrot_bonus"] + 1.5 * (t.species in THREAT) + 1.0 * (t.species in RECUR)
            v += 0.5 * (1 - act.param / len(b.queue))
        else:
            v -= 0.8 * pts(t)
    elif sp is S.SKUNK:
        v += w["skunk_mult"] * (opp_ti - my_ti)
    elif sp is S.MONKEY:
        v += w["monkey_combo"] if hc(a) < hc(b) else 0.0
        v += 0.8 * w["monkey_combo"] if any(c.owner != me and c.species is S.MONKEY for c in b.queue) else 0.0
    table = len(b.queue) + len(b.bar) + len(b.thats_it)
    if table <= 3 and sp in RECUR:
        v += w["early_recurring"]
    if table >= 8 and sp in (S.PARROT, S.SKUNK, S.CROCODILE):
        v += w["late_removal"]
    return v
