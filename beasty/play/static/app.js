// beasty serve's page: talks to the JSON API of beasty/play/web.py.  The
// DOM is built with textContent only, so nothing the server sends is
// parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let watching = null; // {agents, frames, index} while a watched deal or a record is shown
let replaying = null; // what /api/review needs for the record shown: {record} or {file, game}

async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function showError(error) {
  $("error").textContent = error ? String(error.message || error) : "";
}

function cardList(cards, emptyText = "-") {
  const cell = document.createDocumentFragment();
  if (cards.length === 0) {
    const empty = document.createElement("span");
    empty.className = "empty";
    empty.textContent = emptyText;
    cell.appendChild(empty);
  }
  for (const card of cards) {
    const span = document.createElement("span");
    span.className = "card " + (card.mine ? "mine" : "theirs");
    span.textContent = card.species + " ";
    const points = document.createElement("small");
    points.textContent = card.points;
    span.appendChild(points);
    cell.appendChild(span);
  }
  return cell;
}

function fill(id, content) {
  const element = $(id);
  element.replaceChildren(content);
}

function renderTable(table, names) {
  $("table").hidden = false;
  fill("bar", cardList(table.bar));
  fill("queue", cardList(table.queue));
  fill("thats-it", cardList(table.thats_it));
  const c = table.counts;
  $("counts").textContent =
    `${names[0]}: ${c.your_hand} in hand, ${c.your_pile} in pile; ` +
    `${names[1]}: ${c.their_hand} in hand, ${c.their_pile} in pile`;
  const scores = `${names[0]} ${table.scores.you} points, ${names[1]} ${table.scores.them} points`;
  $("status").textContent = `Turn ${Math.min(table.turn + 1, 24)}: ${scores}`;
  const result = $("result");
  if (table.done) {
    const verdict = { win: `${names[0]} win${names[0] === "you" ? "" : "s"}!`,
                      loss: `${names[1]} wins.`, draw: "A draw." }[table.result];
    result.textContent = `Final score: ${names[0]} ${table.scores.you}, ${names[1]} ${table.scores.them}. ${verdict}`;
    result.dataset.you = table.scores.you;
    result.dataset.them = table.scores.them;
  } else {
    result.textContent = "";
    delete result.dataset.you;
    delete result.dataset.them;
  }
}

function renderLog(lines) {
  const log = $("log");
  log.replaceChildren();
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    log.appendChild(item);
  }
}

function renderGame(view) {
  watching = null;
  replaying = null;
  $("watch-controls").hidden = true;
  $("hint-switch").hidden = false;
  $("record-link").hidden = !view.done;
  $("hand-row").hidden = false;
  renderTable(view, ["you", view.agent]);
  const hand = document.createDocumentFragment();
  for (const card of view.hand) {
    hand.appendChild(cardList([{ species: card.species, points: card.points, mine: true }]));
    const ability = document.createElement("span");
    ability.className = "ability";
    ability.textContent = card.ability;
    hand.appendChild(ability);
  }
  fill("hand", hand);
  const moves = $("moves");
  moves.replaceChildren();
  if (view.your_turn) {
    const title = document.createElement("p");
    title.textContent = "Your move:";
    moves.appendChild(title);
  }
  for (const move of view.moves) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "move";
    button.dataset.action = move.action;
    button.textContent = move.label;
    button.addEventListener("click", () => play(move.action));
    moves.appendChild(button);
  }
  renderLog(view.log);
  if (view.your_turn && $("hint").checked) showHints();
}

async function showHints() {
  try {
    const { moves } = await api("GET", "/api/hint");
    for (const move of moves) {
      const button = document.querySelector(`button.move[data-action="${move.action}"]`);
      if (!button || button.querySelector(".hint-value")) continue;
      const value = document.createElement("span");
      value.className = "hint-value";
      value.dataset.value = move.value === null ? "" : move.value;
      value.textContent = move.value === null ? " (not searched)" : ` (${move.value >= 0 ? "+" : ""}${move.value.toFixed(2)})`;
      button.appendChild(value);
    }
  } catch (error) {
    showError(error);
  }
}

async function play(action) {
  for (const button of document.querySelectorAll("button.move")) button.disabled = true;
  try {
    renderGame(await api("POST", "/api/move", { action }));
    showError(null);
  } catch (error) {
    showError(error);
    for (const button of document.querySelectorAll("button.move")) button.disabled = false;
  }
}

function seedOf(input) {
  return input.value === "" ? undefined : Number(input.value);
}

async function newGame(event) {
  event.preventDefault();
  const seatText = $("seat").value;
  const body = { agent: $("agent").value, seat: seatText === "random" ? "random" : Number(seatText) };
  const seed = seedOf($("seed"));
  if (seed !== undefined) body.seed = seed;
  $("new-game-button").disabled = true;
  try {
    renderGame(await api("POST", "/api/new", body));
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    $("new-game-button").disabled = false;
  }
}

