"""What each image of an untrained StyleGAN draws for itself: its w per layer, filters, biases, noise, colours.

From generate_datasets/stylegan/generate_dataset.py (generate_images, tensor_to_uint8_norm) and the
forward passes of network_randomized.py (highfreq) and network_randomized_v3.py (sparse, oriented).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seebench import keyed_rng, stream_tag as tag

from seebench_plugins.generators.noise.stylegan_filters import BANKS, NOISE_POOL, area_pool, envelope_pink, pooled_noise
from seebench_plugins.generators.noise.stylegan_weights import W_DIM, Network

_IMAGE_TAG = tag("stylegan-image-v2")
BIAS_RANGE = 0.2  # --bias_range 0.2 (sparse, oriented): every conv bias ~ U(-0.2, 0.2) per image
NOISE_GAIN = 0.3  # pink_random: noise_strength ~ U(0, 0.3) per image and layer
SHARED_NOISE = 512  # same_noise_maps (oriented): one pink_noise((512, 512)) per image, area-resized per layer
# tensor_to_uint8_norm: each channel standardised, then given mean ~ N(m, sm) and std ~ N(s, ss)
COLOUR = ((0.483, 0.145, 0.219, 0.063), (0.455, 0.142, 0.213, 0.062), (0.401, 0.161, 0.213, 0.069))


@dataclass
class LayerDraw:
    """One conv layer's per-image draws (filter-bank variants): weight[o, i] = gain[o] * bank[filter_index[i]]."""

    filter_index: np.ndarray  # (ic,) int64 into BANKS[variant], one filter per input channel
    gains: np.ndarray  # (oc,) N(0, 1) per output channel
    bias: np.ndarray  # (oc,)
    noise: np.ndarray  # (res, res) float64, already times its strength


@dataclass
class ImageDraw:
    ws: np.ndarray  # (num_ws, W_DIM): LeakyReLU(0.2) of N(0, 1), one w per layer (no mapping network)
    colour: np.ndarray  # (3, 2) target mean and std per channel
    layers: list[LayerDraw] | None = None  # filter-bank variants
    torgb: list[np.ndarray] | None = None  # (3, ic) N(0, 1) per image (filter-bank variants)


def leaky_relu(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, x, 0.2 * x)


def _filter_index(variant: str, rng: np.random.Generator, ic: int) -> np.ndarray:
    n_bank = len(BANKS[variant])
    if variant == "highfreq":  # one of the 40 sign patterns per input channel
        return rng.integers(0, n_bank, ic)
    # v3: a random subset of 5..40 filters (randperm), then one of the subset per input channel
    n_sub = int(rng.integers(5, n_bank + 1))
    subset = rng.permutation(n_bank)[:n_sub]
    return subset[rng.integers(0, n_sub, ic)]


def draw_image(net: Network, seed: int, index: int) -> ImageDraw:
    """Image `index` of `seed` on network `net`: every random number it uses beyond the network's."""
    rng = keyed_rng(_IMAGE_TAG, seed, index, net.resolution, net.const.shape[0])
    ws = leaky_relu(rng.standard_normal((net.num_ws, W_DIM)))
    colour = np.array([(rng.normal(m, sm), rng.normal(s, ss)) for m, sm, s, ss in COLOUR])
    if net.variant == "random":  # networks.py: noise_strength is a parameter initialised to 0
        return ImageDraw(ws, colour)
    shared: dict[int, np.ndarray] = {}
    if net.variant == "oriented":  # area means at every layer size, each from the one above (the same means)
        level = envelope_pink(rng, max(SHARED_NOISE, net.resolution))
        while level.shape[0] >= 4:
            shared[level.shape[0]] = level
            level = area_pool(level, level.shape[0] // 2)
    layers = []
    for j, layer in enumerate(net.convs):
        strength = rng.uniform(0.0, NOISE_GAIN)
        if shared:
            noise = shared[layer.resolution]
        else:
            noise = pooled_noise(net.variant, net.seed, net.block, j, layer.resolution, int(rng.integers(NOISE_POOL)))
        bias = rng.uniform(-BIAS_RANGE, BIAS_RANGE, layer.oc) if net.variant != "highfreq" else np.zeros(layer.oc)
        layers.append(LayerDraw(_filter_index(net.variant, rng, layer.ic), rng.standard_normal(layer.oc), bias,
                                noise * strength))
    torgb = [rng.standard_normal((3, t.ic)) for t in net.torgbs]
    return ImageDraw(ws, colour, layers, torgb)


def standardise(image: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """tensor_to_uint8_norm's float step: per channel (x - mean) / std * target std + target mean."""
    x = image.astype(np.float64).reshape(3, -1)
    std = x.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    return ((x - x.mean(axis=1, keepdims=True)) / std * colour[:, 1:] + colour[:, :1]).reshape(image.shape)


def quantise(x: np.ndarray) -> np.ndarray:
    """Then clipped to [0, 1], times 255, truncated to uint8."""
    return (np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)
