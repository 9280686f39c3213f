"""beasty serve: the JSON API (Flask's test client) and the page in a real
headless browser (Debian's chromium and chromium-driver, driven by
selenium; CI installs them, elsewhere the browser test is skipped)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("flask")
pytest.importorskip("waitress")

from beasty import rules
from beasty._ext import GameBatch
from beasty.agents import make
from beasty.play import web
from beasty.play.web import MAX_GAMES, REQUESTS, WebGame, create_app, make_server, record_frames, watch
from beasty.rules import score


@pytest.fixture
def client() -> Any:
    return create_app(b"test").test_client()


def _stored_game(client: Any) -> WebGame:
    games = client.application.config["BEASTY_GAMES"]
    assert len(games) == 1
    return next(iter(games.values()))


def _play_to_the_end(client: Any, view: dict[str, Any]) -> dict[str, Any]:
    while not view["done"]:
        assert view["your_turn"] and view["moves"]
        response = client.post("/api/move", json={"action": view["moves"][-1]["action"]})
        assert response.status_code == 200, response.json
        view = response.json
    return view


@pytest.mark.parametrize("seat", [0, 1])
def test_a_whole_game_through_the_api_ends_with_the_engines_score(client, seat):
    assert "champion" in client.get("/api/agents").json["agents"]
    view = client.post("/api/new", json={"agent": "heuristic", "seat": seat, "seed": 12}).json
    assert view["agent"] == "heuristic" and view["seed"] == 12 and not view["done"]
    assert len(view["hand"]) == 4 and view["your_turn"]
    final = _play_to_the_end(client, view)
    game = _stored_game(client)
    state = game.games.get_state(0)
    assert final["scores"] == {"you": score(state, seat), "them": score(state, 1 - seat)}
    assert (
        final["result"]
        == {1: "win", -1: "loss", 0: "draw"}[int(np.sign(score(state, seat) - score(state, 1 - seat)))]
    )
    assert final["moves"] == [] and final["log"][-1]
    assert client.get("/api/state").json == final
    again = client.post("/api/move", json={"action": 0})
    assert again.status_code == 400 and "over" in again.json["error"]


def test_one_game_per_session_and_sessions_are_separate():
    app = create_app(b"test")
    first, second = app.test_client(), app.test_client()
    first.post("/api/new", json={"agent": "random", "seed": 1})
    first.post("/api/new", json={"agent": "random", "seed": 2})
    assert len(app.config["BEASTY_GAMES"]) == 1  # the new game replaced the old one
    assert second.get("/api/state").status_code == 400
    second.post("/api/new", json={"agent": "random", "seed": 3})
    assert first.get("/api/state").json["seed"] == 2 and second.get("/api/state").json["seed"] == 3
    assert MAX_GAMES >= 2


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/new", None, "JSON object"),
        ("/api/new", [1, 2], "JSON object"),
        ("/api/new", {"agent": "nobody"}, "agent must be"),
        ("/api/new", {"agent": 3}, "agent must be"),
        ("/api/new", {"seat": 2}, "seat"),
        ("/api/new", {"seat": True}, "seat"),
        ("/api/new", {"seed": -1}, "seed"),
        ("/api/new", {"seed": 2**64}, "seed"),
        ("/api/new", {"seed": 1.5}, "seed"),
        ("/api/new", {"seed": "7"}, "seed"),
        ("/api/move", {"action": 0}, "no game"),
        ("/api/watch", {"agents": ["random"]}, "two agent names"),
        ("/api/watch", {"agents": ["random", "ghost"]}, "agent must be"),
        ("/api/watch", {"agents": ["random", "random"], "seed": -3}, "seed"),
        ("/api/new", {"seat": 1.0}, "seat"),
        ("/api/new", {"seat": "1"}, "seat"),
        ("/api/new", {"agent": "random", "colour": "red"}, "unknown field 'colour'"),
        ("/api/watch", {"agents": ["random", "random", "random"]}, "two agent names"),
        ("/api/watch", {"agents": "random,random"}, "two agent names"),
        ("/api/move", {"action": 2**70}, "no game"),
    ],
)
def test_bad_requests_get_a_400_with_the_reason(client, path, body, message):
    response = client.post(path, json=body) if body is not None else client.post(path, data="{not json")
    assert response.status_code == 400
    assert message in response.json["error"]


def test_deeply_nested_bodies_get_a_400(client):
    for body in ("[" * 2000, "{\"agent\": " * 300 + "1" + "}" * 300, "[" * 1000 + "]" * 1000):
        response = client.post("/api/new", data=body, content_type="application/json")
        assert response.status_code == 400 and "error" in response.json


def test_a_float_seat_never_reaches_the_game(client):
    assert client.post("/api/new", json={"agent": "random", "seat": 1.0}).status_code == 400
    assert client.get("/api/state").status_code == 400  # no game was made, so none is broken


def test_the_largest_seed_watches_and_replays(client):
    body = {"agents": ["random", "random"], "seed": 2**64 - 1}
    first = client.post("/api/watch", json=body)
    assert first.status_code == 200 and first.json["seed"] == 2**64 - 1
    assert client.post("/api/watch", json=body).json == first.json


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["random", "heuristic", "champion", 0, 1, "random", 2**64 - 1]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["agent", "seat", "seed", "action", "agents", "x"]), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from([*sorted(REQUESTS), "/api/replay"]), body=JSON, with_game=st.booleans())
def test_random_json_never_gets_a_500(path, body, with_game):
    test_client = create_app(b"fuzz").test_client()
    if with_game:
        assert test_client.post("/api/new", json={"agent": "random", "seed": 1}).status_code == 200
    if path == "/api/watch" and isinstance(body, dict) and isinstance(body.get("agents"), list):
        body["agents"] = ["random" if a == "champion" else a for a in body["agents"]]  # keep it quick
    response = test_client.post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400, 413), (path, body, response.json)
    assert "error" in response.json or response.status_code == 200
    assert test_client.get("/api/state").status_code in (200, 400)


def _integers(value: Any) -> Iterator[int]:
    """Every integer in a JSON value, and every run of digits in its strings."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, str):
        for run in "".join(ch if ch.isdigit() else " " for ch in value).split():
            yield int(run)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _integers(key)
            yield from _integers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _integers(item)


