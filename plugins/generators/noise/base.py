"""Shared base of the noise generators: size checks, per-image Philox streams, batch loop."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from seebench import ConfigError, philox_rng, stream_tag

MIN_SIZE, MAX_SIZE = 32, 512


def image_rng(seed: int, index: int, salt: str) -> np.random.Generator:
    """The random stream of one image: Philox keyed by (seed, index), counter offset by the family.

    The stream depends on (seed, index, salt) only, so image i is the same whatever the batch,
    order, process or worker count.
    """
    return philox_rng(seed, index, stream_tag(salt))


def check_size(name: str, size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise ConfigError(f"{name}: image size must be an integer, got {size!r}")
    size = int(size)
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ConfigError(f"{name}: image size must be between {MIN_SIZE} and {MAX_SIZE} px, got {size}")
    return size


def check_range(name: str, what: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise ConfigError(f"{name}: {what} must be in [{lo}, {hi}], got {value!r}")


def to_uint8_hwc(x: np.ndarray) -> np.ndarray:
    """float image in [0, 1], (H, W, 3) or (3, H, W) -> uint8 with rounding (deterministic)."""
    return np.rint(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


class PerImageGenerator:
    """A generator whose image i under seed s is computed on its own by `render(index, seed, size)`.

    `render` returns uint8 (3, H, W). Batching is a plain loop: the vectorisation happens inside
    one image (whole-canvas numpy / FFT work), so a batch never changes an image's bytes.
    """

    name = "noise"

    def render(self, index: int, seed: int, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        size = check_size(self.name, size)
        idx = [int(i) for i in indices]
        if any(i < 0 for i in idx):
            raise ConfigError(f"{self.name}: image indices must be >= 0")
        out = np.empty((len(idx), 3, size, size), dtype=np.uint8)
        for k, i in enumerate(idx):
            out[k] = self.render(i, int(seed), size)
        return torch.from_numpy(out)
