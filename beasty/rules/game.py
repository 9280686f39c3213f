"""The rules: immutable :class:`State`, legal actions and the five-step turn.

Every rule cites ``docs/RULES.md``.  A turn (1.2): (1) play at the back of
the queue, (2) the card's on-play action, (3) the recurring animals present
at the start of the step act once each, front to back, the card played this
turn excepted (A3, A4), (4) the five-animal check, (5) draw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from beasty.rules.actions import ACTIONS, NUM_ACTIONS, Action
from beasty.rules.cards import RECURRING, Card, Species
from beasty.rules.rng import SplitMix64

QUEUE_MAX = 5
HAND_SIZE = 4
Cards = tuple[Card, ...]


@dataclass(frozen=True)
class State:
    """A full game state (both hands, both piles): the referee's view.

    ``decks[p]`` lists player p's pile top first.  ``turn`` counts the cards
    played.  ``early_stop`` ends the game once fewer than five cards remain
    in queue, hands and piles (docs/RULES.md A18; same result as playing out).
    ``history`` lists the action of every card played, in order (public:
    player ``(to_move + turn + t) % 2`` played ``history[t]``); it is
    either complete (``len(history) == turn``) or unknown (``()``).
    """

    queue: Cards
    bar: Cards
    thats_it: Cards
    hands: tuple[Cards, Cards]
    decks: tuple[Cards, Cards]
    turn: int = 0
    to_move: int = 0
    early_stop: bool = True
    history: tuple[int, ...] = ()

    def cards_left(self) -> int:
        return len(self.queue) + sum(map(len, self.hands)) + sum(map(len, self.decks))


def deal(seed: int, early_stop: bool = True) -> tuple[State, int]:
    """The deal of the C engine for ``seed``: each player's 12 cards are
    Fisher-Yates shuffled (player 0 first) with :class:`SplitMix64` seeded by
    ``seed``; 4 to hand, 8 to the pile; then the start player is drawn.
    Returns the state and the generator's state afterwards."""
    rng = SplitMix64(seed)
    hands: list[Cards] = []
    decks: list[Cards] = []
    for p in (0, 1):
        cards = [Card(p, s) for s in Species]
        for i in range(len(cards) - 1, 0, -1):
            j = rng.bounded(i + 1)
            cards[i], cards[j] = cards[j], cards[i]
        hands.append(tuple(cards[:HAND_SIZE]))
        decks.append(tuple(cards[HAND_SIZE:]))
    start = rng.bounded(2)
    state = State((), (), (), (hands[0], hands[1]), (decks[0], decks[1]), 0, start, early_stop)
    return state, rng.state


def is_terminal(s: State) -> bool:
    if s.early_stop and s.cards_left() < QUEUE_MAX:
        return True
    return s.cards_left() == len(s.queue)


def score(s: State, player: int) -> int:
    """Printed points of ``player``'s animals in the bar (1.4)."""
    return sum(c.points for c in s.bar if c.owner == player)


def winner(s: State) -> int | None:
    """0 or 1 for the winner, ``None`` for a draw (A2)."""
    a, b = score(s, 0), score(s, 1)
    return None if a == b else (0 if a > b else 1)


def _legal(s: State, act: Action) -> bool:
    n = len(s.queue)
    present = {c.species for c in s.queue}
    if act.species is Species.PARROT:  # A12
        return n == 0 if act.param is None else act.param < n
    if act.species is Species.KANGAROO:  # A11
        return n == 0 if act.param is None else act.param <= n
    if act.species is Species.CHAMELEON:  # A5
        copyable = present - {Species.CHAMELEON}
        if act.copy is None:
            return not copyable
        if act.copy not in copyable:
            return False
        if act.copy is Species.PARROT:
            return act.param is not None and act.param < n
        if act.copy is Species.KANGAROO:
            return act.param is not None and act.param <= n
        return True
    return True


def legal_actions(s: State) -> list[int]:
    """Ascending legal action indices for the player to move."""
    if is_terminal(s):
        return []
    in_hand = {c.species for c in s.hands[s.to_move]}
    return [i for i, a in enumerate(ACTIONS) if a.species in in_hand and _legal(s, a)]


class _Slot:
    """A queue entry with identity, so that step 3 can follow each animal."""

    __slots__ = ("card",)

    def __init__(self, card: Card) -> None:
        self.card = card


