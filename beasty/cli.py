"""The ``beasty`` command: ``play``, ``serve``, ``eval``, ``ladder``, ``train``, ``expert`` and ``plot``."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from beasty.agents import AGENT_NAMES, OPPONENT_NAMES, Agent, load
from beasty.files import load_yaml
from beasty.match import BACKENDS


def _load_agent(spec: str, seed: int) -> Agent:
    """:func:`beasty.agents.load`, its errors as ``beasty:`` messages."""
    try:
        return load(spec, seed)
    except ImportError as e:
        raise SystemExit(f"beasty: agent {spec!r} needs torch: pip install 'beasty[train]' ({e})") from e
    except ValueError as e:
        if spec in AGENT_NAMES or spec.endswith((".npz", ".pt")):
            raise SystemExit(f"beasty: cannot load {spec}: {e}") from e
        raise SystemExit(f"beasty: {e}") from e


def _seed(text: str) -> int:
    """An argparse type: an integer in [0, 2**64)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value < 2**64:
        raise argparse.ArgumentTypeError(f"{value} is outside [0, 2**64)")
    return value


def _parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"beasty: --set expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        if not key.strip():
            raise SystemExit(f"beasty: --set expects key=value, got {pair!r}")
        try:
            out[key.strip()] = load_yaml(value)
        except yaml.YAMLError as e:
            raise SystemExit(f"beasty: --set {key.strip()}: the value is not valid YAML: {e}") from e
    return out


def cmd_eval(args: argparse.Namespace) -> int:
    from beasty.evaluate import evaluate, format_table, write_json
    from beasty.files import check_writable

    _check_backend(args)
    opponents = (
        list(OPPONENT_NAMES)
        if args.opponents.strip() == "all"
        else [name.strip() for name in args.opponents.split(",") if name.strip()]
    )
    outputs = (("--json", args.json), ("--plot", args.plot), ("--record", args.record),
               ("--record-losses", args.record_losses))  # fmt: skip
    for flag, path in outputs:
        try:  # before playing: an unwritable path must not cost the evaluation
            if path:
                check_writable(path)
        except OSError as e:
            raise SystemExit(f"beasty: {flag} {path}: {e}") from e
    if args.record and args.record_losses:
        raise SystemExit("beasty: --record already holds the losses: give one of --record, --record-losses")
    record = "all" if args.record else "losses" if args.record_losses else None
    agent = _load_agent(args.agent, args.seed)
    try:
        results = evaluate(agent, opponents, args.games, args.seed, progress=not args.no_progress,
                           workers=args.workers, record=record, backend=args.backend,
                           address=args.address)  # fmt: skip
    except ValueError as e:
        raise SystemExit(f"beasty: {e}") from e
    if record is not None:
        from beasty.records import write_records

        path = args.record or args.record_losses
        games = [game for r in results for game in r.records]
        write_records(path, games)
        print(f"wrote {len(games)} game records to {path}")
    print(
        format_table(
            results, f"{agent.name} vs reference opponents ({args.games} games each, mirrored deals)"
        )
    )
    if args.json:
        write_json(args.json, results, {"agent": args.agent, "games": args.games, "seed": args.seed})
        print(f"wrote {args.json}")
    if args.plot:
        from beasty.plot import PlotError, plot_results

        try:
            plot_results(results, args.plot, f"{agent.name}: win rate per opponent ({args.games} games each)")
        except PlotError as e:
            raise SystemExit(f"beasty: {e}") from e
        print(f"wrote {args.plot}")
    return 0


def cmd_ladder(args: argparse.Namespace) -> int:
    from beasty.files import check_writable
    from beasty.ladder import format_ladder, ladder, plot_ladder, write_json

    _check_backend(args)
    for flag, path in (("--json", args.json), ("--plot", args.plot)):
        try:  # before playing: an unwritable path must not cost the round robin
            if path:
                check_writable(path)
        except OSError as e:
            raise SystemExit(f"beasty: {flag} {path}: {e}") from e
    for spec in args.agents:
        _load_agent(spec, 0)  # a bad name or file is reported before any game
    try:
        result = ladder(args.agents, args.games, args.seed, args.workers, args.anchor, args.bootstrap,
                        not args.no_progress, args.backend, args.address)  # fmt: skip
    except ValueError as e:
        raise SystemExit(f"beasty: {e}") from e
    print(format_ladder(result))
    if args.json:
        write_json(args.json, result)
        print(f"wrote {args.json}")
    if args.plot:
        from beasty.plot import PlotError

        try:
            plot_ladder(result, args.plot)
        except PlotError as e:
            raise SystemExit(f"beasty: {e}") from e
        print(f"wrote {args.plot}")
    return 0


