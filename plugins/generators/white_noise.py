"""Generator `white-noise`: i.i.d. pixels, the floor of the synthetic families."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from seebench import GENERATOR, Component, Param, hookimpl, param_defaults, philox_rng

PARAMS = (
    Param("distribution", "uniform", "pixel distribution", choices=("uniform", "gaussian")),
    Param("channels", 3, "1 (grey) or 3 (RGB)", choices=(1, 3)),
)


@param_defaults(PARAMS)
class WhiteNoise:
    """Image i under seed s comes from its own Philox stream keyed by (s, i): batch-independent."""

    def __init__(self, *, distribution: str, channels: int):
        self.distribution = distribution
        self.channels = channels

    def _one(self, index: int, seed: int, size: int) -> np.ndarray:
        rng = philox_rng(seed, index)
        shape = (self.channels, size, size)
        if self.distribution == "uniform":
            return rng.integers(0, 256, size=shape, dtype=np.uint8)
        pixels = rng.normal(127.5, 50.0, size=shape)
        return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        if size < 1:
            raise ValueError(f"white-noise: size must be positive, got {size}")
        return torch.from_numpy(np.stack([self._one(int(i), int(seed), size) for i in indices]))


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name="white-noise",
            factory=WhiteNoise,
            description="i.i.d. pixel noise (uniform or Gaussian): the floor of the synthetic data",
            params=PARAMS,
            tags=("noise",),
            metadata={"role": "synthetic", "family": "white noise"},
        )
    ]
