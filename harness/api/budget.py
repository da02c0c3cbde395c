"""The compute budget of a cell: image size, images seen (or epochs) and batch size."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from seebench.api.errors import ConfigError


@dataclass(frozen=True)
class Budget:
    """How much a cell may spend. `images` (images seen while pretraining) wins over `epochs`.

    `dataset_size` is how many distinct images a generator offers per epoch (on the fly); 0 means
    as many as will be seen, so no image repeats.
    """

    name: str = "default"
    image_size: int = 32
    images: int = 0
    epochs: float = 0.0
    batch_size: int = 128
    dataset_size: int = 0
    schedule: str = "cosine"  # learning-rate schedule the objectives follow: cosine | step | constant

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "budget") -> "Budget":
        known = {f.name: f for f in fields(cls)}
        clean: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown budget key '{key}' (known: {', '.join(known)})")
            want = known[key].type
            want_t = {"str": str, "int": int, "float": float}[want if isinstance(want, str) else want.__name__]
            if want_t is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, want_t) or isinstance(value, bool):
                raise ConfigError(f"{where}: budget key '{key}' must be {want_t.__name__}, got {value!r}")
            clean[key] = value
        budget = cls(**clean)
        if budget.image_size < 8 or budget.image_size > 2048:
            raise ConfigError(f"{where}: image_size must be between 8 and 2048, got {budget.image_size}")
        if budget.batch_size < 1:
            raise ConfigError(f"{where}: batch_size must be >= 1, got {budget.batch_size}")
        if budget.images < 0 or budget.epochs < 0 or budget.dataset_size < 0:
            raise ConfigError(f"{where}: images, epochs and dataset_size must be >= 0")
        if budget.schedule not in ("cosine", "step", "constant"):
            raise ConfigError(f"{where}: schedule must be cosine, step or constant, got {budget.schedule!r}")
        return budget

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def images_seen(self, dataset_len: int) -> int:
        """Total images an objective should process given a dataset of `dataset_len` images."""
        if self.images:
            return self.images
        return int(math.ceil(self.epochs * dataset_len))

    def steps(self, dataset_len: int) -> int:
        return int(math.ceil(self.images_seen(dataset_len) / self.batch_size))

    def pretrain_dataset_size(self) -> int:
        """Distinct images a generator should offer (its 'epoch')."""
        if self.dataset_size:
            return self.dataset_size
        return max(self.images, self.batch_size)
