"""The policy network for inference (needs torch): its definition, a small
weights format, and the network shipped with the package.

>>> from beasty.policy import load_weights, SHIPPED
>>> net = load_weights(SHIPPED)          # what make("ppo") plays with
"""

import os

# torch's OpenMP threads busy-wait between parallel regions unless told
# otherwise: on a loaded machine that cut the trainer to a seventh of its
# speed instead of the half a fair share gives (docs/TRAINING.md, "Threads and
# processes").  Passive waiting unless the user chose, set here, before
# beasty's first torch import (beasty.train imports torch through here too).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from beasty.policy.network import NetworkConfig, PolicyValueNet, count_parameters, masked_logits
from beasty.policy.weights import SHIPPED, WeightsError, load_weights, read_about, save_weights

__all__ = [
    "SHIPPED",
    "NetworkConfig",
    "PolicyValueNet",
    "WeightsError",
    "count_parameters",
    "load_weights",
    "masked_logits",
    "read_about",
    "save_weights",
]
