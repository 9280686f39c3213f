"""A rating ladder: a round robin on mirrored deals, Bradley-Terry ratings on
the Elo scale with 95 % intervals bootstrapped over deals.

Every pair of players plays the same ``games / 2`` deals (deal d = seed +
d), each deal twice with the seats swapped.  A win scores 1, a draw 1/2.
The ratings maximise the Bradley-Terry likelihood of those scores
(P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)); Hunter's 2004 MM
iterations) with one virtual drawn game per pair, so that a player who
never scores still gets a finite rating.  One player, the anchor, is
pinned at 0 (the intervals are relative to it).  The intervals resample
the deals with replacement (the same resampled deals for every pair) and
refit: the 2.5th and 97.5th percentiles of each rating.

    beasty ladder random heuristic champion runs/expert/best.npz --games 200 --workers 2
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from beasty.agents import Agent, load
from beasty.evaluate import check_match, deal_scores, in_chunks
from beasty.files import atomic_write
from beasty.match import derive_seed, shared_pool

Floats = npt.NDArray[np.float64]
ELO = 400.0 / np.log(10.0)  # rating points per natural-log unit of strength


@dataclass
class Rating:
    agent: str
    rating: float
    low: float
    high: float
    games: int
    score: float
    """(wins + draws / 2) / games over all its pairings."""


@dataclass
class Ladder:
    anchor: str
    games_per_pair: int
    seed: int
    ratings: list[Rating]
    """Best first."""
    scores: dict[str, dict[str, float]]
    """``scores[a][b]``: a's score rate against b."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def fit_ratings(points: Floats, games: Floats, anchor: int, iterations: int = 2000) -> Floats:
    """Bradley-Terry ratings (Elo scale, ``anchor`` at 0) from ``points[i, j]``
    (i's points against j) and ``games[i, j]``, with one virtual draw per
    pair that met."""
    met = games > 0
    points = points + 0.5 * met
    games = games + 1.0 * met
    wins = points.sum(axis=1)
    strength = np.ones(len(points))
    for _ in range(iterations):
        denominator = (games / (strength[:, None] + strength[None, :])).sum(axis=1)
        updated = wins / denominator
        updated /= np.exp(np.log(updated).mean())
        if np.max(np.abs(updated - strength) / strength) < 1e-10:
            strength = updated
            break
        strength = updated
    return np.asarray(ELO * (np.log(strength) - np.log(strength[anchor])), dtype=np.float64)


def round_robin(
    agents: Sequence[Agent], games: int, seed: int = 0, workers: int = 1,
    on_pair: Callable[[str, str], None] | None = None, backend: str = "processes", address: str = "",
) -> dict[tuple[int, int], Floats]:  # fmt: skip
    """Per pair (i < j): i's points in each of the ``games / 2`` mirrored
    deals, shared among ``workers`` processes or Ray tasks (``backend``)."""
    pool = shared_pool(workers, backend, address)
    out: dict[tuple[int, int], Floats] = {}
    try:
        for i, j in itertools.combinations(range(len(agents)), 2):
            if pool is None:
                out[i, j] = deal_scores(agents[i], agents[j], games, seed)
            else:
                parts = in_chunks(pool, workers, deal_scores, agents[i], agents[j], games, seed)
                out[i, j] = np.concatenate(parts)
            if on_pair is not None:
                on_pair(agents[i].name, agents[j].name)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return out


def _tables(
    results: dict[tuple[int, int], Floats], n: int, deals: npt.NDArray[np.intp]
) -> tuple[Floats, Floats]:
    points = np.zeros((n, n))
    games = np.zeros((n, n))
    for (i, j), scores in results.items():
        got = scores[deals].sum()
        points[i, j], points[j, i] = got, 2.0 * len(deals) - got
        games[i, j] = games[j, i] = 2.0 * len(deals)
    return points, games


