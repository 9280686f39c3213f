"""asv benchmarks of the Gymnasium vector environment (beasty[gym]):
learner steps per second against the C random opponent, one core.

A step is one learner decision in every sub-env: the learner's move, the
opponent's reply, autoresets and the observation and mask of all of them.
The learner's moves come from the C random policy (cheap, legal)."""

import time

from beasty._ext import RandomPolicy

STEPS = 200


class VectorEnvSpeed:
    params = [[64, 1024, 8192]]
    param_names = ["num_envs"]

    def setup(self, n):
        from beasty.envs.gymnasium import BeastyBarVectorEnv

        self.env = BeastyBarVectorEnv(n, "random")
        self.env.reset(seed=0)
        self.learner = RandomPolicy()
        self.seed = 0
        self.steps = max(20, STEPS * 1024 // n) if n > 1024 else STEPS
        self._run(5)

    def _run(self, steps):
        games = self.env.games
        for _ in range(steps):
            self.seed += 1
            self.env.step(games.actions(self.learner, self.seed).clip(0))  # -1 where a game awaits reset

    def time_vector_env_steps(self, n):
        self._run(self.steps)

    def track_steps_per_second(self, n):
        t0 = time.perf_counter()
        self._run(self.steps)
        return n * self.steps / (time.perf_counter() - t0)

    track_steps_per_second.unit = "steps/s"
