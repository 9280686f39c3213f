"""Pictures (matplotlib, PNG): a training run's learning curves and an
evaluation's win rates, each with its 95 % Wilson interval.

``beasty plot RUN_DIR`` and the end of ``beasty train`` call
:func:`plot_run`; ``beasty eval --plot FILE`` calls :func:`plot_results`.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from beasty.files import load_yaml
from beasty.match import MatchResult, wilson_interval

#: The training curves, one panel each: (title, metric keys).
TRAINING_PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entropy", ("train/entropy",)),
    ("approximate KL", ("train/approx_kl",)),
    ("policy loss", ("train/policy_loss",)),
    ("value loss", ("train/value_loss",)),
    ("gradient norm", ("train/grad_norm_pre_clip", "train/grad_norm_post_clip")),
    ("exploiters' win rate (exploit-patch cycles)", ("exploit/win_rate",)),
    ("decisions / s", ("time/decisions_per_second", "rollout/decisions_per_second",
                       "time/loop_decisions_per_second")),
)  # fmt: skip


class PlotError(ValueError):
    """The run folder or results cannot be drawn (missing or malformed files)."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as e:
        raise PlotError("drawing needs matplotlib: pip install 'beasty[plot]'") from e
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def read_metrics(run_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """``metrics.csv`` of a run as key -> [(iteration, value), ...]."""
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        raise PlotError(f"{path} does not exist: is {run_dir} a training run folder?")
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    with path.open(newline="") as f:
        rows = csv.reader(f)
        if next(rows, None) != ["iteration", "key", "value"]:
            raise PlotError(f"{path} is not a beasty metrics file")
        for line, row in enumerate(rows, start=2):
            try:
                iteration, key, value = int(row[0]), row[1], float(row[2])
            except (ValueError, IndexError) as e:
                raise PlotError(f"{path}, line {line}: malformed row {row!r}") from e
            series[key].append((iteration, value))
    return dict(series)


def _eval_games(run_dir: Path) -> tuple[int, int, int]:
    """Games per opponent of the periodic and of the final evaluation, and
    the final iteration, from the run's config."""
    configs = sorted(run_dir.glob("config*.yaml"), key=lambda p: p.stat().st_mtime)
    if not configs:
        raise PlotError(f"{run_dir} has no config.yaml")
    try:
        config = load_yaml(configs[-1].read_text())
        games = int(config["eval"]["games"])
        return games, int(config["eval"].get("final_games") or games), int(config["total_iterations"])
    except (yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        raise PlotError(f"{configs[-1]} is not a beasty training config: {e}") from e


def plot_run(run_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Writes ``win_rates.png`` and ``training.png`` (into ``RUN_DIR/plots``
    unless ``out_dir``) and returns their paths."""
    plt = _pyplot()
    run = Path(run_dir)
    metrics = read_metrics(run)
    games, final_games, last = _eval_games(run)
    out = Path(out_dir) if out_dir is not None else run / "plots"
    out.mkdir(parents=True, exist_ok=True)
    written = []

    opponents = sorted(k.split("/", 2)[2] for k in metrics if k.startswith("eval/win_rate/"))
    fig, ax = plt.subplots(figsize=(10, 6))
    for name in opponents:
        points = metrics[f"eval/win_rate/{name}"]
        iterations = np.array([i for i, _ in points])
        rates = np.array([v for _, v in points])
        per_point = np.where(iterations == last, final_games, games) * (
            len(opponents) - 1 if name == "all" else 1
        )
        bands = np.array(
            [wilson_interval(round(r * n), int(n)) for r, n in zip(rates, per_point, strict=True)]
        )
        style = {"color": "black", "linewidth": 2.5} if name == "all" else {"linewidth": 1.2}
        (line,) = ax.plot(iterations, rates, marker="o", markersize=3, label=name, **style)
        ax.fill_between(iterations, bands[:, 0], bands[:, 1], color=line.get_color(), alpha=0.12)
    ax.set(xlabel="iteration", ylabel="win rate (draws are not wins)", ylim=(0, 1.0),
           title=f"{run.name}: win rate per opponent, 95 % Wilson intervals")  # fmt: skip
    ax.grid(alpha=0.3)
    if opponents:
        ax.legend(fontsize=8, ncol=2, loc="lower right")
    written.append(_save(fig, out / "win_rates.png", plt))

    fig, axes = plt.subplots(2, 4, figsize=(18, 7))
    axes.flat[-1].set_axis_off()  # seven panels
    for ax, (title, keys) in zip(axes.flat, TRAINING_PANELS, strict=False):
        for key in keys:
            if key in metrics:
                at, values = zip(*metrics[key], strict=True)
                ax.plot(at, values, label=key, linewidth=1.2)
        ax.set(title=title, xlabel="iteration")
        ax.grid(alpha=0.3)
        if len(keys) > 1 and ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.suptitle(f"{run.name}: training")
    written.append(_save(fig, out / "training.png", plt))
    return written


def plot_results(results: Sequence[MatchResult], path: str | Path, title: str | None = None) -> Path:
    """A bar per opponent: win rate with its 95 % interval."""
    if not results:
        raise PlotError("no results to draw")
    plt = _pyplot()
    names = [r.opponent for r in results]
    rates = np.array([r.win_rate for r in results])
    low = rates - np.array([r.ci95[0] for r in results])
    high = np.array([r.ci95[1] for r in results]) - rates
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(results) + 1.5))
    ax.barh(names, rates, xerr=[low, high], capsize=3, color="tab:blue", alpha=0.8)
    for y, rate in enumerate(rates):
        ax.text(min(rate + 0.01, 0.93), y, f"{rate:.3f}", va="center", fontsize=8)
    ax.set(xlim=(0, 1.0), xlabel="win rate (95 % Wilson interval; draws are not wins)",
           title=title or "win rate per opponent")  # fmt: skip
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, Path(path), plt)


def results_from_json(path: str | Path) -> list[MatchResult]:
    """The results of a ``beasty eval --json`` file."""
    import json

    try:
        rows: Iterable[dict[str, Any]] = json.loads(Path(path).read_text())["results"]
        fields = ("opponent", "games", "wins", "losses", "draws", "margin_sum", "length_sum")
        return [MatchResult(**{k: row[k] for k in fields}, ci95=wilson_interval(row["wins"], row["games"]))
                for row in rows]  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PlotError(f"{path} is not a beasty evaluation file: {e}") from e


def _save(fig: Any, path: Path, plt: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
