"""``beasty serve``: play an agent in the browser, or watch two agents play
a deal (Flask on waitress; the page and its script are served from
``static/``, nothing from a CDN).

Each browser session (a signed cookie holding a random id) has at most one
game, kept on the server.  The API answers with what the human's seat may
see and nothing more: the table, the scores, the human's own hand, how many
cards are hidden where, the legal moves and what each turn did
(:func:`public_view`).  A deal the server chose is never named to the client
(its seed, which also seeds the agent, would reproduce the hidden cards); a
deal the player chose is echoed back.  A watched deal shows the public table
only.  Every request body is checked against one declared schema
(:data:`REQUESTS`); a bad one gets status 400 and ``{"error": "..."}``.  At
most ``max_computing`` games are computed at once (agent moves, watches,
hints and reviews); beyond that a request gets 503 and is not applied.

    POST /api/new     {"agent": "champion", "seat": 0 | 1 | "random", "seed": optional}
    GET  /api/state
    POST /api/move    {"action": one of the "moves"' actions}
    GET  /api/hint    the champion's value of each of your legal moves (searched from your seat)
    GET  /api/record  the finished game's record (beasty.records)
    POST /api/watch   {"agents": ["champion", "heuristic"], "seed": optional}
    GET  /api/records             the games of ``beasty serve --records DIR``
    GET  /api/records/FILE/GAME   one of them, as the frames of a watched deal
    POST /api/replay  a game record (beasty.records): its frames
    POST /api/review  {"record": a game record} or {"file": FILE, "game": GAME}: the marked moves
    GET  /api/agents
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from flask import Flask, jsonify, request, send_from_directory, session
from flask.typing import ResponseReturnValue
from pydantic import Field, ValidationError
from werkzeug.exceptions import HTTPException

from beasty._ext import GameBatch
from beasty.agents import AGENT_NAMES, NEURAL_AGENTS, Agent, make
from beasty.play.narrate import ABILITIES, action_label, describe_turn, species_name
from beasty.records import GameRecord, RecordError, from_game, parse_record, read_records, replay
from beasty.review import review_game
from beasty.rules import POINTS, Card, State, score
from beasty.schema import Schema

STATIC = Path(__file__).with_name("static")
#: Games kept at once; the least recently used is dropped beyond that.
MAX_GAMES = 512
MAX_SEED = 2**64


@functools.cache
def _hinter() -> Any:
    """The hints' search: the champion's, one fixed stream (a hint depends
    only on what the player sees)."""
    return make("champion")


class BadRequest(ValueError):
    """A request the API refuses (status 400)."""


class Busy(RuntimeError):
    """Too many games are being computed (status 503); nothing was applied."""


Seed = Annotated[int, Field(ge=0, lt=MAX_SEED)]
SEED = "an integer in [0, 2**64)"


class _Request(Schema):
    """A request body: strict, unknown fields refused (beasty.schema)."""


class NewGame(_Request):
    agent: str = Field("champion", description="one of the agent names of GET /api/agents")
    seat: Annotated[int, Field(ge=0, le=1)] | Literal["random"] = Field(0, description='0, 1 or "random"')
    seed: Seed | None = Field(None, description=SEED)


class Move(_Request):
    action: int = Field(description="an integer: one of the moves' actions")


class Watch(_Request):
    agents: list[str] = Field(min_length=2, max_length=2, description="a list of two agent names")
    seed: Seed | None = Field(None, description=SEED)


class Review(_Request):
    record: dict[str, Any] | None = Field(None, description="a game record object (beasty.records)")
    file: str | None = Field(None, description="a file of the records folder")
    game: Annotated[int, Field(ge=1)] | None = Field(None, description="a game number (1 = the first)")


#: The request bodies, by endpoint (/api/replay's is a game record, checked by beasty.records).
REQUESTS: dict[str, type[_Request]] = {
    "/api/new": NewGame, "/api/move": Move, "/api/watch": Watch, "/api/review": Review,
}  # fmt: skip


def json_body() -> dict[str, Any]:
    """The request's body as a JSON object, or BadRequest."""
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, RecursionError) as e:  # RecursionError: a body nested thousands deep
        raise BadRequest(f"the request body must be a JSON object ({type(e).__name__})") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def parse_body(model: type[_Request]) -> Any:
    """The request's JSON body checked against ``model``; BadRequest naming
    the first field at fault and what it must be."""
    body = json_body()
    try:
        return model.model_validate(body)
    except ValidationError as e:
        error = e.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "body"
        spec = model.model_fields.get(name)
        if spec is None:
            raise BadRequest(f"unknown field {name!r}; known: {', '.join(model.model_fields)}") from None
        raise BadRequest(f"{name} must be {spec.description}") from None