def _records(path: str, game: int | None) -> list[Any]:
    from beasty.records import RecordError, read_records

    try:
        records = read_records(path)
    except RecordError as e:
        raise SystemExit(f"beasty: {e}") from e
    if game is None:
        return records
    if not 1 <= game <= len(records):
        raise SystemExit(f"beasty: --game {game}: {path} holds games 1 to {len(records)}")
    return [records[game - 1]]


def cmd_replay(args: argparse.Namespace) -> int:
    from beasty.play.replay import replay_game

    records = _records(args.file, args.game if args.game is not None else 1)
    if sys.stdin is None or sys.stdin.closed:
        raise SystemExit("beasty: replay reads n/p/q from standard input, which is closed")
    replay_game(records[0], args.seat, args.reveal)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from beasty.review import format_review, review_game

    records = _records(args.file, args.game)
    players = (0, 1) if args.seat is None else (args.seat,)
    for k, record in enumerate(records):
        try:
            reviews = review_game(record, args.agent, args.seed, args.margin, players)
        except ValueError as e:
            raise SystemExit(f"beasty: {e}") from e
        number = args.game if args.game is not None else k + 1
        print(f"game {number}: " + format_review(record, reviews), end="\n\n")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    from beasty.play.terminal import play

    if sys.stdin is None or sys.stdin.closed:
        raise SystemExit("beasty: play reads your moves from standard input, which is closed")
    if args.save:
        from beasty.files import check_writable

        try:
            check_writable(args.save)
        except OSError as e:
            raise SystemExit(f"beasty: --save {args.save}: {e}") from e
    chosen = args.seed is not None
    seed = args.seed if chosen else secrets.randbelow(2**64)
    seat = args.seat if args.seat != "random" else secrets.randbelow(2)
    try:
        play(_load_agent(args.agent, seed), int(seat), seed, show_deal=chosen, save=args.save)
    except KeyboardInterrupt:
        print("\nYou left the game.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import waitress  # noqa: F401

        from beasty.play.web import serve
    except ImportError as e:
        raise SystemExit(
            f"beasty: serve needs Flask, pydantic and waitress: pip install 'beasty[serve]' ({e})"
        ) from e
    print(f"beasty: open http://{args.host}:{args.port}/ in a browser (Ctrl-C stops)")
    try:
        serve(args.host, args.port, args.max_computing, args.records)
    except KeyboardInterrupt:
        print("\nbeasty: stopped")
    except ValueError as e:
        raise SystemExit(f"beasty: {e}") from e
    except OSError as e:
        raise SystemExit(f"beasty: cannot listen on {args.host}:{args.port}: {e}") from e
    return 0


def _positive(text: str) -> int:
    """An argparse type: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    """An argparse type: a TCP port."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 1..65535, got {value}")
    return value


def cmd_plot(args: argparse.Namespace) -> int:
    from beasty.plot import PlotError, plot_results, plot_run, results_from_json

    source = Path(args.path)
    try:
        if source.is_dir():
            written = plot_run(source, args.out)
        elif source.suffix == ".json":
            out = Path(args.out) if args.out else source.with_suffix(".png")
            written = [plot_results(results_from_json(source), out, source.stem)]
        else:
            raise PlotError(f"{source} is neither a training run folder nor a beasty eval --json file")
    except PlotError as e:
        raise SystemExit(f"beasty: {e}") from e
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    try:
        from beasty.policy.checkpoint import CheckpointError
        from beasty.train.config import ConfigError, load_config
        from beasty.train.trainer import Trainer, TrainingDiverged
    except ImportError as e:  # pragma: no cover - depends on the extra
        raise SystemExit(f"beasty: training needs the train extra (pip install 'beasty[train]'): {e}") from e
    try:
        overrides = _parse_overrides(args.set)
        cfg = load_config(args.config, overrides, on_note=lambda note: print(f"beasty: {note}"))
        trainer = Trainer(cfg)
        trainer.train(until=args.until)
    except (ConfigError, CheckpointError, TrainingDiverged) as e:
        raise SystemExit(f"beasty: {e}") from e
    return 0 if trainer.interrupted_by is None else 128 + trainer.interrupted_by


