"""beasty serve: the JSON API (Flask's test client) and the page in a real
headless browser (Debian's chromium and chromium-driver, driven by
selenium; CI installs them, elsewhere the browser test is skipped)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("flask")

from werkzeug.serving import make_server

from beasty._ext import GameBatch
from beasty.agents import make
from beasty.play.web import MAX_GAMES, WebGame, create_app, watch
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
    ],
)
def test_bad_requests_get_a_400_with_the_reason(client, path, body, message):
    response = client.post(path, json=body) if body is not None else client.post(path, data="{not json")
    assert response.status_code == 400
    assert message in response.json["error"]


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
    huge = client.post("/api/new", data="x" * 10_000, content_type="application/json")
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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join()


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
