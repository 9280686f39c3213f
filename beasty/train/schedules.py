"""Schedules for the entropy coefficient, sampling temperature and LR.

Progress is ``iteration / total_iterations`` clipped to [0, 1]:
linear ``start + (end - start) p``; cosine ``end + (start - end)(1 + cos(pi p)) / 2``;
exponential ``start (end / start) ** p``; constant ``start``.
"""

from __future__ import annotations

import math

DECAYS = ("linear", "cosine", "exponential", "constant")


def scheduled_value(
    iteration: int, total_iterations: int, start: float, end: float, decay_type: str
) -> float:
    if total_iterations <= 0:
        raise ValueError(f"total_iterations must be positive, got {total_iterations}")
    p = min(max(iteration / total_iterations, 0.0), 1.0)
    if decay_type == "linear":
        return start + (end - start) * p
    if decay_type == "cosine":
        return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * p))
    if decay_type == "exponential":
        if start <= 0 or end <= 0:
            raise ValueError("exponential decay needs start > 0 and end > 0")
        return float(start * (end / start) ** p)
    if decay_type == "constant":
        return start
    raise ValueError(f"unknown decay_type {decay_type!r}; expected one of {DECAYS}")


def get_entropy_coef(
    iteration: int, total_iterations: int, start: float = 0.04, end: float = 0.01, decay_type: str = "linear"
) -> float:
    """Entropy coefficient at ``iteration`` (default: 0.04 -> 0.01 linear)."""
    return scheduled_value(iteration, total_iterations, start, end, decay_type)


def get_temperature(
    iteration: int, total_iterations: int, start: float = 1.0, end: float = 0.5, decay_type: str = "linear"
) -> float:
    """Sampling temperature at ``iteration`` (default: 1.0 -> 0.5 linear)."""
    value = scheduled_value(iteration, total_iterations, start, end, decay_type)
    if value <= 0:
        raise ValueError("temperature must stay positive")
    return value


def get_learning_rate(iteration: int, total_iterations: int, lr: float, min_lr: float, warmup: int) -> float:
    """Linear warm-up from ``min_lr`` over ``warmup`` iterations, then linear decay to ``min_lr``."""
    if warmup > 0 and iteration < warmup:
        return min_lr + (lr - min_lr) * (iteration + 1) / warmup
    span = max(total_iterations - warmup, 1)
    return scheduled_value(iteration - warmup, span, lr, min_lr, "linear")