def cmd_expert(args: argparse.Namespace) -> int:
    try:
        from beasty.train.expert import ExpertConfigError, make_config, run_expert
    except ImportError as e:  # pragma: no cover - depends on the extra
        raise SystemExit(
            f"beasty: expert iteration needs the train extra (pip install 'beasty[train]'): {e}"
        ) from e
    try:
        overrides = _parse_overrides(args.set)
        if args.resume:  # the run's own settings, less what may change between sessions
            stored = json.loads((Path(args.out) / "config.json").read_text())
            overrides = {**stored, **overrides}
        cfg = make_config(overrides)
        path = run_expert(cfg, args.out, resume=args.resume, progress=not args.no_progress)
    except (ExpertConfigError, OSError, ValueError) as e:
        raise SystemExit(f"beasty: {e}") from e
    print(f"best network: {path} (play it: beasty eval --agent {path})")
    return 0


def _check_backend(args: argparse.Namespace) -> None:
    if args.address and args.backend != "ray":
        raise SystemExit(f"beasty: --address {args.address} is for --backend ray")


def _backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", choices=BACKENDS, default="processes",
        help="where the workers play: local processes or Ray tasks (pip install 'beasty[ray]'); same results",
    )  # fmt: skip
    parser.add_argument(
        "--address", default="",
        help="with --backend ray: '' starts a local Ray with --workers CPUs; 'auto' or 'ray://HEAD:10001' "
        "joins a cluster",
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="beasty",
        description="Beasty Bar: play against the agents, evaluate them, train a PPO agent or the "
        "search's network.",
        epilog=f"agents: {', '.join(AGENT_NAMES)}, a network file (.npz), or a weights or checkpoint "
        "file (.pt)",
    )
    parser.add_argument("--version", action="version", version=f"beasty {version('beasty')}")
    sub = parser.add_subparsers(dest="command", required=True)
    pl = sub.add_parser("play", help="play a game against an agent in the terminal")
    pl.add_argument(
        "--agent", default="champion",
        help=f"one of {', '.join(AGENT_NAMES)}, a network .npz or a checkpoint .pt "
        "(default champion, the strongest)",
    )  # fmt: skip
    pl.add_argument(
        "--seat", choices=("0", "1", "random"), default="0",
        help="your seat; the player who starts is drawn with the deal (default 0)",
    )  # fmt: skip
    pl.add_argument("--seed", type=_seed, default=None, help="the deal, in [0, 2**64) (default: a new one)")
    pl.add_argument("--save", metavar="FILE", help="write the finished game's record (beasty replay FILE)")
    pl.set_defaults(func=cmd_play)
    sv = sub.add_parser("serve", help="play the agents in a web browser, or watch two of them play a deal")
    sv.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine)"
    )
    sv.add_argument("--port", type=_port, default=8000, help="TCP port (default 8000)")
    sv.add_argument(
        "--max-computing", type=_positive, default=None, metavar="N",
        help="games computed at once (agent moves and watches; default: the number of CPUs); "
        "beyond that a request gets 503 and is not applied",
    )  # fmt: skip
    sv.add_argument("--records", metavar="DIR", help="a folder of game records (*.jsonl) the page can replay")
    sv.set_defaults(func=cmd_serve)
    ev = sub.add_parser("eval", help="evaluate an agent against the reference opponents")
    ev.add_argument(
        "--agent",
        required=True,
        help=f"one of {', '.join(AGENT_NAMES)}, a network .npz, or a weights or checkpoint .pt",
    )
    ev.add_argument(
        "--opponents",
        default="all",
        help=f"'all' (the ten: {', '.join(OPPONENT_NAMES)}) or a comma-separated list of agent names, "
        ".npz networks or .pt files",
    )
    ev.add_argument("--games", type=int, default=1000, help="games per opponent (even)")
    ev.add_argument(
        "--seed", type=_seed, default=0, help="deals are seeded from it, in [0, 2**64) (default 0)"
    )
    ev.add_argument("--json", help="write the results to this JSON file")
    ev.add_argument("--plot", metavar="PNG", help="draw the win rates with their intervals into this PNG")
    ev.add_argument(
        "--workers", type=int, default=1, help="processes sharing the deals (same results as one)"
    )
    _backend_arguments(ev)
    ev.add_argument("--record", metavar="FILE", help="write every game's record to this JSON Lines file")
    ev.add_argument("--record-losses", metavar="FILE", help="write the games the agent did not win")
    ev.add_argument("--no-progress", action="store_true")
    ev.set_defaults(func=cmd_eval)
    rp = sub.add_parser("replay", help="step through a recorded game (beasty eval --record) in the terminal")
    rp.add_argument("file", help="a game record file (JSON Lines)")
    rp.add_argument("--game", type=_positive, help="which game of the file (default 1)")
    rp.add_argument("--seat", type=int, choices=(0, 1), default=0, help="the side the table is drawn from")
    rp.add_argument("--reveal", action="store_true", help="show the hidden cards throughout")
    rp.set_defaults(func=cmd_replay)
    rv = sub.add_parser("review", help="mark the moves of recorded games that a search finds clearly worse")
    rv.add_argument("file", help="a game record file (JSON Lines)")
    rv.add_argument("--game", type=_positive, help="which game of the file (default: every game)")
    rv.add_argument("--agent", default="champion", help="the reviewing search: champion or a .npz network")
    rv.add_argument("--seat", type=int, choices=(0, 1), help="review only this seat's moves")
    rv.add_argument("--margin", type=float, default=0.1, help="the least value gap marked (default 0.1)")
    rv.add_argument("--seed", type=_seed, default=0)
    rv.set_defaults(func=cmd_review)
    ld = sub.add_parser("ladder", help="rate agents: a round robin and Bradley-Terry (Elo-scale) ratings")
    ld.add_argument("agents", nargs="+", help="agent names, .npz networks or .pt files (two or more)")
    ld.add_argument("--games", type=_positive, default=200, help="games per pair (even; default 200)")
    ld.add_argument("--seed", type=_seed, default=0, help="deals are seeded from it (default 0)")
    ld.add_argument("--workers", type=_positive, default=1, help="processes sharing the deals")
    _backend_arguments(ld)
    ld.add_argument("--anchor", help="the player rated 0 (default: random if playing, else the first)")
    ld.add_argument("--bootstrap", type=int, default=500, help="resamples of the deals for the intervals")
    ld.add_argument("--json", help="write the ladder to this JSON file")
    ld.add_argument("--plot", metavar="PNG", help="draw the ratings with their intervals into this PNG")
    ld.add_argument("--no-progress", action="store_true")
    ld.set_defaults(func=cmd_ladder)
    tr = sub.add_parser("train", help="train a PPO agent from a YAML config")
    tr.add_argument(
        "--config", required=True,
        help="a YAML file (today's format or the original plan's), or a shipped config: default (the set-up "
        "command's run), long, smoke, iter600_to_1000, plan_iter600_to_1000",
    )  # fmt: skip
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key")
    tr.add_argument("--until", type=int, help="stop (and checkpoint) at this iteration; resume later")
    tr.set_defaults(func=cmd_train)
    ex = sub.add_parser(
        "expert", help="expert iteration: train the search's guide network on the search's own play"
    )
    ex.add_argument("--out", required=True, help="folder for the networks (expert-N.npz) and metrics.csv")
    ex.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="a setting of beasty.train.expert.ExpertConfig (generations, games, simulations, hidden, ...)",
    )  # fmt: skip
    ex.add_argument("--resume", action="store_true", help="go on with the run in --out where it stopped")
    ex.add_argument("--no-progress", action="store_true")
    ex.set_defaults(func=cmd_expert)
    pt = sub.add_parser("plot", help="draw a training run's learning curves, or an eval JSON's win rates")
    pt.add_argument("path", help="a run folder (runs/NAME, runs/latest) or a beasty eval --json file")
    pt.add_argument("--out", help="folder for a run's PNGs (default RUN/plots), or the PNG for a JSON")
    pt.set_defaults(func=cmd_plot)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
