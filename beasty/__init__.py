"""beasty: a fast Beasty Bar engine, reference opponents and a PPO trainer."""

__version__ = "0.1.0"
