"""Generators `spectrum`, `wmm`, `spectrum-color`, `spectrum-color-wmm`: the statistical image models."""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from seebench import GENERATOR, Component, ConfigError, Param, hookimpl

from seebench_plugins.generators.noise import histogram_match
from seebench_plugins.generators.noise import spectral
from seebench_plugins.generators.noise import wmm
from seebench_plugins.generators.noise.base import PerImageGenerator, check_range, image_rng


class StatisticalNoise(PerImageGenerator):
    """The official statistical image model: spectrum, WMM and colour histograms imposed in turn.

    Official generate_example_seed / sample_image: from 256 * uniform noise in 3 channels, each
    of `iterations` rounds imposes the 1/(|fx|^sx + |fy|^sy) magnitude (use_spectrum), the
    wavelet marginals (use_wmm) and the Mondrian's decorrelated channel histograms (color); then
    the channels are rotated by the Mondrian's colour PCA (correlate_channels) and the image is
    stretched to the full range.
    """

    def __init__(self, family: str, alpha_min: float = 0.5, alpha_max: float = 3.5,
                 slope_jitter: float = 1 / 60, r_min: float = 0.4, r_max: float = 0.8,
                 iterations: int = 10, color: bool = False, use_wmm: bool = False,
                 use_spectrum: bool = True, correlate_channels: bool = True):
        self.name = family
        check_range(family, "alpha_min", alpha_min, 0.0, 5.0)
        check_range(family, "alpha_max", alpha_max, alpha_min, 5.0)
        check_range(family, "slope_jitter", slope_jitter, 0.0, 1.0)
        check_range(family, "r_min", r_min, 0.1, 2.0)
        check_range(family, "r_max", r_max, r_min, 2.0)
        if iterations < 0:
            raise ConfigError(f"{family}: iterations must be >= 0, got {iterations}")
        self.alpha_range = (alpha_min, alpha_max)
        self.slope_jitter = slope_jitter
        self.r_range = (r_min, r_max)
        self.iterations = iterations
        self.color, self.use_wmm, self.use_spectrum = color, use_wmm, use_spectrum
        self.correlate_channels = correlate_channels

    def params(self, index: int, seed: int) -> dict:
        """Image `index`'s spectral slopes along x and y (the first draws of its stream)."""
        slope_x, slope_y = spectral.draw_slopes(image_rng(seed, index, self.name), *self.alpha_range,
                                                self.slope_jitter)
        return {"slope_x": slope_x, "slope_y": slope_y}

    def render_float(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """(3, H, W) float32 in [0, 1], stretched to the full range."""
        amp = spectral.magnitude(size, *spectral.draw_slopes(rng, *self.alpha_range, self.slope_jitter)) \
            if self.use_spectrum else None
        colours = spectral.ColourModel(rng, size) if self.color or self.correlate_channels else None
        targets = wmm.draw_targets(rng, size, *self.r_range) if self.use_wmm else None
        x = rng.random((3, size, size), dtype=np.float32) * np.float32(256)
        amp_std = spectral.field_std(amp, size) if amp is not None else None
        colour_table = histogram_match.Targets(colours.quantiles, colours.values) if self.color else None
        for _ in range(self.iterations):
            if targets is not None:  # the spectrum's output goes to the pyramid as its rfft2
                spec = spectral.imposed_spectrum(x, amp, amp_std) if amp is not None else sfft.rfft2(x)
                x = wmm.impose_wmm_spectrum(spec, size, targets)
            elif amp is not None:
                x = spectral.impose_spectrum(x, amp)
            if self.color:
                x = histogram_match.match_rows([x.reshape(3, -1)], colour_table, overwrite=True)[0].reshape(x.shape)
            elif targets is None:
                break  # the spectrum alone: every later round gives back the same image
        if self.correlate_channels:
            x = colours.unrotate(x)
        return spectral.stretch(x)

    def render(self, index: int, seed: int, size: int) -> np.ndarray:
        x = self.render_float(image_rng(seed, index, self.name), size)
        return (x * np.float32(255)).astype(np.uint8)  # truncated, as the official uint8 cast


def _factory(family: str, color: bool, use_wmm: bool, use_spectrum: bool):
    def build(**params):
        return StatisticalNoise(family, color=color, use_wmm=use_wmm, use_spectrum=use_spectrum, **params)

    build.__name__ = f"build_{family.replace('-', '_')}"
    return build


_SPECTRUM = (
    Param("alpha_min", 0.5, "lowest spectral slope s of 1/(|fx|^sx + |fy|^sy) (official slope_range)",
          minimum=0.0, maximum=5.0),
    Param("alpha_max", 3.5, "highest spectral slope s", minimum=0.0, maximum=5.0),
    Param("slope_jitter", 1 / 60, "std of d in sx, sy = s +- d, as a fraction of alpha_max - alpha_min "
          "(official: 1/60)", minimum=0.0, maximum=1.0),
)
_WMM = (
    Param("r_min", 0.4, "lowest WMM exponent r of exp(-|x/s|^r), drawn per band and channel", minimum=0.1, maximum=2.0),
    Param("r_max", 0.8, "highest WMM exponent r", minimum=0.1, maximum=2.0),
)
_ALL = (
    Param("iterations", 10, "rounds of imposing the model (official Niter = 10)", minimum=0),
    Param("correlate_channels", True, "rotate the 3 channels by the colour PCA of a random Mondrian (official: on)"),
)

FAMILIES = (
    # name, colour, wmm, spectrum, paper's ImageNet-100 top-1, description
    ("spectrum", False, False, True, 30.6,
     "3 fields of random phase with magnitude 1/(|fx|^sx + |fy|^sy), colour-rotated (stat-spectrum)"),
    ("wmm", False, True, False, 31.4,
     "3 fields with steerable-pyramid marginals exp(-|x/s|^r), colour-rotated (stat-wmm)"),
    ("spectrum-color", True, False, True, 36.7,
     "the spectrum with the channel histograms of a random Mondrian (stat-spectrum_color)"),
    ("spectrum-color-wmm", True, True, True, 39.9,
     "spectrum, wavelet marginals and Mondrian colour histograms together (stat-spectrum_color_wmm)"),
)


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name=name,
            factory=_factory(name, color, use_wmm, use_spectrum),
            description=desc,
            params=(_SPECTRUM if use_spectrum else ()) + (_WMM if use_wmm else ()) + _ALL,
            tags=("statistical",),
            # 2 (issue 11): the official model (colour, per-band WMM targets, |fx|^sx + |fy|^sy);
            # 3 for the WMM families (issue 11, speed): the spectrum handed to the pyramid as its
            # rfft2, each band rescaled only in std (its mean dropped by synthesis): new float rounding
            version="3" if use_wmm else "2",
            metadata={"role": "synthetic", "family": name, "reference": {"imagenet100-top1": ref}},
        )
        for name, color, use_wmm, use_spectrum, ref, desc in FAMILIES
    ]