def available_agents() -> list[str]:
    """The agent names this installation can build (``ppo`` needs torch)."""
    has_torch = importlib.util.find_spec("torch") is not None
    return [name for name in AGENT_NAMES if has_torch or name not in NEURAL_AGENTS]


@dataclass
class WebGame:
    """One browser session's game: the human in ``seat`` against ``agent``."""

    games: GameBatch
    agent: Agent
    seat: int
    seed: int | None  # the deal, if the player chose it (else it stays on the server)
    deal: int = 0  # the deal's seed, told only in the finished game's record
    log: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def play_agent_turns(self) -> None:
        """The agent moves until it is the human's turn or the game is over."""
        while not self.games.done[0] and self.games.to_move[0] != self.seat:
            self._step(int(self.agent.act(self.games, 0)))

    def play_human(self, action: int) -> None:
        if self.games.done[0]:
            raise BadRequest("the game is over: start a new one")
        if action not in self.games.legal_actions(0):
            raise BadRequest(f"action {action} is not one of your legal moves")
        self._step(action)
        self.play_agent_turns()

    def _step(self, action: int) -> None:
        before = self.games.get_state(0)
        self.games.step([action])
        self.log.extend(describe_turn(before, action, self.games.get_state(0), self.seat))

    def hint(self) -> list[dict[str, Any]]:
        """The champion's value of each of the human's legal moves, searched
        from the human's seat: it sees what the human sees and nothing more."""
        if self.games.done[0] or self.games.to_move[0] != self.seat:
            raise BadRequest("a hint is for your turn")
        state = self.games.get_state(0)
        found = _hinter().search.run(self.games, 0, 0)
        return [
            {"action": a, "label": action_label(state, a, self.seat), "visits": int(found["visits"][a]),
             "value": None if found["visits"][a] == 0 else round(float(found["value"][a]), 3)}
            for a in self.games.legal_actions(0)
        ]  # fmt: skip

    def record(self) -> dict[str, Any]:
        if not self.games.done[0]:
            raise BadRequest("the game is not over yet: its record comes at the end")
        players = [{"name": "you", "settings": {}}, {"name": self.agent.name, "settings": {}}]
        return from_game(self.games, 0, players if self.seat == 0 else players[::-1], self.deal).to_json()

    def view(self) -> dict[str, Any]:
        state = self.games.get_state(0)
        legal = self.games.legal_actions(0) if state.to_move == self.seat else []
        view = public_view(state, self.seat, done=bool(self.games.done[0]))
        view.update(
            agent=self.agent.name,
            seed=self.seed,
            hand=[
                {
                    "species": species_name(c.species),
                    "points": POINTS[c.species],
                    "ability": ABILITIES[c.species],
                }
                for c in sorted(state.hands[self.seat], key=lambda c: c.species)
            ],
            moves=[{"action": a, "label": action_label(state, a, self.seat)} for a in legal],
            log=list(self.log),
        )
        return view


def _cards(cards: tuple[Card, ...], seat: int) -> list[dict[str, Any]]:
    return [
        {"species": species_name(c.species), "points": POINTS[c.species], "mine": c.owner == seat}
        for c in cards
    ]


def public_view(state: State, seat: int, done: bool) -> dict[str, Any]:
    """What ``seat`` sees of the table: public zones, scores and how many
    cards each hand and pile holds (never which, nor in what order)."""
    other = 1 - seat
    mine, theirs = score(state, seat), score(state, other)
    return {
        "turn": state.turn,
        "your_turn": not done and state.to_move == seat,
        "done": done,
        "scores": {"you": mine, "them": theirs},
        "result": None if not done else "win" if mine > theirs else "loss" if mine < theirs else "draw",
        "queue": _cards(state.queue, seat),
        "bar": _cards(state.bar, seat),
        "thats_it": _cards(state.thats_it, seat),
        "counts": {
            "your_hand": len(state.hands[seat]),
            "your_pile": len(state.decks[seat]),
            "their_hand": len(state.hands[other]),
            "their_pile": len(state.decks[other]),
        },
    }


def watch(names: tuple[str, str], seed: int | None = None) -> dict[str, Any]:
    """Two agents play a deal; one public frame per turn, told from seat
    0's side ("you" is ``names[0]``).  ``seed`` picks the deal (and the
    agents' streams, so the same seed replays the same game) and is echoed
    back; without it the server deals at random and says nothing of it."""
    deal = secrets.randbelow(MAX_SEED) if seed is None else seed
    agents = [make(name, seed=(deal + seat) % MAX_SEED) for seat, name in enumerate(names)]
    games = GameBatch(1, seed=deal, auto_reset=False)
    while not games.done[0]:
        games.step([int(agents[int(games.to_move[0])].act(games, 0))])
    players = [{"name": name, "settings": {}} for name in names]
    return {**record_frames(from_game(games, 0, players, deal), reveal=False), "seed": seed}


