"""Game records: one JSON object per game, JSON Lines for many.

A record (format ``beasty-game-v1``) holds everything needed to replay the
game move for move in the engine and to say who played it::

    {"format": "beasty-game-v1",
     "seed": 17,                      # the deal's seed, or null for a deal given in full
     "deal": {"hands": [["lion", ...4], [...]], "piles": [[...8 top first], [...]],
              "start_player": 0},
     "early_stop": true,
     "players": [{"name": "champion", "settings": {...}}, {"name": "ppo", "settings": {}}],
     "moves": [{"player": 0, "action": 26, "label": "Seal"}, ...],
     "scores": [14, 9],
     "winner": 0}                     # 0, 1, or null for a draw

A move may carry ``"search"``: the searcher's report at that decision
(``{"value": {"26": 0.41, ...}, "visits": {"26": 812, ...}}``, per legal
action).  :func:`read_records` checks every field (a damaged or hand-edited
file gets a :class:`RecordError` naming the game and the field), and
:func:`replay` plays the moves in the engine and checks the recorded scores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beasty._ext import GameBatch
from beasty.files import atomic_write
from beasty.play.narrate import action_label
from beasty.rules import NUM_ACTIONS, Card, Species, State

RECORD_FORMAT = "beasty-game-v1"
MAX_RECORDS = 10**7


class RecordError(ValueError):
    """A game record is malformed or does not replay."""


@dataclass
class GameRecord:
    deal: State
    """The starting state: both hands and piles (top first), the start player."""
    players: list[dict[str, Any]]
    """Seat 0's and seat 1's ``{"name": ..., "settings": {...}}``."""
    actions: list[int]
    scores: tuple[int, int]
    seed: int | None = None
    searches: list[dict[str, Any] | None] = field(default_factory=list)
    """Per move, the search's report (``value`` and ``visits`` per legal action) or None."""

    @property
    def winner(self) -> int | None:
        return None if self.scores[0] == self.scores[1] else int(self.scores[1] > self.scores[0])

    def to_json(self) -> dict[str, Any]:
        states = replay(self)
        moves = []
        for t, action in enumerate(self.actions):
            move: dict[str, Any] = {"player": states[t].to_move, "action": action,
                                    "label": action_label(states[t], action, states[t].to_move)}  # fmt: skip
            search = self.searches[t] if t < len(self.searches) else None
            if search is not None:
                move["search"] = search
            moves.append(move)
        return {
            "format": RECORD_FORMAT,
            "seed": self.seed,
            "deal": {
                "hands": [[c.species.name.lower() for c in hand] for hand in self.deal.hands],
                "piles": [[c.species.name.lower() for c in pile] for pile in self.deal.decks],
                "start_player": self.deal.to_move,
            },
            "early_stop": self.deal.early_stop,
            "players": self.players,
            "moves": moves,
            "scores": list(self.scores),
            "winner": self.winner,
        }


def replay(record: GameRecord) -> list[State]:
    """The states before each move and after the last, played in the engine;
    RecordError if a move is illegal or the final scores differ."""
    games = GameBatch(1, auto_reset=False)
    try:
        games.set_state(0, record.deal)
    except ValueError as e:
        raise RecordError(f"the deal is not a valid start: {e}") from e
    states = [games.get_state(0)]
    for t, action in enumerate(record.actions):
        if games.done[0]:
            raise RecordError(f"move {t + 1}: the game was already over")
        if action not in games.legal_actions(0):
            raise RecordError(f"move {t + 1}: action {action} is not legal there")
        games.step([action])
        states.append(games.get_state(0))
    if not games.done[0]:
        raise RecordError(f"the game is not over after its {len(record.actions)} moves")
    final = tuple(int(x) for x in games.scores()[0])
    if final != tuple(record.scores):
        raise RecordError(f"the moves give the scores {list(final)}, the record says {list(record.scores)}")
    return states


def dealt(seed: int, early_stop: bool = True) -> State:
    """The engine's deal for ``seed`` (as ``GameBatch(1, seed)``)."""
    return GameBatch(1, seed=seed, early_stop=early_stop, auto_reset=False).get_state(0)


def from_game(games: GameBatch, i: int, players: Sequence[dict[str, Any]], seed: int | None,
              searches: list[dict[str, Any] | None] | None = None) -> GameRecord:  # fmt: skip
    """The record of finished game i of ``games``, dealt from ``seed`` (its
    history holds the moves)."""
    state = games.get_state(i)
    if not games.done[i] or len(state.history) != state.turn:
        raise RecordError(f"game {i} is not finished or lost its history")
    if seed is None:
        raise RecordError("a game is recorded from its deal's seed")
    scores = tuple(int(x) for x in games.scores()[i])
    return GameRecord(dealt(seed, state.early_stop), [dict(p) for p in players], list(state.history),
                      (scores[0], scores[1]), seed, list(searches or []))  # fmt: skip


