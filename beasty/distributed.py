"""Ray as a pool of game-playing workers (the ``beasty[ray]`` extra).

:class:`RayExecutor` is a :class:`concurrent.futures.Executor` whose tasks
run on Ray, so evaluation, the ladder and expert iteration share their
chunks of deals with Ray workers exactly as they do with local processes
(:func:`beasty.match.worker_pool`): the same chunks with the same seeds,
hence the same results.  ``address`` "" starts a local Ray with
``workers`` CPUs; otherwise it is passed to ``ray.init`` ("auto", or
"ray://head:10001" for a cluster).  Only this module and
``beasty.train.ray_workers`` import ray.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import ray


def start_ray(workers: int, address: str = "") -> bool:
    """Connects to Ray (a local one with ``workers`` CPUs for address "");
    whether this call started it."""
    if ray.is_initialized():
        return False
    # Ray puts the driver's current folder first on every worker's sys.path:
    # from a source checkout that folder's beasty, which has no compiled
    # engine, would shadow the installed one.
    here = os.getcwd()
    os.chdir(tempfile.gettempdir())
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    finally:
        os.chdir(here)
    return True


Initializer = Callable[[], None] | None


def _call(
    initializer: Initializer, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if initializer is not None:
        initializer()
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """Each ``submit`` is one Ray task on one CPU, run after ``initializer``
    (as a process pool runs it once per worker)."""

    def __init__(self, workers: int, address: str = "", initializer: Initializer = None) -> None:
        self._started = start_ray(workers, address)
        self._task = ray.remote(num_cpus=1)(_call)
        self._initializer = initializer

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self._task.remote(self._initializer, fn, args, kwargs).future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._started and ray.is_initialized():
            ray.shutdown()
        self._started = False
