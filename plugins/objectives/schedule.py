"""Learning-rate schedules of the budget: cosine, step (x0.1 at 77.5/85/92.5 %, the paper's small scale), constant."""

from __future__ import annotations

import math

STEP_MILESTONES = (0.775, 0.85, 0.925)  # Wang & Isola: epochs 155, 170, 185 of 200


def lr_factor(schedule: str, step: int, total: int, warmup: int = 0) -> float:
    """Multiplier of the base learning rate at `step` (0-based) of `total`."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    if schedule == "step":
        return 0.1 ** sum(progress >= m for m in STEP_MILESTONES)
    if schedule == "constant":
        return 1.0
    raise ValueError(f"unknown learning-rate schedule {schedule!r} (cosine, step or constant)")


def set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
