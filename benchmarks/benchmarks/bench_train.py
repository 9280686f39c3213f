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
