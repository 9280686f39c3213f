"""The training loop: generate games, PPO update, snapshot, exploit-patch
cycles, evaluate, checkpoint, log (TensorBoard + CSV + progress bar)."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from beasty.agents.neural import NeuralAgent
from beasty.evaluate import evaluate, format_table, play_match, write_json
from beasty.files import check_writable
from beasty.match import MatchResult, derive_seed
from beasty.policy.checkpoint import (
    CheckpointError,
    load_checkpoint,
    remove_stale_temporaries,
    save_checkpoint,
)
from beasty.policy.network import PolicyValueNet, count_parameters
from beasty.policy.weights import first_non_finite, save_weights
from beasty.train.config import ConfigError, TrainConfig, config_from_dict, torch_device
from beasty.train.pool import AdaptiveOpponentPool
from beasty.train.ppo import compute_gae, ppo_update
from beasty.train.rollout import (
    GameGenerator,
    GroupSpec,
    Snapshot,
    StateDict,
    net_from_numpy,
    state_dict_to_numpy,
)
from beasty.train.schedules import get_entropy_coef, get_learning_rate, get_temperature

EVAL_SEED = 1_000_000_000
EXPLOIT_SEED = 2_000_000_000
#: The final table plays the deals `beasty eval` plays by default (seed 0),
#: so the two give the same numbers for the same checkpoint.
FINAL_EVAL_SEED = 0


LATEST = "latest"


class TrainingDiverged(RuntimeError):
    """The loss or the weights stopped being finite."""


class StopOnSignal:
    """While active (in the main thread), SIGINT and SIGTERM ask the loop to
    stop after the iteration in flight; a second signal aborts at once."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.received = signum
        self.echo(
            f"\nbeasty train: {signal.Signals(signum).name} received: checkpointing after the iteration "
            "in flight (send it again to abort without saving)"
        )

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


class MetricsLogger:
    """Long-format CSV (iteration, key, value) plus TensorBoard if available."""

    def __init__(self, run_dir: Path, resume_iteration: int | None) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / "metrics.csv"
        kept: list[list[str]] = []
        if resume_iteration is not None and self.path.exists():
            # Rows of iterations that will be run again are dropped from the
            # live file; the old file is kept beside it if anything is dropped.
            with self.path.open() as f:
                rows = list(csv.reader(f))[1:]
            kept = [r for r in rows if r and int(r[0]) <= resume_iteration]
            if len(kept) < len(rows):
                self.path.replace(
                    run_dir / f"metrics.before_resume_{resume_iteration}_{int(time.time())}.csv"
                )
        with self.path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["iteration", "key", "value"])
            w.writerows(kept)
        self.writer: Any = None
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=resume_iteration)
        except ImportError:  # pragma: no cover - tensorboard is in the train extra
            warnings.warn("tensorboard is not installed: logging to CSV only", stacklevel=2)

    def log(self, iteration: int, metrics: dict[str, float]) -> None:
        with self.path.open("a", newline="") as f:
            csv.writer(f).writerows([iteration, k, repr(float(v))] for k, v in sorted(metrics.items()))
        if self.writer is not None:
            for k, v in metrics.items():
                self.writer.add_scalar(k, float(v), iteration)
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def make_generator(backend: str, num_workers: int, ray_address: str = "") -> GameGenerator:
    """The game generator of a ``generation.backend``; ray is imported only
    for the "ray" backend."""
    if backend == "ray":
        try:
            from beasty.train.ray_workers import RayGameGenerator
        except ImportError as e:
            raise ConfigError(f"generation.backend ray needs Ray: pip install 'beasty[ray]' ({e})") from e
        try:
            return RayGameGenerator(num_workers, ray_address)
        except (ConnectionError, RuntimeError, ValueError) as e:
            raise ConfigError(f"ray.address {ray_address!r}: cannot start or reach Ray: {e}") from e
    return GameGenerator(num_workers if backend == "processes" else 0)


