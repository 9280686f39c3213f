"""asv benchmarks of one PPO training iteration (beasty[train]): the
README's default run (``--config default``: 1,024 games per iteration, the
flat network), in this process, generation and update timed apart; and the
same iteration with the attention network and the settings the default run
had before it (width 64, minibatches of 1,024, learning rate 3e-4), for
side-by-side ratios.

``background`` busy processes (pure Python loops, one per process) share
the machine during the measurement: with as many as there are cores the
machine is 2x oversubscribed, and a fair share would halve the throughput.
"""

import multiprocessing
import os
import tempfile
import time

WARMUP_ITERATIONS = 2


def _spin() -> None:  # a CPU-bound neighbour
    while True:
        pass


#: overrides of the default config for each network
ENCODERS = {
    "flat": {},
    "attention": {
        "network.encoder": "attention",
        "network.hidden_dim": 64,
        "ppo.minibatch_size": 1024,
        "ppo.learning_rate": 3e-4,
    },
}


class TrainIteration:
    params = [[0, os.cpu_count() or 2], list(ENCODERS)]
    param_names = ["background", "encoder"]
    timeout = 900
    number = 1
    repeat = 3

    def setup(self, background, encoder):
        from beasty.train.config import load_config
        from beasty.train.rollout import GameGenerator
        from beasty.train.trainer import Trainer

        self.folder = tempfile.TemporaryDirectory()
        cfg = load_config("default", {"out_dir": self.folder.name, "progress": False, **ENCODERS[encoder]})
        self.trainer = Trainer(cfg, echo=lambda line: None)
        self.generator = GameGenerator(0)
        for _ in range(WARMUP_ITERATIONS):
            self.trainer.run_iteration(self.generator)
        context = multiprocessing.get_context("spawn")
        self.neighbours = [context.Process(target=_spin, daemon=True) for _ in range(background)]
        for p in self.neighbours:
            p.start()
        time.sleep(0.5 if background else 0.0)

    def teardown(self, background, encoder):
        for p in self.neighbours:
            p.kill()
            p.join()
        self.folder.cleanup()

    def iteration(self):
        """One iteration's metrics (the trainer's own timings)."""
        return self.trainer.run_iteration(self.generator)

    def time_iteration(self, background, encoder):
        self.iteration()

    def track_generation_decisions_per_second(self, background, encoder):
        return self.iteration()["rollout/decisions_per_second"]

    track_generation_decisions_per_second.unit = "decisions/s"

    def track_update_decisions_per_second(self, background, encoder):
        m = self.iteration()
        return m["rollout/decisions"] / m["time/update_seconds"]

    track_update_decisions_per_second.unit = "decisions/s"

    def track_decisions_per_second(self, background, encoder):
        return self.iteration()["time/decisions_per_second"]

    track_decisions_per_second.unit = "decisions/s"


#: The update's network sizes: the default run's flat network and the
#: original plan's attention network (plan_iter600_to_1000).
UPDATE_SIZES = {
    "default": ("default", {}),
    "plan": ("plan_iter600_to_1000", {"generation.backend": "inprocess"}),
}


class UpdateOnDevice:
    """The PPO update alone (``ppo.epochs`` passes of minibatches) on one
    iteration's decisions of 1,024 games, on the CPU or a GPU (skipped
    where torch sees none): the learner decisions per second of update."""

    params = [list(UPDATE_SIZES), ["cpu", "cuda"]]
    param_names = ["size", "device"]
    timeout = 900
    number = 1
    repeat = 3

    def setup(self, size, device):
        import torch

        from beasty.train.config import load_config
        from beasty.train.ppo import compute_gae
        from beasty.train.rollout import GameGenerator
        from beasty.train.trainer import Trainer

        if device == "cuda" and not torch.cuda.is_available():
            raise NotImplementedError("no GPU")  # asv: skipped
        name, overrides = UPDATE_SIZES[size]
        self.folder = tempfile.TemporaryDirectory()
        sets = {"out_dir": self.folder.name, "progress": False, "device": device,
                "generation.games_per_iteration": 1024, **overrides}  # fmt: skip
        self.trainer = Trainer(load_config(name, sets, on_note=lambda note: None), echo=lambda line: None)
        specs = self.trainer.plan_groups()
        self.rollout = GameGenerator(0).generate(self.trainer.net, specs, {}, 1.0)
        ppo = self.trainer.cfg.ppo
        self.advantages, self.returns = compute_gae(
            self.rollout.values, self.rollout.rewards, self.rollout.ends, ppo.gamma, ppo.gae_lambda
        )
        self.update()  # warm-up (CUDA kernels, allocator)

    def teardown(self, size, device):
        self.folder.cleanup()

    def update(self) -> float:
        import torch

        from beasty.train.ppo import ppo_update

        t = self.trainer
        start = time.perf_counter()
        ppo_update(t.net, t.optimizer, self.rollout, self.advantages, self.returns, t.cfg.ppo, 0.01, 1.0,
                   t.torch_gen)  # fmt: skip
        if t.device.type == "cuda":
            torch.cuda.synchronize()
        return len(self.rollout) / (time.perf_counter() - start)

    def track_update_decisions_per_second(self, size, device):
        return self.update()

    track_update_decisions_per_second.unit = "decisions/s"
