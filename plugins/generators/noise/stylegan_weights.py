"""The weights one untrained StyleGAN2 keeps for reinit_every images: constant input, affines, dense convs.

As in generate_datasets/stylegan/generate_dataset.py (get_network) and stylegan2-ada-pytorch's
training/networks.py: Generator(z_dim=512, w_dim=512), channels min(32768 / res, 512) (`width`
rescales that schedule), every parameter torch's default init (randn; biases 0; affine biases 1).
`random` (networks.py) convolves with these dense weights; `highfreq` (network_randomized.py) and
`sparse` / `oriented` (network_randomized_v3.py) replace every conv and toRGB weight per image
(stylegan_draws.py), so their networks keep only the constant input and the affines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from seebench import keyed_rng, stream_tag as tag

VARIANTS = ("random", "highfreq", "sparse", "oriented")
BANK_VARIANTS = ("highfreq", "sparse", "oriented")
W_DIM = 512  # z_dim = w_dim = 512 in get_network
PAPER_WIDTH = 512  # channel_max; channel_base 32768 = 512 * 64
_NET_TAG = tag("stylegan-network-v2")


@dataclass
class Layer:
    """One SynthesisLayer (3x3, `up`: upsampling by 2 first) or ToRGBLayer (1x1, 3 outputs)."""

    ic: int
    oc: int
    resolution: int
    up: bool
    affine: np.ndarray  # (ic, W_DIM) float32 (memory), the FullyConnectedLayer weight times 1/sqrt(W_DIM)
    weight: np.ndarray | None = None  # (oc, ic, k, k) float64, dense variant only (else drawn per image)
    wsq: np.ndarray | None = field(default=None, init=False)  # sum_k weight^2 (oc, ic): demodulation

    def __post_init__(self) -> None:
        if self.weight is not None:
            self.wsq = (self.weight**2).sum(axis=(2, 3))


@dataclass
class Network:
    """Every weight one generator keeps: the 4x4 constant, conv layers, toRGB layers (one per block)."""

    variant: str
    seed: int
    block: int
    resolution: int
    const: np.ndarray  # (C, 4, 4) float32
    convs: list[Layer]  # 1 at 4 px, then 2 per resolution (the first upsamples)
    torgbs: list[Layer]  # one per resolution; toRGB k reads w number 2k + 1 (shared with the next conv0)

    @property
    def num_ws(self) -> int:
        return len(self.convs) + 1


def channels(res: int, width: int) -> int:
    """Feature maps at one resolution: min(width * 64 / res, width) as the official
    min(32768 / res, 512) for width 512; at least 16 (oneDNN is slow below that) unless width is."""
    return max(min(16, width), min(width, width * 64 // res))


def block_resolutions(resolution: int) -> list[int]:
    return [2**k for k in range(2, int(math.log2(resolution)) + 1)]


def draw_network(variant: str, seed: int, block: int, resolution: int, width: int = PAPER_WIDTH) -> Network:
    """The generator that images [block * reinit_every, (block + 1) * reinit_every) of `seed` share."""
    if variant not in VARIANTS:
        raise ValueError(f"stylegan: parameter 'variant' must be one of {list(VARIANTS)}, got {variant!r}")
    rng = keyed_rng(_NET_TAG, VARIANTS.index(variant), seed, block, resolution, width)
    dense = variant == "random"

    def layer(ic: int, oc: int, res: int, up: bool, k: int) -> Layer:
        affine = rng.standard_normal((ic, W_DIM), dtype=np.float32) * np.float32(1 / math.sqrt(W_DIM))
        weight = rng.standard_normal((oc, ic, k, k)) if dense else None
        return Layer(ic, oc, res, up, affine, weight)

    c4 = channels(4, width)
    const = rng.standard_normal((c4, 4, 4)).astype(np.float32)
    convs, torgbs, c_prev = [], [], 0
    for res in block_resolutions(resolution):
        c = channels(res, width)
        if res > 4:
            convs.append(layer(c_prev, c, res, True, 3))
        convs.append(layer(c, c, res, False, 3))
        torgbs.append(layer(c, 3, res, False, 1))
        c_prev = c
    return Network(variant, seed, block, resolution, const, convs, torgbs)


def network_nbytes(net: Network) -> int:
    """Bytes of a network's arrays (constant, affines, dense weights)."""
    layers = [*net.convs, *net.torgbs]
    return net.const.nbytes + sum(x.affine.nbytes + (0 if x.weight is None else x.weight.nbytes + x.wsq.nbytes)
                                  for x in layers)
