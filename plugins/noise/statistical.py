"""Generators `spectrum`, `wmm`, `spectrum-color`, `spectrum-color-wmm`: the statistical image models."""

from __future__ import annotations

import numpy as np

from harness import GENERATOR, Component, ConfigError, Param, hookimpl

from . import spectral
from .base import PerImageGenerator, check_range, image_rng, to_uint8_hwc
from .wmm import wmm


class StatisticalNoise(PerImageGenerator):
    """1/f^alpha fields, optionally pushed through the wavelet marginal model and the colour model."""

    def __init__(self, family: str, alpha_min: float = 0.5, alpha_max: float = 3.5,
                 anisotropy: float = 0.15, r_min: float = 0.4, r_max: float = 0.8,
                 iterations: int = 10, color: bool = False, use_wmm: bool = False):
        self.name = family
        check_range(family, "alpha_min", alpha_min, 0.0, 5.0)
        check_range(family, "alpha_max", alpha_max, alpha_min, 5.0)
        check_range(family, "anisotropy", anisotropy, 0.0, 0.9)
        check_range(family, "r_min", r_min, 0.1, 2.0)
        check_range(family, "r_max", r_max, r_min, 2.0)
        if iterations < 0:
            raise ConfigError(f"{family}: iterations must be >= 0, got {iterations}")
        self.alpha_range = (alpha_min, alpha_max)
        self.anisotropy = anisotropy
        self.r_range = (r_min, r_max)
        self.iterations = iterations
        self.color = color
        self.use_wmm = use_wmm

    def draw_params(self, rng: np.random.Generator) -> dict:
        """The image's random parameters, always drawn in this order from its own stream."""
        alpha = float(rng.uniform(*self.alpha_range))
        log_a = float(rng.uniform(-1.0, 1.0)) * np.log1p(self.anisotropy)
        r = round(float(rng.uniform(*self.r_range)), 2)  # 0.01 steps: quantile tables stay cached
        return {"alpha": alpha, "anisotropy": float(np.exp(log_a)), "r": r}

    def params(self, index: int, seed: int) -> dict:
        """The drawn parameters of image `index` (alpha, anisotropy, r): what tests check against."""
        return self.draw_params(image_rng(seed, index, self.name))

    def render_float(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(3, H, W) float image in about [0, 1]."""
        return self.render_float_batch([rng], size)[0]

    def render_float_batch(self, rngs: list[np.random.Generator], size: int) -> np.ndarray:
        """(B, 3, H, W) float images in about [0, 1], image b from its own stream rngs[b].

        Each stream is drawn in the same order as one image alone (parameters, white noise, then
        palette or grey levels); the arithmetic then runs on the stack, slice by slice the same
        float32 operations, so image b is the same bytes as `render_float(rngs[b])` (a test checks
        this). On CPU the stack is not faster: its larger temporaries measured 1.2-1.6x slower
        per CPU-second (glibc returns and re-faults heap pages), so the generators render one
        image (and one dead-leaves texture) at a time.
        """
        n = 3 if self.color else 1
        params, whites, looks = [], [], []
        for rng in rngs:
            p = self.draw_params(rng)
            params.append(p)
            whites.append(spectral.white_fields(rng, size, n))
            looks.append(spectral.draw_palette(rng) if self.color else spectral.draw_grey(rng))
        fields = spectral.spectrum_fields_batch(
            np.stack(whites), [p["alpha"] for p in params], [p["anisotropy"] for p in params])
        if self.use_wmm and self.iterations:
            # colour: the structure field (first) gets the WMM, the other two keep smooth colour
            fields[:, 0] = spectral.standardise(wmm(fields[:, 0], [p["r"] for p in params], self.iterations))
        if self.color:
            return spectral.colourise_batch(fields, looks)
        grey = spectral.grey_batch(fields[:, 0], looks)
        return np.broadcast_to(grey[:, None], (len(rngs), 3, size, size))

    def render(self, index: int, seed: int, size: int) -> np.ndarray:
        return to_uint8_hwc(self.render_float(image_rng(seed, index, self.name), size))


def _factory(family: str, color: bool, use_wmm: bool):
    def build(**params):
        return StatisticalNoise(family, color=color, use_wmm=use_wmm, **params)

    build.__name__ = f"build_{family.replace('-', '_')}"
    return build


_COMMON = (
    Param("alpha_min", 0.5, "lowest spectral slope alpha of 1/f^alpha", minimum=0.0, maximum=5.0),
    Param("alpha_max", 3.5, "highest spectral slope alpha", minimum=0.0, maximum=5.0),
    Param("anisotropy", 0.15, "x/y frequency stretch up to a factor 1+anisotropy", minimum=0.0, maximum=0.9),
)
_WMM = (
    Param("r_min", 0.4, "lowest WMM marginal exponent r of exp(-|x/s|^r)", minimum=0.1, maximum=2.0),
    Param("r_max", 0.8, "highest WMM marginal exponent r", minimum=0.1, maximum=2.0),
    Param("iterations", 10, "WMM projection iterations", minimum=0),
)

FAMILIES = (
    # name, colour, wmm, paper's ImageNet-100 top-1, description
    ("spectrum", False, False, 30.6, "grey Gaussian noise with a random 1/f^alpha amplitude spectrum"),
    ("wmm", False, True, 31.4, "1/f^alpha noise with sparse wavelet marginals (steerable pyramid WMM)"),
    ("spectrum-color", True, False, 36.7, "1/f^alpha noise coloured by a random 3-22 colour palette"),
    ("spectrum-color-wmm", True, True, 39.9, "1/f^alpha noise with WMM marginals and a random colour palette"),
)


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name=name,
            factory=_factory(name, color, use_wmm),
            description=desc,
            params=_COMMON + (_WMM if use_wmm else ()),
            tags=("statistical",),
            metadata={"role": "synthetic", "family": name, "reference": {"imagenet100-top1": ref}},
        )
        for name, color, use_wmm, ref, desc in FAMILIES
    ]
