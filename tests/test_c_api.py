"""The C API for other extensions: the example in examples/cython_extension
compiles against the installed beasty and plays the engine's games."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import beasty
from beasty._ext import GameBatch, RandomPolicy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "cython_extension"


def test_headers_and_library_are_found():
    assert (Path(beasty.get_include()) / "beasty.h").is_file()
    assert (Path(beasty.get_include()) / "search.h").is_file()
    assert any(Path(beasty.get_library_dir()).glob("libbeasty_core.*"))


def test_a_cython_extension_built_against_beasty_steps_the_same_games(tmp_path):
    pytest.importorskip("Cython")
    pytest.importorskip("setuptools")
    for name in ("random_games.pyx", "setup.py"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    build = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tmp_path, capture_output=True, text=True
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    play = "import json, random_games; print(json.dumps(random_games.play_random(64, 500, 9)))"
    run = subprocess.run(
        [sys.executable, "-c", play],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    from_extension = np.array(json.loads(run.stdout))

    games = GameBatch(64, seed=500, early_stop=False, auto_reset=False)
    policy = RandomPolicy()
    while not games.done.all():
        running = np.flatnonzero(~games.done).astype(np.int32)
        games.step(games.actions(policy, 9, running), running)
    assert np.array_equal(from_extension, games.scores())


def test_the_plain_cmake_build_makes_a_bench_main_that_plays(tmp_path):
    """The C-only build of docs/BENCHMARKS.md: the core and bench_main, no Python or Cython."""
    cmake = shutil.which("cmake")
    assert cmake, "cmake is in the test extras"
    build = tmp_path / "build-c"
    for step in ([cmake, "-S", ROOT, "-B", build], [cmake, "--build", build, "--target", "bench_main"]):
        done = subprocess.run(step, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    bench = next(build.rglob("bench_main*"))
    run = subprocess.run([bench, "64", "6400"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "random play",
        "random play, with rewards and points",
        "observe+mask",
    ]
    for line in lines:
        rate = re.search(r"([0-9.]+)M (turns|writes)/s", line)
        assert rate and float(rate.group(1)) > 0, line
    bad = subprocess.run([bench, "0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage: bench_main" in bad.stderr
