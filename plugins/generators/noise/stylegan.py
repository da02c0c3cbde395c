"""Generators `stylegan-random|highfreq|sparse|oriented`: untrained StyleGAN2-style networks."""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from seebench import GENERATOR, Component, Param, hookimpl

from seebench_plugins.generators.noise.device import resolve_device
from seebench_plugins.generators.noise.fixed_threads import torch_threads
from seebench_plugins.generators.noise.request_checks import check_request
from seebench_plugins.generators.noise.stylegan_batch import synthesize_batch
from seebench_plugins.generators.noise.stylegan_draws import draw_image, quantise, standardise
from seebench_plugins.generators.noise.stylegan_synthesis import synthesize
from seebench_plugins.generators.noise.stylegan_weights import PAPER_WIDTH, VARIANTS, Network, draw_network, network_nbytes

# Drawn networks kept per generator, least recently used dropped first. A network keeps its
# constant input and affines (float32; dense conv weights for `random`): ~0.2 MB at width 32,
# ~10 MB at width 512 and 128 px. Shuffled batches (what pretraining asks for) then draw each
# network once instead of once per change of network.
NETWORK_CACHE_BYTES = 256 * 2**20
# Default channels at <= 64 px per variant: the paper's 512 where the filter-bank forward makes it
# cheap; the dense `random` network at 512 runs ~0.5 img/s on a CPU core, so it defaults narrower.
DEFAULT_WIDTH = {"random": 32, "highfreq": PAPER_WIDTH, "sparse": PAPER_WIDTH, "oriented": PAPER_WIDTH}


def render_resolution(size: int, resolution: int) -> int:
    """The network's output size for an image of `size` px: the next power of two >= size (at
    least 8), or `resolution` when that is larger (the image then resized down to `size`)."""
    return max(8, 2 ** math.ceil(math.log2(size)), resolution)