def _reproduces(candidate: int, dealt: rules.State) -> bool:
    """Whether the deal of seed ``candidate`` is the server's deal."""
    if not 0 <= candidate < 2**64:
        return False
    return rules.deal(candidate)[0] == dealt


def _rebuilt_deals(responses: list[Any], dealt: rules.State) -> list[int]:
    return [v for r in responses for v in set(_integers(r)) if _reproduces(v, dealt)]


@pytest.mark.parametrize("seat", [0, 1])
def test_no_response_lets_the_player_rebuild_a_server_chosen_deal(seat, monkeypatch):
    """Every integer of every response (and every number inside a string)
    is tried as a deal seed against the server's secret deal."""
    drawn: list[int] = []

    def recorded_randbelow(n: int) -> int:
        drawn.append(web.secrets.SystemRandom().randrange(n))
        return drawn[-1]

    monkeypatch.setattr(web.secrets, "randbelow", recorded_randbelow)
    client = create_app(b"hidden").test_client()
    responses = [client.get("/api/agents").json]
    view = client.post("/api/new", json={"agent": "heuristic", "seat": seat}).json
    responses.append(view)
    (deal_seed,) = drawn
    while not view["done"]:
        view = client.post("/api/move", json={"action": view["moves"][0]["action"]}).json
        responses += [view, client.get("/api/state").json]
    assert view["seed"] is None
    assert _rebuilt_deals(responses, rules.deal(deal_seed)[0]) == []
    watched = client.post("/api/watch", json={"agents": ["random", "heuristic"]}).json
    assert watched["seed"] is None and _rebuilt_deals([watched], rules.deal(drawn[-1])[0]) == []
    # the same search finds a deal the player chose: it would catch a leak
    chosen = client.post("/api/new", json={"agent": "heuristic", "seat": seat, "seed": 2**40 + seat}).json
    assert _rebuilt_deals([chosen], rules.deal(2**40 + seat)[0]) == [2**40 + seat]