def record_frames(record: GameRecord, reveal: bool = True) -> dict[str, Any]:
    """A recorded game as the frames of a watched deal (seat 0's side);
    with ``reveal`` the last frame tells the cards still hidden at the end."""
    names = (record.players[0]["name"], record.players[1]["name"])
    states = replay(record)
    frames = [{"table": public_view(states[0], 0, False), "lines": ["The deal."]}]
    for t, action in enumerate(record.actions):
        after = states[t + 1]
        lines = describe_turn(states[t], action, after, 0, names)
        last = t + 1 == len(record.actions)
        if last and reveal:
            for p in (0, 1):
                left = [species_name(c.species) for c in (*after.hands[p], *after.decks[p])]
                lines.append(f"{names[p]} still held: {', '.join(left) or 'nothing'}.")
        frames.append({"table": public_view(after, 0, last), "lines": lines})
    return {"agents": list(names), "seed": record.seed, "frames": frames}


def review_marks(record: GameRecord) -> list[dict[str, Any]]:
    """The champion's review of every decision (beasty.review), as JSON."""
    names = [p["name"] for p in record.players]
    return [
        {"move": r.move + 1, "player": names[r.player], "played": r.played_label, "value": r.played_value,
         "best": r.best_label, "best_value": r.best_value, "marked": r.marked}
        for r in review_game(record, "champion", repeats=2)
    ]  # fmt: skip


def _agent_name(value: str, known: list[str]) -> str:
    if value not in known:
        raise BadRequest(f"agent must be one of {', '.join(known)}")
    return value


