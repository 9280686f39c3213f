"""``beasty serve``: play an agent in the browser, or watch two agents play
a deal (Flask; the page and its script are served from ``static/``, nothing
from a CDN).

Each browser session (a signed cookie holding a random id) has at most one
game, kept on the server.  The API answers with what the human's seat may
see and nothing more: the table, the scores, the human's own hand, how many
cards are hidden where, the legal moves and what each turn did
(:func:`public_view`).  A watched deal shows the public table only.  Every
request body is validated here; a bad one gets status 400 and
``{"error": "..."}``.

    POST /api/new    {"agent": "champion", "seat": 0 | 1 | "random", "seed": optional}
    GET  /api/state
    POST /api/move   {"action": one of the "moves"' actions}
    POST /api/watch  {"agents": ["champion", "heuristic"], "seed": optional}
    GET  /api/agents
"""

from __future__ import annotations

import importlib.util
import secrets
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request, send_from_directory, session
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server, select_address_family

from beasty._ext import GameBatch
from beasty.agents import AGENT_NAMES, NEURAL_AGENTS, Agent, make
from beasty.play.narrate import ABILITIES, action_label, describe_turn, species_name
from beasty.rules import POINTS, Card, State, score

STATIC = Path(__file__).with_name("static")
#: Games kept at once; the least recently used is dropped beyond that.
MAX_GAMES = 512
MAX_SEED = 2**64


class BadRequest(ValueError):
    """A request the API refuses (status 400)."""


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
    seed: int
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


def watch(names: tuple[str, str], seed: int) -> dict[str, Any]:
    """Two agents play the deal ``seed``; one public frame per turn, told
    from seat 0's side ("you" is ``names[0]``)."""
    agents = [make(name, seed=seed + seat) for seat, name in enumerate(names)]
    games = GameBatch(1, seed=seed, auto_reset=False)
    frames = [{"table": public_view(games.get_state(0), 0, False), "lines": ["The deal."]}]
    while not games.done[0]:
        before = games.get_state(0)
        action = int(agents[before.to_move].act(games, 0))
        games.step([action])
        after = games.get_state(0)
        lines = describe_turn(before, action, after, 0, names)
        frames.append({"table": public_view(after, 0, bool(games.done[0])), "lines": lines})
    return {"agents": list(names), "seed": seed, "frames": frames}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _agent_name(value: Any, known: list[str]) -> str:
    if not isinstance(value, str) or value not in known:
        raise BadRequest(f"agent must be one of {', '.join(known)}")
    return value


def _seed(body: dict[str, Any]) -> int:
    seed = body.get("seed")
    if seed is None:
        return secrets.randbelow(2**32)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < MAX_SEED:
        raise BadRequest("seed must be an integer in [0, 2**64)")
    return seed


def create_app(secret_key: bytes | None = None) -> Flask:
    """The web app (``app.config["BEASTY_GAMES"]`` holds the games by
    session id, for tests)."""
    app = Flask(__name__, static_folder=None)
    app.secret_key = secret_key or secrets.token_bytes(32)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    known = available_agents()
    games: OrderedDict[str, WebGame] = OrderedDict()
    games_lock = threading.Lock()
    app.config["BEASTY_GAMES"] = games

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
        body = _body()
        name = _agent_name(body.get("agent", "champion"), known)
        seed = _seed(body)
        seat = body.get("seat", 0)
        if seat == "random":
            seat = secrets.randbelow(2)
        if isinstance(seat, bool) or seat not in (0, 1):
            raise BadRequest('seat must be 0, 1 or "random"')
        game = WebGame(GameBatch(1, seed=seed, auto_reset=False), make(name, seed=seed), seat, seed)
        with game.lock:
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
        action = _body().get("action")
        if isinstance(action, bool) or not isinstance(action, int):
            raise BadRequest("action must be an integer: one of the moves' actions")
        game = current_game()
        with game.lock:
            game.play_human(action)
            return jsonify(game.view())

    @app.post("/api/watch")
    def watch_deal() -> ResponseReturnValue:
        body = _body()
        names = body.get("agents")
        if not isinstance(names, list) or len(names) != 2:
            raise BadRequest("agents must be a list of two agent names")
        return jsonify(watch((_agent_name(names[0], known), _agent_name(names[1], known)), _seed(body)))

    return app


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Runs the app until interrupted (werkzeug's threaded server, as
    Flask's ``app.run``: meant for a few players on one machine or a local
    network).  OSError if the address cannot be bound."""
    # bound here, so a busy port raises instead of werkzeug's sys.exit(1)
    listener = socket.create_server((host, port), family=select_address_family(host, port))
    server = make_server(host, port, create_app(), threaded=True, fd=listener.fileno())
    try:
        server.serve_forever()
    finally:
        server.server_close()
        listener.close()


__all__ = [
    "MAX_GAMES",
    "BadRequest",
    "WebGame",
    "available_agents",
    "create_app",
    "public_view",
    "serve",
    "watch",
]