def ladder(
    specs: Sequence[str], games: int, seed: int = 0, workers: int = 1, anchor: str | None = None,
    bootstrap: int = 500, progress: bool = False, backend: str = "processes", address: str = "",
) -> Ladder:  # fmt: skip
    """Plays the round robin of ``specs`` (anything :func:`beasty.agents.load`
    takes) and fits the ratings (module docstring)."""
    if len(specs) < 2 or len(set(specs)) != len(specs):
        raise ValueError(f"a ladder needs at least two different players, got {list(specs)}")
    check_match(games, workers)
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or not 0 <= bootstrap <= 100_000:
        raise ValueError(f"bootstrap must be an integer in [0, 100000], got {bootstrap!r}")
    agents = [load(spec, seed=derive_seed(seed, 15485863 * (k + 1))) for k, spec in enumerate(specs)]
    names = [agent.name for agent in agents]
    if len(set(names)) != len(names):
        names = list(specs)  # two files of one name: the paths tell them apart
    anchor = anchor if anchor is not None else ("random" if "random" in names else names[0])
    if anchor not in names:
        raise ValueError(f"the anchor {anchor!r} is not one of the players: {', '.join(names)}")
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(agents) * (len(agents) - 1) // 2, desc="ladder", unit="pair", leave=False)
    try:
        on_pair = None if bar is None else (lambda a, b: bar.update())
        results = round_robin(agents, games, seed, workers, on_pair, backend, address)
    finally:
        if bar is not None:
            bar.close()
    n, deals, pinned = len(agents), games // 2, names.index(anchor)
    points, played = _tables(results, n, np.arange(deals))
    ratings = fit_ratings(points, played, pinned)
    rng = np.random.default_rng(seed)
    samples = np.array([fit_ratings(*_tables(results, n, rng.integers(0, deals, deals)), pinned)
                        for _ in range(bootstrap)]) if bootstrap else ratings[None, :]  # fmt: skip
    low, high = np.percentile(samples, [2.5, 97.5], axis=0)
    rows = [
        Rating(names[k], float(ratings[k]), float(low[k]), float(high[k]), int(played[k].sum()),
               float(points[k].sum() / played[k].sum()))
        for k in range(n)
    ]  # fmt: skip
    rows.sort(key=lambda r: -r.rating)
    scores = {names[i]: {names[j]: float(points[i, j] / played[i, j]) for j in range(n) if j != i}
              for i in range(n)}  # fmt: skip
    return Ladder(anchor, games, seed, rows, scores)


def format_ladder(result: Ladder) -> str:
    head = f"{'rank':>4}  {'agent':<22}{'rating':>8}{'95% interval':>18}{'games':>8}{'score':>8}"
    lines = [
        f"Bradley-Terry ratings (Elo scale), {result.anchor} pinned at 0; "
        f"{result.games_per_pair} games per pair on mirrored deals, seed {result.seed}",
        head,
        "-" * len(head),
    ]
    for rank, r in enumerate(result.ratings, start=1):
        interval = f"[{r.low:+.0f}, {r.high:+.0f}]"
        lines.append(f"{rank:>4}  {r.agent:<22}{r.rating:>+8.0f}{interval:>18}{r.games:>8}{r.score:>8.3f}")
    return "\n".join(lines)


def write_json(path: str | Path, result: Ladder) -> None:
    atomic_write(path, json.dumps(result.to_dict(), indent=2).encode())


def plot_ladder(result: Ladder, path: str | Path) -> Path:
    """The ratings as points with their 95 % intervals, best on top."""
    from beasty.plot import _pyplot, _save

    plt = _pyplot()
    rows = result.ratings
    fig, ax = plt.subplots(figsize=(8, 0.4 * len(rows) + 1.5))
    y = np.arange(len(rows))
    ratings = np.array([r.rating for r in rows])
    errors = [ratings - np.array([r.low for r in rows]), np.array([r.high for r in rows]) - ratings]
    ax.errorbar(ratings, y, xerr=errors, fmt="o", capsize=3, color="tab:blue")
    ax.set_yticks(y, [r.agent for r in rows])
    ax.invert_yaxis()
    ax.axvline(0.0, color="grey", lw=0.8)
    ax.set(xlabel=f"rating (Elo scale, {result.anchor} = 0; 95 % bootstrap interval over deals)",
           title=f"ladder: {result.games_per_pair} games per pair")  # fmt: skip
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, Path(path), plt)