class Trainer:
    def __init__(self, cfg: TrainConfig, echo: Callable[[str], None] = print) -> None:
        self.cfg = config_from_dict(cfg.to_dict())  # checked again: fields may have been set since
        self.echo = echo
        if cfg.num_threads:
            torch.set_num_threads(cfg.num_threads)
        torch.manual_seed(cfg.seed)
        self.device = torch_device(cfg.device)
        self.net = PolicyValueNet(cfg.network).to(self.device)
        # fused: one kernel for all parameters, 6x faster per step on CPU than the per-tensor loop
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=cfg.ppo.learning_rate, eps=1e-5, fused=True
        )
        o = cfg.opponents
        self.pool = AdaptiveOpponentPool(o.weights, o.min_weight, o.adaptive)
        self.np_rng = np.random.default_rng(cfg.seed)
        self.torch_gen = torch.Generator().manual_seed(cfg.seed)
        self.snapshots: dict[int, StateDict] = {}
        self.exploiters: dict[int, StateDict] = {}
        """The kept exploiters, by the iteration whose learner they were trained against."""
        self.iteration = 0
        self.interrupted_by: int | None = None
        """The signal that stopped the last :meth:`train` early, if any."""
        self.last_eval: list[MatchResult] = []
        self.exploiter_eval: list[MatchResult] = []
        """The last evaluation against the kept exploiters."""
        self.resumed_from: int | None = None
        self.run_dir = cfg.run_dir
        if not cfg.resume_from:
            # A fresh run never overwrites an earlier run's files.
            k = 1
            while (self.run_dir / "metrics.csv").exists() or any((self.run_dir / "checkpoints").glob("*.pt")):
                k += 1
                self.run_dir = cfg.run_dir.with_name(f"{cfg.run_name}-{k}")
        if cfg.resume_from:
            self.load(cfg.resume_from)
            if cfg.start_iteration is not None and self.iteration != cfg.start_iteration:
                raise ConfigError(
                    f"{cfg.resume_from} is at iteration {self.iteration}, "
                    f"the config expects {cfg.start_iteration} (start_iteration)"
                )
            self.resumed_from = self.iteration

    # ---------------------------------------------------------- checkpoints
    def state_payload(self) -> dict[str, Any]:
        return {
            "iteration": self.iteration,
            "config": yaml.safe_dump(self.cfg.to_dict()),
            "model": {k: v.cpu() for k, v in self.net.state_dict().items()},  # loads on any device
            "optimizer": self.optimizer.state_dict(),
            "pool": self.pool.state_dict(),
            "snapshots": {
                str(k): {n: torch.from_numpy(v) for n, v in sd.items()} for k, sd in self.snapshots.items()
            },
            "exploiters": {
                str(k): {n: torch.from_numpy(v) for n, v in sd.items()} for k, sd in self.exploiters.items()
            },
            "rng": {
                "numpy": json.dumps(self.np_rng.bit_generator.state),
                "torch_generator": self.torch_gen.get_state(),
                "torch_global": torch.get_rng_state(),
            },
            "last_eval": json.dumps([r.to_dict() for r in self.last_eval]),
        }

    def save(self, path: str | Path) -> Path:
        return save_checkpoint(path, self.state_payload())

    def _about(self) -> dict[str, Any]:
        """How the exported network was trained, for the weights file."""
        about: dict[str, Any] = {"run": self.cfg.run_name, "iteration": self.iteration, "seed": self.cfg.seed}
        about.update({f"win_rate/{r.opponent}": r.win_rate for r in self.last_eval})
        return about

    def _draw_curves(self, run_dir: Path) -> None:
        """The run's learning curves as PNGs (beasty plot), if matplotlib is there."""
        from beasty.plot import PlotError, plot_run

        try:
            for path in plot_run(run_dir):
                self.echo(f"beasty train: wrote {path}")
        except PlotError as e:
            self.echo(f"beasty train: no plots ({e})")

    def save_iteration(self) -> int:
        """Checkpoints the current iteration as iter_NNNN.pt and latest.pt."""
        folder = self.run_dir / "checkpoints"
        self.save(folder / f"iter_{self.iteration:04d}.pt")
        self.save(folder / "latest.pt")
        return self.iteration

    def load(self, path: str | Path) -> None:
        data = load_checkpoint(path)
        try:
            self.net.load_state_dict(data["model"])
            self.optimizer.load_state_dict(data["optimizer"])
            self.pool.load_state_dict(data["pool"])
            self.snapshots = {
                int(k): {n: t.numpy().copy() for n, t in sd.items()} for k, sd in data["snapshots"].items()
            }
            self.exploiters = {
                int(k): {n: t.numpy().copy() for n, t in sd.items()}
                for k, sd in data.get("exploiters", {}).items()
            }
            rng = data["rng"]
            self.np_rng.bit_generator.state = json.loads(rng["numpy"])
            self.torch_gen.set_state(rng["torch_generator"])
            torch.set_rng_state(rng["torch_global"])
            self.iteration = int(data["iteration"])
        except (RuntimeError, KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"checkpoint {path} does not fit this configuration: {e}") from e

    # ------------------------------------------------------------ iteration
    def plan_groups(self) -> list[GroupSpec]:
        g = self.cfg.generation
        n_chunks = max(1, g.games_per_iteration // g.games_per_chunk)
        counts = self.pool.sample(n_chunks, self.np_rng, has_checkpoints=bool(self.snapshots))
        specs = []
        for name in sorted(counts):
            games = counts[name] * g.games_per_chunk
            seed = int(self.np_rng.integers(0, 2**62))
            opponent: str | Snapshot = self.exploiter_members().get(name, name)
            if name == "checkpoint":
                iterations = sorted(self.snapshots)
                opponent = Snapshot(iterations[int(self.np_rng.integers(len(iterations)))])
            specs.append(GroupSpec(opponent, games, seed))
        return specs

    def exploiter_members(self) -> dict[str, Snapshot]:
        """The kept exploiters by their names in the pool."""
        return {str(e): e for e in (Snapshot(k, exploiter=True) for k in self.exploiters)}

    def pool_networks(self) -> dict[Snapshot, StateDict]:
        """The weights of every network opponent: the learner's snapshots and the exploiters."""
        networks = {Snapshot(k): sd for k, sd in self.snapshots.items()}
        networks.update({Snapshot(k, exploiter=True): sd for k, sd in self.exploiters.items()})
        return networks

    def run_iteration(self, generator: GameGenerator) -> dict[str, float]:
        """One PPO iteration: collect games, compute advantages, update."""
        cfg, it = self.cfg, self.iteration
        temperature, ent_coef, lr = self.schedules(it)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        t0 = time.perf_counter()
        rollout = generator.generate(self.net, self.plan_groups(), self.pool_networks(), temperature)
        t1 = time.perf_counter()
        advantages, returns = compute_gae(
            rollout.values, rollout.rewards, rollout.ends, cfg.ppo.gamma, cfg.ppo.gae_lambda
        )
        stats = ppo_update(self.net, self.optimizer, rollout, advantages, returns, cfg.ppo, ent_coef,
                           temperature, self.torch_gen)  # fmt: skip
        t2 = time.perf_counter()
        _check_finite(self.net, stats.loss, it + 1)
        self.iteration = it + 1
        if self.iteration % cfg.opponents.pool_checkpoint_frequency == 0:
            self.snapshots[self.iteration] = state_dict_to_numpy(self.net)
            while len(self.snapshots) > cfg.opponents.max_checkpoints:
                del self.snapshots[min(self.snapshots)]
        m: dict[str, float] = {f"train/{k}": float(v) for k, v in vars(stats).items()}
        m.update(
            {
                "train/entropy_coef": ent_coef,
                "train/temperature": temperature,
                "train/learning_rate": lr,
                "rollout/decisions": len(rollout),
                "rollout/games": rollout.games,
                "rollout/decisions_per_second": len(rollout) / max(t1 - t0, 1e-9),
                "time/generation_seconds": t1 - t0,
                "time/update_seconds": t2 - t1,
                "time/decisions_per_second": len(rollout) / max(t2 - t0, 1e-9),
                "pool/checkpoints": len(self.snapshots),
            }
        )
        for name, (w, lo, d) in rollout.results.items():
            m[f"rollout/win_rate/{name}"] = w / max(w + lo + d, 1)
        for name, p in self.pool.probabilities(bool(self.snapshots)).items():
            m[f"pool/weight/{name}"] = p
        return m

    def schedules(self, iteration: int) -> tuple[float, float, float]:
        """The sampling temperature, entropy coefficient and learning rate at ``iteration``."""
        cfg, total = self.cfg, self.cfg.total_iterations
        t, e, p = cfg.temperature, cfg.entropy, cfg.ppo
        return (
            get_temperature(iteration, total, t.start, t.end, t.decay),
            get_entropy_coef(iteration, total, e.start, e.end, e.decay),
            get_learning_rate(iteration, total, p.learning_rate, p.min_learning_rate, p.warmup_iterations),
        )

    def run_eval(self, games: int, seed: int) -> list[MatchResult]:
        """The greedy learner against the evaluation opponents, and against
        each kept exploiter (greedy too, in ``exploiter_eval``); the pool's
        weights follow both."""
        agent = NeuralAgent(self.net, greedy=True)
        self.last_eval = evaluate(agent, self.cfg.eval.opponents, games, seed, progress=False)
        self.exploiter_eval = []
        for name, exploiter in self.exploiter_members().items():
            opponent = NeuralAgent(net_from_numpy(self.cfg.network, self.exploiters[exploiter.iteration]),
                                   greedy=True, name=name)  # fmt: skip
            self.exploiter_eval.append(play_match(agent, opponent, games, seed))
        self.pool.update({r.opponent: r.win_rate for r in self.last_eval + self.exploiter_eval})
        return self.last_eval

    def exploit_patch(self, generator: GameGenerator) -> dict[str, float]:
        """One exploit-patch cycle: a network of the learner's shape (new, or
        a copy of the learner with ``start`` "learner") trained by PPO
        against the frozen learner alone (``iterations`` of ``games``
        games), its greedy win rate against the greedy learner measured (how
        much that budget can take from it), and, at or above
        ``keep_threshold``, the exploiter added to the opponent pool."""
        cfg, e, it = self.cfg, self.cfg.opponents.exploit_patch, self.iteration
        start = time.perf_counter()
        frozen = {Snapshot(it): state_dict_to_numpy(self.net)}
        seed = derive_seed(cfg.seed, 1_000_003 * it)
        torch.manual_seed(seed)
        exploiter = PolicyValueNet(cfg.network).to(self.device)
        if e.start == "learner":
            exploiter.load_state_dict(self.net.state_dict())
        optimizer = torch.optim.Adam(exploiter.parameters(), lr=cfg.ppo.learning_rate, eps=1e-5, fused=True)
        rng, torch_gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
        temperature, ent_coef, _ = self.schedules(it)
        for _ in range(e.iterations):
            specs = [GroupSpec(Snapshot(it), e.games, int(rng.integers(0, 2**62)))]
            rollout = generator.generate(exploiter, specs, frozen, temperature)
            advantages, returns = compute_gae(
                rollout.values, rollout.rewards, rollout.ends, cfg.ppo.gamma, cfg.ppo.gae_lambda
            )
            ppo_update(exploiter, optimizer, rollout, advantages, returns, cfg.ppo, ent_coef, temperature,
                       torch_gen)  # fmt: skip
        name = str(Snapshot(it, exploiter=True))
        challenger = NeuralAgent(exploiter, greedy=True, name=name)
        result = play_match(challenger, NeuralAgent(self.net, greedy=True), e.eval_games, EXPLOIT_SEED + it)
        kept = result.win_rate >= e.keep_threshold
        if kept:
            self.exploiters[it] = state_dict_to_numpy(exploiter)
            learner_win_rate = result.losses / result.games
            self.pool.add(name, 1.0 - learner_win_rate)
            self.pool.update({name: learner_win_rate})
        self.echo(
            f"beasty train: exploiter of iteration {it} wins {result.win_rate:.3f} "
            f"({result.wins}/{result.draws}/{result.losses}) against the learner: "
            f"{'kept in the pool' if kept else 'not kept'}"
        )
        return {
            "exploit/win_rate": result.win_rate, "exploit/score": result.score_rate,
            "exploit/kept": float(kept), "exploit/exploiters": float(len(self.exploiters)),
            "time/exploit_seconds": time.perf_counter() - start,
        }  # fmt: skip

    def train(self, until: int | None = None) -> list[MatchResult]:
        """Runs iterations up to ``total_iterations`` (or ``until``, for a
        time-boxed part of a run: the state at ``until`` is checkpointed)."""
        if until is not None and until <= self.iteration:
            raise ConfigError(f"--until {until} must be after the current iteration {self.iteration}")
        stop = self.cfg.total_iterations if until is None else min(until, self.cfg.total_iterations)
        logger = self.open_run()
        try:
            decisions, elapsed = self.loop(stop, logger)
        finally:
            logger.close()
        return self.close_run(decisions, elapsed)

    def open_run(self) -> MetricsLogger:
        """Prepares the run folder (writable, ``latest`` link, config) and its metrics log."""
        run_dir = self.run_dir
        try:
            check_writable(run_dir / "checkpoints", folder=True)
        except OSError as e:
            raise ConfigError(f"out_dir: {e}") from e
        _point_latest_at(run_dir)
        for tmp in remove_stale_temporaries(run_dir / "checkpoints"):
            self.echo(f"beasty train: removed {tmp}, left by an interrupted checkpoint write")
        name = "config.yaml" if self.resumed_from is None else f"config.resume_{self.resumed_from}.yaml"
        (run_dir / name).write_text(yaml.safe_dump(self.cfg.to_dict()))
        return MetricsLogger(run_dir, self.resumed_from)

    def loop(self, stop: int, logger: MetricsLogger) -> tuple[int, float]:
        """Iterations up to ``stop``, each logged, evaluated and checkpointed
        when due; a signal ends the loop with a checkpoint.  The learner
        decisions made and the seconds taken."""
        cfg, gen = self.cfg, self.cfg.generation
        decisions, t_start = 0, time.perf_counter()
        self.interrupted_by = None
        saved: int | None = None
        bar: Any = None
        try:
            with (
                StopOnSignal(self.echo) as signals,
                make_generator(gen.backend, gen.async_num_workers, cfg.ray.address) as generator,
            ):
                # announced once a signal is sure to be caught (and to end in a checkpoint)
                self.echo(
                    f"beasty train: run {self.run_dir}, iterations {self.iteration}->{cfg.total_iterations}, "
                    f"{count_parameters(self.net):,} parameters, {gen.games_per_iteration} games/iteration"
                )
                if cfg.progress:
                    from tqdm import tqdm

                    bar = tqdm(total=cfg.total_iterations, initial=self.iteration, desc="training", unit="it")
                while self.iteration < stop and signals.received is None:
                    m = self.run_iteration(generator)
                    it = self.iteration
                    decisions += int(m["rollout/decisions"])
                    last = it == cfg.total_iterations
                    patch_every = cfg.opponents.exploit_patch.interval
                    if patch_every and it % patch_every == 0:
                        m.update(self.exploit_patch(generator))
                    if it % cfg.eval.frequency == 0 or last:
                        m.update(self.eval_metrics(last))
                    m["time/loop_decisions_per_second"] = decisions / (time.perf_counter() - t_start)
                    logger.log(it, m)
                    if it % cfg.checkpoint_frequency == 0 or last or it == stop:
                        saved = self.save_iteration()
                    if bar is not None:
                        bar.update(1)
                        post = {"kl": f"{m['train/approx_kl']:.4f}", "ent": f"{m['train/entropy']:.2f}"}
                        if "eval/win_rate/all" in m:
                            post["eval"] = f"{m['eval/win_rate/all']:.3f}"
                        bar.set_postfix(post)
                self.interrupted_by = signals.received
                if self.interrupted_by is not None and saved != self.iteration:
                    self.save_iteration()
        finally:
            if bar is not None:
                bar.close()
        return decisions, time.perf_counter() - t_start

    def eval_metrics(self, last: bool) -> dict[str, float]:
        """Evaluates the greedy learner (the final table on ``beasty eval``'s deals)."""
        e = self.cfg.eval
        games = (e.final_games or e.games) if last else e.games
        seed = FINAL_EVAL_SEED if last else EVAL_SEED + self.iteration * games
        m: dict[str, float] = {}
        for r in self.run_eval(games, seed) + self.exploiter_eval:
            m[f"eval/win_rate/{r.opponent}"] = r.win_rate
            m[f"eval/margin/{r.opponent}"] = r.mean_margin
        m["eval/win_rate/all"] = sum(r.wins for r in self.last_eval) / sum(r.games for r in self.last_eval)
        return m

    def close_run(self, decisions: int, elapsed: float) -> list[MatchResult]:
        """Reports the run: how to resume it, or its final table, throughput,
        inference weights and curves."""
        run_dir = self.run_dir
        if self.interrupted_by is not None:
            checkpoint = run_dir / "checkpoints" / f"iter_{self.iteration:04d}.pt"
            self.echo(
                f"beasty train: stopped by {signal.Signals(self.interrupted_by).name} at iteration "
                f"{self.iteration}, saved {checkpoint}; resume with the same config and "
                f"--set resume_from={checkpoint}"
            )
            return self.last_eval
        if self.last_eval:
            meta = {"iteration": self.iteration, "run": str(run_dir)}
            write_json(str(run_dir / "eval_final.json"), self.last_eval, meta)
            title = f"evaluation at iteration {self.iteration} (greedy, mirrored deals)"
            self.echo(format_table(self.last_eval, title))
            if self.exploiter_eval:
                self.echo(format_table(self.exploiter_eval, "against the exploiters kept in the pool"))
        if decisions:
            self.echo(
                f"training throughput: {decisions:,} learner decisions in {elapsed:.1f} s "
                f"= {decisions / elapsed:,.0f} decisions/s (whole loop)"
            )
        if self.iteration == self.cfg.total_iterations:
            weights = save_weights(run_dir / "policy.pt", self.net, self._about())
            self.echo(f"beasty train: wrote {weights} (inference weights: beasty eval --agent {weights})")
        self._draw_curves(run_dir)
        self.echo(
            f"beasty train: run folder {run_dir} (also {run_dir.parent / LATEST}), "
            f"newest checkpoint {run_dir / 'checkpoints' / 'latest.pt'}"
        )
        return self.last_eval


def _check_finite(net: PolicyValueNet, loss: float, iteration: int) -> None:
    """Stops training before a NaN or an infinity reaches a checkpoint."""
    if not math.isfinite(loss):
        raise TrainingDiverged(
            f"the loss became {loss} at iteration {iteration}: training stopped, nothing saved for "
            "this iteration (lower ppo.learning_rate or check the config)"
        )
    bad = first_non_finite(dict(net.named_parameters()), "parameter")
    if bad:
        raise TrainingDiverged(f"{bad} became non-finite at iteration {iteration}")


def _point_latest_at(run_dir: Path) -> None:
    """Makes ``<out_dir>/latest`` a symbolic link to the run folder, so the
    newest run has a stable name whatever its folder is called."""
    link = run_dir.parent / LATEST
    if link.exists() and not link.is_symlink():
        warnings.warn(f"{link} is not a symbolic link: left alone", stacklevel=3)
        return
    tmp = run_dir.parent / f".{LATEST}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, link)
    except OSError as e:  # e.g. a file system without symbolic links
        tmp.unlink(missing_ok=True)
        warnings.warn(f"cannot point {link} at {run_dir}: {e}", stacklevel=3)