def _act(q: list[_Slot], ti: list[Card], me: _Slot, species: Species, param: int | None) -> None:
    """The action of ``me`` with the strength and identity of ``species``
    (its own, or the species a chameleon imitates: A6)."""
    pos = q.index(me)
    strength = int(species)
    if species is Species.LION:  # 2 Lion
        if any(x is not me and x.card.species is Species.LION for x in q):
            q.remove(me)
            ti.append(me.card)
            return
        for x in [x for x in q if x is not me and x.card.species is Species.MONKEY]:
            q.remove(x)
            ti.append(x.card)
        q.remove(me)
        q.insert(0, me)
    elif species in (Species.HIPPO, Species.CROCODILE):  # 11 Hippo / 10 Crocodile
        while pos > 0:
            ahead = q[pos - 1].card
            if ahead.species is Species.ZEBRA or ahead.strength >= strength:
                break
            if species is Species.HIPPO:
                q[pos - 1], q[pos] = q[pos], q[pos - 1]
            else:
                ti.append(q.pop(pos - 1).card)
            pos -= 1
    elif species is Species.SNAKE:  # 9 Snake: stable sort, strongest first (A13)
        q.sort(key=lambda x: -(strength if x is me else x.card.strength))
    elif species is Species.GIRAFFE:  # 8 Giraffe: one swap (A14)
        if pos > 0 and q[pos - 1].card.strength < strength:
            q[pos - 1], q[pos] = q[pos], q[pos - 1]
    elif species is Species.SEAL:  # 6 Seal: the queue turns round
        q.reverse()
    elif species is Species.MONKEY:  # 4 Monkey
        others = [x for x in q if x is not me and x.card.species is Species.MONKEY]
        if not others:
            return
        for x in [x for x in q if x.card.species in (Species.HIPPO, Species.CROCODILE)]:
            q.remove(x)
            ti.append(x.card)
        rest = [x for x in q if x is not me and x not in others]
        q[:] = [me, *reversed(others), *rest]
    elif species is Species.KANGAROO:  # 3 Kangaroo
        if param:
            q.remove(me)
            q.insert(pos - param, me)
    elif species is Species.PARROT:  # 2 Parrot
        if param is not None:
            ti.append(q.pop(param).card)
    elif species is Species.SKUNK:  # 1 Skunk (A15)
        strengths = sorted(
            {x.card.strength for x in q if x is not me and x.card.species is not Species.SKUNK},
            reverse=True,
        )[:2]
        for x in [x for x in q if x is not me and x.card.species is not Species.SKUNK]:
            if x.card.strength in strengths:
                q.remove(x)
                ti.append(x.card)
    # zebra, and a chameleon with nothing to copy: no action


def play(s: State, action: int) -> State:
    """Steps 1-4 of the turn (no draw, no change of player)."""
    if action not in legal_actions(s):
        raise ValueError(f"action {action} is not legal in this state")
    act = ACTIONS[action]
    p = s.to_move
    hand = list(s.hands[p])
    card = next(c for c in hand if c.species is act.species)
    hand.remove(card)
    q = [_Slot(c) for c in s.queue]
    ti = list(s.thats_it)
    bar = list(s.bar)
    played = _Slot(card)
    q.append(played)  # 1. play at the back
    _act(q, ti, played, act.copy or act.species, act.param)  # 2. on-play action
    for x in [x for x in q if x is not played and x.card.species in RECURRING]:  # 3.
        if x in q:
            _act(q, ti, x, x.card.species, None)
    if len(q) == QUEUE_MAX:  # 4. five-animal check
        bar += [q[0].card, q[1].card]
        ti.append(q[4].card)
        q = q[2:4]
    hands = (tuple(hand), s.hands[1]) if p == 0 else (s.hands[0], tuple(hand))
    return replace(s, queue=tuple(x.card for x in q), bar=tuple(bar), thats_it=tuple(ti), hands=hands)


def step(s: State, action: int) -> State:
    """One full turn: :func:`play`, then the mover draws (5) and play passes."""
    s = play(s, action)
    p = s.to_move
    hands = list(s.hands)
    decks = list(s.decks)
    if decks[p]:
        hands[p] = hands[p] + (decks[p][0],)
        decks[p] = decks[p][1:]
    return replace(
        s,
        hands=(hands[0], hands[1]),
        decks=(decks[0], decks[1]),
        turn=s.turn + 1,
        to_move=1 - p,
        history=(*s.history, action) if len(s.history) == s.turn else s.history,
    )


assert NUM_ACTIONS == 33