function renderFrame() {
  const { agents, frames, index } = watching;
  renderTable(frames[index].table, agents);
  const lines = [];
  for (let i = 0; i <= index; i++) lines.push(...frames[i].lines);
  renderLog(lines);
  $("watch-prev").disabled = index === 0;
  $("watch-next").disabled = $("watch-end").disabled = index === frames.length - 1;
}

function showFrames(deal, review) {
  const [a, b] = deal.agents;
  const names = a === b ? [`${a} (seat 0)`, `${b} (seat 1)`] : deal.agents;
  watching = { agents: names, frames: deal.frames, index: 0 };
  replaying = review;
  $("moves").replaceChildren();
  $("hand-row").hidden = true;
  $("hint-switch").hidden = true;
  $("record-link").hidden = true;
  $("watch-controls").hidden = false;
  $("review-button").hidden = review === null;
  renderFrame();
}

async function watchDeal(event) {
  event.preventDefault();
  const body = { agents: [$("watch-a").value, $("watch-b").value] };
  const seed = seedOf($("watch-seed"));
  if (seed !== undefined) body.seed = seed;
  $("watch-button").disabled = true;
  try {
    showFrames(await api("POST", "/api/watch", body), null);
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    $("watch-button").disabled = false;
  }
}

async function openRecord(event) {
  event.preventDefault();
  $("record-button").disabled = true;
  try {
    const file = $("record-file").files[0];
    if (file) {
      const line = (await file.text()).split("\n").find((text) => text.trim() !== "");
      let record;
      try {
        record = JSON.parse(line);
      } catch (error) {
        throw new Error(`${file.name} is not a game record: ${error.message}`);
      }
      showFrames(await api("POST", "/api/replay", record), { record });
    } else if ($("record-list").value) {
      const [name, game] = JSON.parse($("record-list").value);
      const path = `/api/records/${encodeURIComponent(name)}/${game}`;
      showFrames(await api("GET", path), { file: name, game });
    } else {
      throw new Error("choose a record, or a record file");
    }
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    $("record-button").disabled = false;
  }
}

async function reviewRecord() {
  $("review-button").disabled = true;
  try {
    const { marks } = await api("POST", "/api/review", replaying);
    const log = $("log");
    const marked = marks.filter((m) => m.marked);
    const summary = document.createElement("li");
    summary.className = "review";
    summary.textContent = `Review: ${marked.length} marked of ${marks.length} decisions.`;
    log.appendChild(summary);
    for (const m of marked) {
      const item = document.createElement("li");
      item.className = "review marked";
      const value = m.value === null ? "not searched" : m.value.toFixed(2);
      item.textContent = `Move ${m.move}, ${m.player}: ${m.played} (${value}); better ${m.best} (${m.best_value.toFixed(2)})`;
      log.appendChild(item);
    }
    showError(null);
  } catch (error) {
    showError(error);
  } finally {
    $("review-button").disabled = false;
  }
}

function stepFrame(to) {
  if (!watching) return;
  watching.index = Math.max(0, Math.min(watching.frames.length - 1, to));
  renderFrame();
}

async function start() {
  const { agents, default: preferred } = await api("GET", "/api/agents");
  for (const id of ["agent", "watch-a", "watch-b"]) {
    const select = $(id);
    for (const name of agents) select.appendChild(new Option(name, name));
  }
  $("agent").value = $("watch-a").value = preferred;
  $("watch-b").value = agents.includes("heuristic") ? "heuristic" : agents[0];
  const { records } = await api("GET", "/api/records");
  const list = $("record-list");
  list.appendChild(new Option(records.length ? "a recorded game..." : "(no records folder)", ""));
  for (const r of records) {
    const label = `${r.file} #${r.game}: ${r.players[0]} ${r.scores[0]} - ${r.scores[1]} ${r.players[1]}`;
    list.appendChild(new Option(label, JSON.stringify([r.file, r.game])));
  }
  $("new-game").addEventListener("submit", newGame);
  $("watch").addEventListener("submit", watchDeal);
  $("records-form").addEventListener("submit", openRecord);
  $("review-button").addEventListener("click", reviewRecord);
  $("hint").addEventListener("change", () => {
    if ($("hint").checked && document.querySelector("button.move")) showHints();
  });
  $("watch-prev").addEventListener("click", () => stepFrame(watching.index - 1));
  $("watch-next").addEventListener("click", () => stepFrame(watching.index + 1));
  $("watch-end").addEventListener("click", () => stepFrame(watching.frames.length - 1));
  try { // a reload shows this session's game, if it has one
    renderGame(await api("GET", "/api/state"));
  } catch (error) {
    // no game yet in this session
  }
}

start().catch(showError);
