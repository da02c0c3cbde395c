"""Random weights of a small StyleGAN2-style generator, one draw per (seed, block), per variant."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .keyed_rng import keyed_rng, tag

VARIANTS = ("random", "highfreq", "sparse", "oriented")
W_DIM = 64  # latent (z and w) width
MAPPING_LAYERS = 8
_NET_TAG = tag("stylegan-network")


@dataclass
class ModConv:
    """One modulated convolution: weight (oc, ic, k, k), style affine A (ic, W_DIM), bias, noise gain."""

    weight: np.ndarray
    affine: np.ndarray
    bias: np.ndarray
    noise_strength: float = 0.0
    demodulate: bool = True
    up: bool = False
    wsq: np.ndarray = field(init=False)  # sum_k weight^2, (oc, ic): demodulation denominators

    def __post_init__(self) -> None:
        self.wsq = (self.weight.astype(np.float64) ** 2).sum(axis=(2, 3))


@dataclass
class Network:
    """Every weight of one generator: mapping MLP, constant input, conv layers, toRGB layers."""

    variant: str
    resolution: int
    mapping: list[tuple[np.ndarray, np.ndarray]]
    const: np.ndarray  # (C, 4, 4)
    convs: list[ModConv]  # 1 at 4 px, then 2 per resolution (the first upsamples)
    torgbs: list[ModConv]  # one per resolution
    upsample: str = "bilinear"


def channels(res: int, width: int) -> int:
    """Feature maps per resolution: `width` up to 32 px, halving per octave above, at least 16
    (oneDNN's convolutions are slow below 16 channels)."""
    return max(16, min(width, width * 32 // res))


# -- filters per variant -------------------------------------------------------------------------

def gabor_bank(n_orientations: int = 8, size: int = 3) -> np.ndarray:
    """(n_orientations, 2 wavelengths * 2 phases, size, size) zero-mean, unit-norm Gabor filters."""
    r = (size - 1) / 2
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    filters = []
    for k in range(n_orientations):
        theta = math.pi * k / n_orientations
        per_orientation = []
        xr = x * math.cos(theta) + y * math.sin(theta)
        yr = -x * math.sin(theta) + y * math.cos(theta)
        for wavelength in (2.5, 4.0):
            sigma = 0.45 * wavelength + 0.3
            envelope = np.exp(-(xr**2 + (yr / 1.6) ** 2) / (2 * sigma**2))
            for phase in (0.0, math.pi / 2):
                g = envelope * np.cos(2 * math.pi * xr / wavelength + phase)
                g = g - g.mean()
                per_orientation.append(g / np.linalg.norm(g))
        filters.append(np.stack(per_orientation))
    return np.stack(filters)


def _conv_weight(variant: str, rng: np.random.Generator, oc: int, ic: int, opts: dict) -> np.ndarray:
    if variant == "oriented":
        # Sparse connectivity; each filter comes from the bank, its orientation within one step of
        # the network's dominant orientation, so that paths through the network stay oriented.
        bank = opts["bank"]
        n_orient, n_kind = bank.shape[:2]
        w = np.zeros((oc, ic, bank.shape[2], bank.shape[3]))
        fan_in = min(opts["fan_in"], ic)
        for o in range(oc):
            sources = rng.choice(ic, size=fan_in, replace=False)
            orient = (opts["orientation"] + rng.integers(-opts["spread"], opts["spread"] + 1, size=fan_in)) % n_orient
            kind = rng.integers(0, n_kind, size=fan_in)
            w[o, sources] = bank[orient, kind] * rng.standard_normal(fan_in)[:, None, None]
        return w
    w = rng.standard_normal((oc, ic, 3, 3))
    if variant == "highfreq":
        w -= w.mean(axis=(2, 3), keepdims=True)  # no DC response: every filter is a high-pass
    elif variant == "sparse":
        keep = rng.random((oc, ic)) < opts["density"]
        keep[np.arange(oc), rng.integers(0, ic, size=oc)] = True  # every output has an input
        w *= keep[:, :, None, None]
    return w / math.sqrt(ic * 9)


def _noise_strength(variant: str, rng: np.random.Generator) -> float:
    low, high = {"highfreq": (0.5, 1.5), "oriented": (0.2, 0.8)}.get(variant, (0.1, 1.0))
    return float(rng.uniform(low, high))


def _bias(variant: str, rng: np.random.Generator, oc: int) -> np.ndarray:
    if variant == "sparse":
        return rng.normal(0.0, 0.5, oc)
    return np.zeros(oc)


def draw_network(variant: str, seed: int, block: int, resolution: int, width: int,
                 density: float = 0.1, fan_in: int = 2, n_orientations: int = 8, spread: int = 1) -> Network:
    """The generator that images [block * reinit_every, (block + 1) * reinit_every) of `seed` share."""
    if variant not in VARIANTS:
        raise ValueError(f"stylegan: parameter 'variant' must be one of {list(VARIANTS)}, got {variant!r}")
    rng = keyed_rng(_NET_TAG, VARIANTS.index(variant), seed, block, resolution, width)
    opts = {"density": density, "fan_in": fan_in}
    if variant == "oriented":
        opts["bank"] = gabor_bank(n_orientations)
        opts["orientation"] = int(rng.integers(0, n_orientations))
        opts["spread"] = spread

    mapping = [(rng.standard_normal((W_DIM, W_DIM)) / math.sqrt(W_DIM), np.zeros(W_DIM))
               for _ in range(MAPPING_LAYERS)]

    def modconv(ic: int, oc: int, up: bool) -> ModConv:
        return ModConv(_conv_weight(variant, rng, oc, ic, opts).astype(np.float32),
                       rng.standard_normal((ic, W_DIM)) / math.sqrt(W_DIM),
                       _bias(variant, rng, oc), _noise_strength(variant, rng), True, up)

    def torgb(ic: int) -> ModConv:
        w = rng.standard_normal((3, ic, 1, 1)) / math.sqrt(ic)
        return ModConv(w.astype(np.float32), rng.standard_normal((ic, W_DIM)) / math.sqrt(W_DIM),
                       np.zeros(3), 0.0, False, False)

    c4 = channels(4, width)
    const = rng.standard_normal((c4, 4, 4))
    convs, torgbs = [modconv(c4, c4, False)], [torgb(c4)]
    res, c_prev = 8, c4
    while res <= resolution:
        c = channels(res, width)
        convs += [modconv(c_prev, c, True), modconv(c, c, False)]
        torgbs.append(torgb(c))
        res, c_prev = res * 2, c
    return Network(variant, resolution, mapping, const.astype(np.float32), convs, torgbs,
                   "bilinear")
