"""PPO training (requires the ``train`` extra: torch, tensorboard).

>>> from beasty.train import load_config, Trainer
>>> Trainer(load_config("default")).train()
"""

from beasty.agents.neural import NeuralAgent
from beasty.policy.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from beasty.policy.network import NetworkConfig, PolicyValueNet
from beasty.train.config import ConfigError, TrainConfig, config_from_dict, load_config
from beasty.train.pool import AdaptiveOpponentPool
from beasty.train.schedules import get_entropy_coef, get_learning_rate, get_temperature
from beasty.train.trainer import Trainer

__all__ = [
    "AdaptiveOpponentPool",
    "CheckpointError",
    "ConfigError",
    "NetworkConfig",
    "NeuralAgent",
    "PolicyValueNet",
    "TrainConfig",
    "Trainer",
    "config_from_dict",
    "get_entropy_coef",
    "get_learning_rate",
    "get_temperature",
    "load_checkpoint",
    "load_config",
    "save_checkpoint",
]
