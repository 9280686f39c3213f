"""Standard RL interfaces over the C engine (optional extras).

``import beasty.envs`` registers ``beasty/BeastyBar-v0`` with Gymnasium
when it is installed (``pip install "beasty[gym]"``)::

    import gymnasium, beasty.envs
    env = gymnasium.make("beasty/BeastyBar-v0", opponent="heuristic")
"""

from __future__ import annotations

from typing import Any

import numpy as np

ENV_ID = "beasty/BeastyBar-v0"


def action_index(action: Any) -> int:
    """An action as the int index it names: a Python or numpy integer (or a
    0-d integer array); TypeError for anything else (a float, a bool)."""
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        raise TypeError(f"action must be an integer index, got {action!r}")
    return int(action)


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

__all__ = ["ENV_ID", "action_index"]