class StyleGANNoise:
    """Image i under seed s comes from the network (s, i // reinit_every) and its own draws keyed
    by (s, i): w per layer, and for the filter-bank variants filters, gains, biases and noise. On
    the CPU each image runs alone through the network (see `synthesize`: its bytes are pinned); on
    a GPU the images of one network run as one batch (`synthesize_batch`)."""

    def __init__(self, variant: str = "random", width: int = 0, reinit_every: int = 400,
                 resolution: int = 0, threads: int = 1, device: str = "auto", gpu_batch: int = 256):
        name = f"stylegan-{variant}"
        if variant not in VARIANTS:
            raise ValueError(f"stylegan: parameter 'variant' must be one of {list(VARIANTS)}, got {variant!r}")
        width = width or DEFAULT_WIDTH[variant]
        for pname, value, low in (("width", width, 16), ("threads", threads, 0), ("reinit_every", reinit_every, 1),
                                  ("resolution", resolution, 0), ("gpu_batch", gpu_batch, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}: parameter '{pname}' must be an integer >= {low}, got {value!r}")
        if resolution and resolution & (resolution - 1):
            raise ValueError(f"{name}: parameter 'resolution' must be 0 or a power of two, got {resolution!r}")
        self.name, self.variant, self.width, self.reinit_every = name, variant, width, reinit_every
        self.resolution, self.threads, self.gpu_batch = resolution, threads, gpu_batch
        self.device = resolve_device(name, device)
        self.batched = self.device.type != "cpu"  # the CPU keeps the one-image path (pinned bytes)
        self._networks: OrderedDict[tuple[int, int, int], tuple[Network, int]] = OrderedDict()
        self._network_bytes = 0

    def network(self, seed: int, block: int, resolution: int) -> Network:
        """The network of images [block * reinit_every, ...) of `seed`, from an LRU cache bounded
        by NETWORK_CACHE_BYTES (a network depends only on its key: caching changes no byte)."""
        key = (seed, block, resolution)
        if key not in self._networks:
            net = draw_network(self.variant, seed, block, resolution, self.width)
            self._networks[key] = (net, network_nbytes(net))
            self._network_bytes += self._networks[key][1]
            while self._network_bytes > NETWORK_CACHE_BYTES and len(self._networks) > 1:
                self._network_bytes -= self._networks.popitem(last=False)[1][1]
        self._networks.move_to_end(key)
        return self._networks[key][0]

    def finish(self, rgb: torch.Tensor, colour: np.ndarray, size: int) -> torch.Tensor:
        """Float (3, R, R) network output -> uint8 (3, size, size): the official colour
        normalisation at R, resized (antialiased) to `size` when R is larger."""
        x = standardise(rgb.numpy(), colour)
        if x.shape[-1] != size:
            x = F.interpolate(torch.from_numpy(np.clip(x, 0.0, 1.0))[None], size=(size, size), mode="bilinear",
                              antialias=True, align_corners=False)[0].numpy()
        return torch.from_numpy(quantise(x))

    def render(self, index: int, seed: int, size: int) -> torch.Tensor:
        """uint8 (3, size, size): image `index` of `seed`, through the one-image CPU path."""
        net = self.network(seed, index // self.reinit_every, render_resolution(size, self.resolution))
        draw = draw_image(net, seed, index)
        return self.finish(synthesize(net, draw), draw.colour, size)

    def render_batched(self, indices: list[int], seed: int, size: int) -> list[torch.Tensor]:
        """uint8 (3, size, size) images, those of one network batched on the device."""
        resolution = render_resolution(size, self.resolution)
        out: list[torch.Tensor | None] = [None] * len(indices)
        blocks: dict[int, list[int]] = {}
        for pos, index in enumerate(indices):
            blocks.setdefault(index // self.reinit_every, []).append(pos)
        for block, positions in blocks.items():
            net = self.network(seed, block, resolution)
            for start in range(0, len(positions), self.gpu_batch):
                part = positions[start:start + self.gpu_batch]
                draws = [draw_image(net, seed, indices[p]) for p in part]
                rgb = synthesize_batch(net, draws, self.device).cpu()
                for p, image, draw in zip(part, rgb, draws):
                    out[p] = self.finish(image, draw.colour, size)
        return out

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        idx = check_request(self.name, indices, size)
        if not idx:
            return torch.empty((0, 3, size, size), dtype=torch.uint8)
        size = operator.index(size)
        with torch.inference_mode(), torch_threads(self.threads):
            if self.batched:
                return torch.stack(self.render_batched(idx, int(seed), size))
            # one network at a time (a shuffled batch mixes many); each image is placed back where asked
            by_network = sorted(range(len(idx)), key=lambda p: idx[p] // self.reinit_every)
            out: list[torch.Tensor | None] = [None] * len(idx)
            for p in by_network:
                out[p] = self.render(idx[p], int(seed), size)
            return torch.stack(out)


def _params(variant: str) -> tuple[Param, ...]:
    return (
        Param("width", DEFAULT_WIDTH[variant], "feature maps at <= 64 px, halving per octave above (at least 16): "
              "min(width * 64 / res, width); 512 is the paper's (channel_base 32768, channel_max 512)",
              minimum=16, maximum=1024),
        Param("reinit_every", 400, "images per random network: image i uses network (seed, i // reinit_every)", minimum=1),
        Param("resolution", 0, "0: the network renders the next power of two >= the size asked; N (a power of "
              "two): at least N px, then resized down (the paper's datasets: 256)", minimum=0, maximum=1024),
        Param("threads", 1, "torch threads while generating (0: the caller's setting); use workers to parallelise", minimum=0),
        Param("device", "auto", "'auto' (a CUDA GPU when torch sees one: images of a network batched there; else "
              "the CPU, one image at a time, bytes pinned), 'cpu' or 'cuda'", choices=("auto", "cpu", "cuda")),
        Param("gpu_batch", 256, "images per batch on a GPU", minimum=1),
    )


def _factory(variant: str):
    def build(**params) -> StyleGANNoise:
        return StyleGANNoise(variant=variant, **params)
    build.__name__ = f"stylegan_{variant}"
    return build


# The paper's four (generate_dataset.py --network_type): original, random, sparse_new, sparse_new + same_noise_map.
_SPECS = {
    "random": ("untrained StyleGAN2 (networks.py, ReLU): dense random weights per network, a fresh w per layer "
               "and image, no noise (strength 0 at init)", 34.0),
    "highfreq": ("untrained StyleGAN2 whose 3x3 filters are redrawn per image from 40 sign patterns "
                 "(network_randomized.py), pink-noise inputs", 42.1),
    "sparse": ("untrained StyleGAN2 whose filters are redrawn per image from a random subset of 40 wavelets, "
               "biases U(-0.2, 0.2), enveloped pink noise (network_randomized_v3.py)", 42.0),
    "oriented": ("as stylegan-sparse, with one enveloped pink-noise map per image shared by every layer "
                 "(same_noise_map)", 43.4),
}


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name=f"stylegan-{variant}",
            factory=_factory(variant),
            description=description,
            params=_params(variant),
            tags=("stylegan",),
            # 2: the paper's networks (was: a mapping MLP, our own sparse/oriented/highfreq filters);
            # 3 for the filter-bank variants: a style of exactly 0 (~1 image in 10^4) gave NaN pixels
            version="2" if variant == "random" else "3",
            metadata={"role": "synthetic", "family": "untrained StyleGAN",
                      "reference": {"imagenet100-top1": reference}},
        )
        for variant, (description, reference) in _SPECS.items()
    ]