# ------------------------------------------------------------------ files
def write_records(path: str | Path, records: Iterable[GameRecord]) -> Path:
    """Writes JSON Lines atomically (each record replayed and checked first)."""
    lines = [json.dumps(r.to_json(), separators=(",", ":")) for r in records]
    return atomic_write(path, ("\n".join(lines) + ("\n" if lines else "")).encode())


def _species(value: Any, where: str) -> Species:
    if not isinstance(value, str) or value.upper() not in Species.__members__:
        raise RecordError(f"{where}: {value!r} is not an animal")
    return Species[value.upper()]


def _need(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise RecordError(f"{where}: {what}")


def parse_record(data: Any, where: str = "game") -> GameRecord:
    """A record from its JSON object, every field checked; RecordError
    naming ``where`` and the field otherwise."""
    _need(isinstance(data, dict), where, "a record must be a JSON object")
    _need(data.get("format") == RECORD_FORMAT, f"{where}, field format", f"must be {RECORD_FORMAT!r}")
    seed = data.get("seed")
    _need(seed is None or (type(seed) is int and 0 <= seed < 2**64), f"{where}, field seed",
          "must be null or an integer in [0, 2**64)")  # fmt: skip
    deal = data.get("deal")
    _need(isinstance(deal, dict), f"{where}, field deal", "must be an object")
    hands, piles = deal.get("hands"), deal.get("piles")
    start = deal.get("start_player")
    _need(start in (0, 1) and type(start) is int, f"{where}, field deal.start_player", "must be 0 or 1")
    for name, zone, size in (("hands", hands, 4), ("piles", piles, 8)):
        shaped = isinstance(zone, list) and len(zone) == 2
        shaped = shaped and all(isinstance(z, list) and len(z) == size for z in zone)
        _need(shaped, f"{where}, field deal.{name}", f"must be two lists of {size} animals")
    assert isinstance(hands, list) and isinstance(piles, list)
    cards = [[[Card(p, _species(s, f"{where}, field deal.{zone}[{p}]")) for s in z[p]] for p in (0, 1)]
             for zone, z in (("hands", hands), ("piles", piles))]  # fmt: skip
    early_stop = data.get("early_stop", True)
    _need(isinstance(early_stop, bool), f"{where}, field early_stop", "must be true or false")
    in_hand, in_pile = cards
    state = State((), (), (), (tuple(in_hand[0]), tuple(in_hand[1])), (tuple(in_pile[0]), tuple(in_pile[1])),
                  0, start, early_stop)  # fmt: skip
    players = data.get("players")
    _need(isinstance(players, list) and len(players) == 2 and all(
        isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("settings", {}), dict)
        for p in players), f"{where}, field players", "must be two {name, settings} objects")  # fmt: skip
    moves = data.get("moves")
    _need(isinstance(moves, list) and len(moves) <= 24, f"{where}, field moves", "must list at most 24 moves")
    assert isinstance(moves, list)
    actions, searches = [], []
    for t, move in enumerate(moves):
        at = f"{where}, field moves[{t}]"
        _need(isinstance(move, dict), at, "must be an object")
        action = move.get("action")
        _need(type(action) is int and 0 <= action < NUM_ACTIONS, f"{at}.action",
              f"must be an action index in [0, {NUM_ACTIONS})")  # fmt: skip
        actions.append(action)
        search = move.get("search")
        report = search is None or (isinstance(search, dict) and set(search) <= {"value", "visits"})
        _need(report, f"{at}.search", "must be null or {value, visits}")
        searches.append(search)
    scores = data.get("scores")
    two = isinstance(scores, list) and len(scores) == 2
    two = two and all(type(s) is int and 0 <= s <= 64 for s in scores)
    _need(two, f"{where}, field scores", "must be two integers")
    assert isinstance(scores, list)
    record = GameRecord(state, [{"name": p["name"], "settings": p.get("settings", {})} for p in players],
                        actions, (scores[0], scores[1]), seed, searches)  # fmt: skip
    try:
        states = replay(record)
    except RecordError as e:
        raise RecordError(f"{where}: {e}") from None
    for t, move in enumerate(moves):
        _need(move.get("player", states[t].to_move) == states[t].to_move, f"{where}, field moves[{t}].player",
              f"must be {states[t].to_move}, the player to move")  # fmt: skip
    _need(data.get("winner", record.winner) == record.winner, f"{where}, field winner",
          f"must be {record.winner}, as the scores say")  # fmt: skip
    return record


def read_records(path: str | Path) -> list[GameRecord]:
    """Every record of a JSON Lines file (a single JSON object is one
    record), each checked and replayed."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise RecordError(f"cannot read {path}: {e}") from e
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise RecordError(f"{path} holds no game")
    if len(lines) > MAX_RECORDS:
        raise RecordError(f"{path} holds more than {MAX_RECORDS:,} games")
    records = []
    for k, (n, line) in enumerate(lines):
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise RecordError(f"{path}: game {k + 1} (line {n}) is not JSON: {e}") from None
        records.append(parse_record(data, f"{path}: game {k + 1} (line {n})"))
    return records