def test_a_busy_server_answers_503_and_applies_nothing(monkeypatch):
    app = create_app(b"busy", max_computing=1)
    client = app.test_client()
    view = client.post("/api/new", json={"agent": "random", "seed": 3}).json
    started, release = threading.Event(), threading.Event()

    def slow_watch(names: Any, seed: Any = None) -> dict[str, Any]:
        started.set()
        release.wait(30)
        return {"frames": []}

    monkeypatch.setattr(web, "watch", slow_watch)
    busy_body = {"agents": ["random", "random"]}
    watcher = threading.Thread(target=lambda: app.test_client().post("/api/watch", json=busy_body))
    watcher.start()
    assert started.wait(30)
    try:
        for path, body in (("/api/watch", {"agents": ["random", "random"]}),
                           ("/api/move", {"action": view["moves"][0]["action"]}),
                           ("/api/new", {"agent": "random"})):  # fmt: skip
            response = client.post(path, json=body)
            assert response.status_code == 503 and "busy" in response.json["error"], path
            assert response.headers["Retry-After"] == "1"
        assert client.get("/api/state").json == view  # the refused move was not applied
        assert client.get("/api/agents").status_code == 200  # plain requests are still answered
    finally:
        release.set()
        watcher.join()
    assert client.post("/api/move", json={"action": view["moves"][0]["action"]}).status_code == 200


def _get(url: str, body: Any = None) -> tuple[int, float]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - start


