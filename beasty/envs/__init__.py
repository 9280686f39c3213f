"""Standard RL interfaces over the C engine (optional extras).

``import beasty.envs`` registers ``beasty/BeastyBar-v0`` with Gymnasium
when it is installed (``pip install "beasty[gym]"``)::

    import gymnasium, beasty.envs
    env = gymnasium.make("beasty/BeastyBar-v0", opponent="heuristic")
"""

from __future__ import annotations

ENV_ID = "beasty/BeastyBar-v0"

try:
    import gymnasium
except ImportError:  # the gym extra is not installed: nothing to register
    pass
else:
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(
            ENV_ID,
            entry_point="beasty.envs.gymnasium:BeastyBarEnv",
            vector_entry_point="beasty.envs.gymnasium:BeastyBarVectorEnv",
        )

__all__ = ["ENV_ID"]
