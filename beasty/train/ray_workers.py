"""Game generation on Ray actors (``generation.backend: ray``, the
``beasty[ray]`` extra): the same shares of groups as the process pool, so
the rollout equals the in-process one for the same seeds.

Each iteration the learner's weights are put in Ray's object store once, as
version N, and every actor receives the reference; an actor rebuilds its
network only when the version changes.  ``ray.address`` "" starts a local
Ray with ``num_workers`` CPUs; otherwise it is passed to ``ray.init``
(``"auto"`` or ``"ray://host:10001"`` for an existing cluster;
:func:`beasty.distributed.start_ray`).  Only this module and
:mod:`beasty.distributed` import ray.
"""

from __future__ import annotations

from typing import Any

import ray

from beasty.distributed import start_ray
from beasty.match import one_thread_per_worker
from beasty.train.rollout import GameGenerator, Rollout, StateDict, net_from_numpy, play_groups


@ray.remote(num_cpus=1)
class RolloutWorker:
    """One actor: plays the groups it is dealt with the newest weights."""

    def __init__(self) -> None:
        one_thread_per_worker()
        self.version = -1
        self.net: Any = None

    def run(self, version: int, learner: StateDict, args: tuple[Any, ...]) -> list[Rollout]:
        """``args`` as :func:`beasty.train.rollout.run_groups`'s, but for the
        learner's weights, which come apart (Ray resolves only top-level
        references)."""
        net_cfg, specs, snapshots, temperature = args
        if version != self.version:
            self.net, self.version = net_from_numpy(net_cfg, learner), version
        return play_groups(self.net, specs, snapshots, temperature)


class RayGameGenerator(GameGenerator):
    """:class:`GameGenerator` whose workers are Ray actors."""

    def __init__(self, num_workers: int, address: str = "") -> None:
        if num_workers < 1:
            raise ValueError(f"num_workers must be at least 1, got {num_workers}")
        self.num_workers = num_workers
        self._pool = None
        self._started_ray = start_ray(num_workers, address)
        self._actors = [RolloutWorker.remote() for _ in range(num_workers)]  # type: ignore[attr-defined]
        self._version = -1

    def _share_weights(self, learner: StateDict) -> Any:
        self._version += 1
        return ray.put(learner)

    def _submit(self, worker: int, args: tuple[Any, ...]) -> Any:
        net_cfg, learner, *rest = args
        return self._actors[worker].run.remote(self._version, learner, (net_cfg, *rest))

    def _collect(self, handle: Any) -> list[Rollout]:
        return ray.get(handle)  # type: ignore[no-any-return]

    def close(self) -> None:
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
        self._started_ray = False