def test_plain_requests_stay_fast_while_watches_saturate_the_server(served_load):
    """A bounded load test on loopback: for 3 seconds 12 clients ask for
    champion-against-champion watches without pause, against 2 computing
    slots, while a plain GET goes every 50 ms."""
    url, stop_at = served_load, time.perf_counter() + 3.0
    statuses: list[int] = []

    def watcher() -> None:
        while time.perf_counter() < stop_at:
            statuses.append(_get(f"{url}/api/watch", {"agents": ["champion", "champion"]})[0])

    watchers = [threading.Thread(target=watcher) for _ in range(12)]
    for w in watchers:
        w.start()
    latencies = []
    while time.perf_counter() < stop_at:
        status, seconds = _get(f"{url}/api/agents")
        assert status == 200
        latencies.append(seconds)
        time.sleep(0.05)
    for w in watchers:
        w.join()
    assert sorted(set(statuses)) == [200, 503]
    print(f"watches: {statuses.count(200)} computed, {statuses.count(503)} refused; GET latency over "
          f"{len(latencies)} requests: median {np.median(latencies) * 1e3:.1f} ms, "
          f"max {max(latencies) * 1e3:.1f} ms")
    assert max(latencies) < 1.0


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` on waitress in a thread, at the URL yielded.  The thread stops
    and closes the server itself: closing its sockets from here would pull
    them from under its select (EBADF in that thread)."""
    from waitress import wasyncore

    server = make_server(app, "127.0.0.1", 0)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(10)


@pytest.fixture
def served_load() -> Iterator[str]:
    with serving(create_app(b"load", max_computing=2)) as url:
        yield url


def test_bad_moves_are_refused_and_change_nothing(client):
    view = client.post("/api/new", json={"agent": "random", "seed": 5}).json
    legal = {m["action"] for m in view["moves"]}
    illegal = next(a for a in range(200) if a not in legal)
    for body in ({"action": illegal}, {"action": True}, {"action": "0"}, {"action": 1.0}, {}, {"action": -1}):
        response = client.post("/api/move", json=body)
        assert response.status_code == 400, body
    assert client.get("/api/state").json == view


def test_other_http_errors_are_json(client):
    assert client.get("/api/nothing").status_code == 404
    assert "error" in client.get("/api/nothing").json
    assert client.get("/api/new").status_code == 405
    huge = client.post("/api/new", data="x" * 100_000, content_type="application/json")
    assert huge.status_code == 413 and "error" in huge.json


def test_the_page_and_its_assets_are_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/app.js" in page and "/static/style.css" in page and "http" not in page.lower()
    for asset in ("app.js", "style.css"):
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200 and b"http" not in response.data.lower()
    assert client.get("/static/../web.py").status_code == 404


@pytest.mark.parametrize("deal", range(6))
def test_the_view_shows_nothing_hidden(deal):
    """Two games that differ only in what the human cannot see (the
    opponent's hand, both piles' order) give the same view."""
    seat = deal % 2
    game = WebGame(GameBatch(1, seed=deal, auto_reset=False), make("heuristic", seed=deal), seat, deal)
    game.play_agent_turns()
    for _ in range(deal * 2 % 9):
        game.play_human(game.games.legal_actions(0)[0])
    twin_games = GameBatch(1, auto_reset=False)
    twin_games.set_state(0, game.games.determinize(0, seed=deal + 100))
    twin = WebGame(twin_games, game.agent, seat, deal, log=list(game.log))
    assert twin.games.get_state(0) != game.games.get_state(0)
    assert twin.view() == game.view()


def test_watch_plays_the_deal_publicly():
    deal = watch(("heuristic", "random"), 9)
    frames = deal["frames"]
    assert deal["agents"] == ["heuristic", "random"] and frames[-1]["table"]["done"]
    assert not any(f["table"]["done"] for f in frames[:-1])
    assert "hand" not in frames[0]["table"] and "heuristic played" in " ".join(
        frames[1]["lines"] + frames[2]["lines"]
    )
    assert watch(("heuristic", "random"), 9) == deal  # the same deal and seeds, the same game


# ------------------------------------------------------------ in a browser


def _browser_tools() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture
def served() -> Iterator[tuple[str, Any]]:
    app = create_app(b"browser")
    with serving(app) as url:
        yield url, app


@pytest.fixture
def browser() -> Iterator[Any]:
    tools = _browser_tools()
    if tools is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium and chromium-driver (.ci/run)")
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = tools[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=tools[1]), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 30).until(condition)


def _fill_and_submit(
    browser: Any, url: str, choices: dict[str, str], seed: tuple[str, int], button: str
) -> None:
    """Opens the page, picks ``choices`` (select id -> value), types the deal
    into the ``seed`` field and clicks ``button``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(url)
    first = next(iter(choices))
    _wait(browser, lambda d: len(Select(d.find_element(By.ID, first)).options) > 0)
    for select_id, value in choices.items():
        Select(browser.find_element(By.ID, select_id)).select_by_value(value)
    browser.find_element(By.ID, seed[0]).send_keys(str(seed[1]))
    browser.find_element(By.ID, button).click()


def test_a_full_game_by_clicking_in_a_real_browser(served, browser):
    from selenium.webdriver.common.by import By

    url, app = served
    _fill_and_submit(browser, url, {"agent": "heuristic", "seat": "1"}, ("seed", 31), "new-game-button")
    clicks = 0
    while True:  # click a move whenever there is one, until the result is shown
        found = _wait(browser, lambda d: "over" if d.find_element(By.ID, "result").get_attribute("data-you")
                      else d.find_elements(By.CSS_SELECTOR, "button.move:enabled"))  # fmt: skip
        if found == "over":
            break
        found[clicks % len(found)].click()  # the page disables the buttons as it sends the move
        clicks += 1
    (game,) = app.config["BEASTY_GAMES"].values()
    state = game.games.get_state(0)
    human_turns = sum((state.to_move + state.turn + t) % 2 == 1 for t in range(state.turn))
    assert clicks == human_turns  # one click per move of the human's
    assert game.games.done[0] and game.seat == 1 and game.seed == 31
    shown = browser.find_element(By.ID, "result")
    assert int(shown.get_attribute("data-you")) == score(state, 1)
    assert int(shown.get_attribute("data-them")) == score(state, 0)
    assert f"you {score(state, 1)}, heuristic {score(state, 0)}" in shown.text


def test_watching_a_deal_in_a_real_browser(served, browser):
    from selenium.webdriver.common.by import By

    url, _ = served
    choices = {"watch-a": "outcome_heuristic", "watch-b": "random"}
    _fill_and_submit(browser, url, choices, ("watch-seed", 4), "watch-button")
    _wait(browser, lambda d: d.find_element(By.ID, "watch-controls").is_displayed())
    browser.find_element(By.ID, "watch-next").click()
    assert "outcome_heuristic played" in browser.find_element(By.ID, "log").text or "random played" in (
        browser.find_element(By.ID, "log").text
    )
    browser.find_element(By.ID, "watch-end").click()
    expected = watch(("outcome_heuristic", "random"), 4)["frames"][-1]["table"]["scores"]
    shown = _wait(
        browser,
        lambda d: (
            d.find_element(By.ID, "result").get_attribute("data-you") and d.find_element(By.ID, "result")
        ),
    )
    assert (int(shown.get_attribute("data-you")), int(shown.get_attribute("data-them"))) == (
        expected["you"],
        expected["them"],
    )


def test_serve_command_refuses_bad_ports_and_busy_ones(capsys):
    import socket

    from beasty.cli import main

    for port in ("0", "70000", "http"):
        with pytest.raises(SystemExit) as exit_:
            main(["serve", "--port", port])
        assert exit_.value.code == 2
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SystemExit, match="beasty: cannot listen"):
            main(["serve", "--port", str(taken.getsockname()[1])])


# ------------------------------------------------------ records, review, hints


@pytest.fixture(scope="module")
def records_folder(tmp_path_factory):
    from beasty.evaluate import evaluate
    from beasty.records import write_records

    folder = tmp_path_factory.mktemp("records")
    results = evaluate(make("heuristic"), ["random"], 4, seed=6, record="all")
    write_records(folder / "eval.jsonl", results[0].records)
    (folder / "broken.jsonl").write_text("{not json\n")
    return folder


def test_records_of_the_folder_are_listed_and_replayed(records_folder):
    from beasty.records import read_records

    client = create_app(b"records", records=records_folder).test_client()
    listed = client.get("/api/records").json
    assert [(r["file"], r["game"]) for r in listed["records"]] == [("eval.jsonl", k) for k in (1, 2, 3, 4)]
    assert listed["unreadable"] and "broken.jsonl" in listed["unreadable"][0]
    record = read_records(records_folder / "eval.jsonl")[2]
    deal = client.get("/api/records/eval.jsonl/3").json
    final = deal["frames"][-1]["table"]
    assert final["done"] and [final["scores"]["you"], final["scores"]["them"]] == list(record.scores)
    assert len(deal["frames"]) == len(record.actions) + 1
    assert "still held" in " ".join(deal["frames"][-1]["lines"])
    assert "hand" not in deal["frames"][0]["table"]  # nothing hidden before the end
    for bad in ("/api/records/eval.jsonl/9", "/api/records/nothing.jsonl/1", "/api/records/..%2Fx/1",
                "/api/records/broken.jsonl/1"):  # fmt: skip
        response = client.get(bad)
        assert response.status_code in (400, 404) and "error" in response.json, bad
    line = (records_folder / "eval.jsonl").read_text().splitlines()[2]
    uploaded = client.post("/api/replay", json=json.loads(line))
    assert uploaded.json["frames"] == deal["frames"]
    assert client.post("/api/replay", json={"format": "x"}).status_code == 400


def test_review_over_the_api(records_folder):
    client = create_app(b"review", records=records_folder).test_client()
    marks = client.post("/api/review", json={"file": "eval.jsonl", "game": 1}).json["marks"]
    assert marks and all({"move", "player", "played", "best", "marked"} <= set(m) for m in marks)
    for body in ({}, {"file": "eval.jsonl"}, {"record": {"format": "x"}}, {"game": 0, "file": "eval.jsonl"}):
        assert client.post("/api/review", json=body).status_code == 400, body


def test_a_finished_game_gives_its_record(client):
    from beasty.records import parse_record

    view = client.post("/api/new", json={"agent": "random", "seed": 8}).json
    assert client.get("/api/record").status_code == 400  # not before the end
    final = _play_to_the_end(client, view)
    record = parse_record(client.get("/api/record").json)
    assert record.seed == 8 and [final["scores"]["you"], final["scores"]["them"]] == list(record.scores)
    assert [p["name"] for p in record.players] == ["you", "random"]


@pytest.mark.parametrize("deal", range(4))
def test_a_hint_sees_only_what_the_players_seat_sees(deal):
    seat = deal % 2
    game = WebGame(GameBatch(1, seed=deal, auto_reset=False), make("heuristic", seed=deal), seat, deal)
    game.play_agent_turns()
    for _ in range(deal):
        game.play_human(game.games.legal_actions(0)[-1])
    hint = game.hint()
    assert [h["action"] for h in hint] == game.games.legal_actions(0)
    assert any(h["value"] is not None for h in hint)
    twin_games = GameBatch(1, auto_reset=False)
    twin_games.set_state(0, game.games.determinize(0, seed=deal + 50))
    twin = WebGame(twin_games, game.agent, seat, deal)
    assert twin.games.get_state(0) != game.games.get_state(0)
    assert twin.hint() == hint  # the hidden cards permuted: the same hint


def test_hints_in_a_real_browser(served, browser):
    from selenium.webdriver.common.by import By

    url, _ = served
    _fill_and_submit(browser, url, {"agent": "heuristic", "seat": "0"}, ("seed", 2), "new-game-button")
    buttons = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button.move:enabled"))
    browser.find_element(By.ID, "hint").click()
    values = _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".hint-value")) == len(buttons)
                   and d.find_elements(By.CSS_SELECTOR, ".hint-value"))  # fmt: skip
    assert all(v.text.startswith(" (") or v.text.startswith("(") for v in values)


def test_opening_and_reviewing_a_record_in_a_real_browser(records_folder, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from beasty.records import read_records

    app = create_app(b"browser-records", records=records_folder)
    with serving(app) as url:
        browser.get(url)
        _wait(browser, lambda d: len(Select(d.find_element(By.ID, "record-list")).options) > 1)
        Select(browser.find_element(By.ID, "record-list")).select_by_index(2)  # eval.jsonl #2
        browser.find_element(By.ID, "record-button").click()
        _wait(browser, lambda d: d.find_element(By.ID, "watch-controls").is_displayed())
        browser.find_element(By.ID, "watch-end").click()
        record = read_records(records_folder / "eval.jsonl")[1]
        shown = _wait(browser, lambda d: d.find_element(By.ID, "result").get_attribute("data-you")
                      and d.find_element(By.ID, "result"))  # fmt: skip
        scores = [int(shown.get_attribute("data-you")), int(shown.get_attribute("data-them"))]
        assert scores == list(record.scores)
        browser.find_element(By.ID, "review-button").click()
        summary = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#log li.review"))
        assert "marked of" in summary[0].text
        # a file of the player's own, uploaded: the fourth game
        upload = records_folder / "upload.json"
        upload.write_text((records_folder / "eval.jsonl").read_text().splitlines()[3])
        browser.find_element(By.ID, "record-file").send_keys(str(upload))
        browser.find_element(By.ID, "record-button").click()
        browser.find_element(By.ID, "watch-end").click()
        frames = record_frames(read_records(records_folder / "eval.jsonl")[3])["frames"]
        lines = sum(len(frame["lines"]) for frame in frames)  # the whole story of the uploaded game
        _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#log li")) == lines)