def create_app(
    secret_key: bytes | None = None, max_computing: int | None = None, records: str | Path | None = None
) -> Flask:
    """The web app (``app.config["BEASTY_GAMES"]`` holds the games by
    session id, for tests).  ``max_computing``: games computed at once
    (agent moves, watches, hints, reviews), default the number of CPUs.
    ``records``: a folder whose ``*.jsonl`` game records the page offers."""
    folder = None if records is None else Path(records)
    if folder is not None and not folder.is_dir():
        raise ValueError(f"records: {folder} is not a folder")
    if max_computing is None:
        max_computing = max(2, os.cpu_count() or 2)
    if isinstance(max_computing, bool) or not isinstance(max_computing, int) or max_computing < 1:
        raise ValueError(f"max_computing must be a positive integer, got {max_computing!r}")
    app = Flask(__name__, static_folder=None)
    app.secret_key = secret_key or secrets.token_bytes(32)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a game record with its search reports fits
    known = available_agents()
    games: OrderedDict[str, WebGame] = OrderedDict()
    games_lock = threading.Lock()
    slots = threading.BoundedSemaphore(max_computing)
    app.config["BEASTY_GAMES"] = games
    app.config["BEASTY_MAX_COMPUTING"] = max_computing

    @contextmanager
    def computing() -> Iterator[None]:
        """One of the slots for computing a game, or Busy at once."""
        if not slots.acquire(blocking=False):
            raise Busy(f"the server is busy computing {max_computing} games; try again in a moment")
        try:
            yield
        finally:
            slots.release()

    def current_game() -> WebGame:
        with games_lock:
            game = games.get(session.get("id", ""))
            if game is None:
                raise BadRequest("no game in this session: start one with POST /api/new")
            games.move_to_end(session["id"])
            return game

    @app.errorhandler(BadRequest)
    def bad_request(error: BadRequest) -> ResponseReturnValue:
        return jsonify(error=str(error)), 400

    @app.errorhandler(Busy)
    def busy(error: Busy) -> ResponseReturnValue:
        return jsonify(error=str(error)), 503, {"Retry-After": "1"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        return jsonify(error=error.description), error.code or 500

    @app.get("/")
    def index() -> ResponseReturnValue:
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> ResponseReturnValue:
        return send_from_directory(STATIC, name)

    @app.get("/api/agents")
    def agents() -> ResponseReturnValue:
        return jsonify(agents=known, default="champion")

    @app.post("/api/new")
    def new_game() -> ResponseReturnValue:
        body: NewGame = parse_body(NewGame)
        name = _agent_name(body.agent, known)
        seat = secrets.randbelow(2) if body.seat == "random" else body.seat
        deal = secrets.randbelow(MAX_SEED) if body.seed is None else body.seed
        batch = GameBatch(1, seed=deal, auto_reset=False)
        game = WebGame(batch, make(name, seed=deal), seat, body.seed, deal)
        with computing(), game.lock:
            game.play_agent_turns()
        session_id = secrets.token_urlsafe(16)
        with games_lock:
            games.pop(session.get("id", ""), None)  # one game per session
            games[session_id] = game
            while len(games) > MAX_GAMES:
                games.popitem(last=False)
        session["id"] = session_id
        with game.lock:
            return jsonify(game.view())

    @app.get("/api/state")
    def state() -> ResponseReturnValue:
        game = current_game()
        with game.lock:
            return jsonify(game.view())

    @app.post("/api/move")
    def move() -> ResponseReturnValue:
        body: Move = parse_body(Move)
        game = current_game()
        with computing(), game.lock:
            game.play_human(body.action)
            return jsonify(game.view())

    @app.get("/api/hint")
    def hint() -> ResponseReturnValue:
        game = current_game()
        with computing(), game.lock:
            return jsonify(moves=game.hint())

    @app.get("/api/record")
    def record() -> ResponseReturnValue:
        game = current_game()
        with game.lock:
            return jsonify(game.record())

    def stored(file: str, number: int) -> GameRecord:
        if folder is None:
            raise BadRequest("this server has no records folder (beasty serve --records DIR)")
        names = {p.name for p in folder.glob("*.jsonl")}
        if file not in names:
            raise BadRequest(f"no records file {file!r}; the folder holds: {', '.join(sorted(names))}")
        try:
            games = read_records(folder / file)
        except RecordError as e:
            raise BadRequest(str(e)) from None
        if not 1 <= number <= len(games):
            raise BadRequest(f"{file} holds games 1 to {len(games)}")
        return games[number - 1]

    @app.get("/api/records")
    def records_list() -> ResponseReturnValue:
        listed, unreadable = [], []
        for path in sorted(folder.glob("*.jsonl")) if folder is not None else []:
            try:
                games = read_records(path)
            except RecordError as e:
                unreadable.append(str(e))
                continue
            listed += [{"file": path.name, "game": k + 1, "players": [p["name"] for p in g.players],
                        "scores": list(g.scores)} for k, g in enumerate(games)]  # fmt: skip
        return jsonify(records=listed, unreadable=unreadable)

    @app.get("/api/records/<file>/<int:number>")
    def record_file(file: str, number: int) -> ResponseReturnValue:
        return jsonify(record_frames(stored(file, number)))

    @app.post("/api/replay")
    def replay_upload() -> ResponseReturnValue:
        try:
            return jsonify(record_frames(parse_record(json_body(), "the record")))
        except RecordError as e:
            raise BadRequest(str(e)) from None

    @app.post("/api/review")
    def review() -> ResponseReturnValue:
        body: Review = parse_body(Review)
        if (body.record is None) == (body.file is None or body.game is None):
            raise BadRequest("give either a record, or a file and a game of the records folder")
        try:
            game = parse_record(body.record, "the record") if body.record is not None else None
        except RecordError as e:
            raise BadRequest(str(e)) from None
        if game is None:
            assert body.file is not None and body.game is not None
            game = stored(body.file, body.game)
        with computing():
            return jsonify(marks=review_marks(game))

    @app.post("/api/watch")
    def watch_deal() -> ResponseReturnValue:
        body: Watch = parse_body(Watch)
        names = (_agent_name(body.agents[0], known), _agent_name(body.agents[1], known))
        with computing():
            return jsonify(watch(names, body.seed))

    return app


def make_server(app: Flask, host: str = "127.0.0.1", port: int = 8000) -> Any:
    """``app`` on waitress (a production WSGI server, pure Python), bound
    but not yet running (``.run()``, ``.close()``, ``.effective_port``).
    Its threads outnumber the app's computing slots, so plain requests are
    answered while games are computed.  OSError if the address cannot be
    bound."""
    from waitress import create_server

    threads = app.config["BEASTY_MAX_COMPUTING"] + 4
    return create_server(app, host=host, port=port, threads=threads, ident="beasty")


def serve(host: str = "127.0.0.1", port: int = 8000, max_computing: int | None = None,
          records: str | Path | None = None) -> None:  # fmt: skip
    """Runs the app on :func:`make_server` until interrupted."""
    server = make_server(create_app(max_computing=max_computing, records=records), host, port)
    try:
        server.run()
    finally:
        server.close()


__all__ = [
    "MAX_GAMES",
    "REQUESTS",
    "BadRequest",
    "Busy",
    "WebGame",
    "available_agents",
    "create_app",
    "make_server",
    "public_view",
    "record_frames",
    "serve",
    "watch",
]
