"""Generators `stylegan-random|highfreq|sparse|oriented`: untrained StyleGAN2-style networks."""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
from typing import Sequence

import torch
import torch.nn.functional as F

from harness import GENERATOR, Component, Param, hookimpl

from .device import resolve_device
from .fixed_threads import torch_threads
from .natural_stats import to_natural_uint8
from .request_checks import check_request
from .stylegan_batch import synthesize_batch
from .stylegan_synthesis import noise_maps, synthesize
from .stylegan_weights import VARIANTS, Network, draw_network

# Drawn networks kept per generator, least recently used dropped first: ~0.8-0.9 MB each (width 32),
# so 256 MB holds ~290, every network of a 105k-image dataset at reinit_every=400. Shuffled batches
# (what pretraining asks for) then draw each network once instead of once per change of network.
NETWORK_CACHE_BYTES = 256 * 2**20

# Pink-noise exponent range of the noise inputs; high-freq uses whiter noise.
ALPHA_RANGE = {"random": (0.5, 1.5), "sparse": (0.5, 1.5), "oriented": (0.5, 1.5), "highfreq": (0.0, 1.0)}


class StyleGANNoise:
    """Image i under seed s comes from the network (s, i // reinit_every) and its own latent and
    noise maps keyed by (s, i). On the CPU each image runs alone through the network (see
    `synthesize`: its bytes are pinned); on a GPU the images of one network run as one batch
    (`synthesize_batch`, grouped convolutions)."""

    def __init__(self, variant: str = "random", width: int = 32, reinit_every: int = 400,
                 density: float = 0.1, fan_in: int = 2, n_orientations: int = 8, threads: int = 1,
                 device: str = "auto", gpu_batch: int = 256):
        name = f"stylegan-{variant}"
        if variant not in VARIANTS:
            raise ValueError(f"stylegan: parameter 'variant' must be one of {list(VARIANTS)}, got {variant!r}")
        for pname, value, low in (("width", width, 16), ("threads", threads, 0), ("reinit_every", reinit_every, 1),
                                  ("fan_in", fan_in, 1), ("n_orientations", n_orientations, 1),
                                  ("gpu_batch", gpu_batch, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}: parameter '{pname}' must be an integer >= {low}, got {value!r}")
        if not 0.0 < float(density) <= 1.0:
            raise ValueError(f"{name}: parameter 'density' must be in (0, 1], got {density!r}")
        self.name, self.variant, self.width, self.reinit_every = name, variant, width, reinit_every
        self.density, self.fan_in, self.n_orientations = float(density), fan_in, n_orientations
        self.threads, self.gpu_batch = threads, gpu_batch
        self.device = resolve_device(name, device)
        self.batched = self.device.type != "cpu"  # the CPU keeps the one-image path (pinned bytes)
        self._networks: OrderedDict[tuple[int, int, int], tuple[Network, int]] = OrderedDict()
        self._network_bytes = 0

    def network(self, seed: int, block: int, resolution: int) -> Network:
        """The network of images [block * reinit_every, ...) of `seed`, from an LRU cache bounded
        by NETWORK_CACHE_BYTES (a network depends only on its key: caching changes no byte)."""
        key = (seed, block, resolution)
        if key not in self._networks:
            net = draw_network(self.variant, seed, block, resolution, self.width,
                               self.density, self.fan_in, self.n_orientations)
            self._networks[key] = (net, network_nbytes(net))
            self._network_bytes += self._networks[key][1]
            while self._network_bytes > NETWORK_CACHE_BYTES and len(self._networks) > 1:
                self._network_bytes -= self._networks.popitem(last=False)[1][1]
        self._networks.move_to_end(key)
        return self._networks[key][0]

    def render(self, index: int, seed: int, size: int) -> torch.Tensor:
        """Float (3, size, size) image before renormalisation."""
        resolution = max(8, 2 ** math.ceil(math.log2(size)))
        net = self.network(seed, index // self.reinit_every, resolution)
        z, noises = noise_maps(net, seed, index, ALPHA_RANGE[self.variant])
        rgb = synthesize(net, z, noises)
        if resolution != size:
            rgb = F.interpolate(rgb[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0]
        return rgb

    def render_batched(self, indices: list[int], seed: int, size: int) -> list[torch.Tensor]:
        """Float (3, size, size) images before renormalisation, those of one network batched on the device."""
        resolution = max(8, 2 ** math.ceil(math.log2(size)))
        out: list[torch.Tensor | None] = [None] * len(indices)
        blocks: dict[int, list[int]] = {}
        for pos, index in enumerate(indices):
            blocks.setdefault(index // self.reinit_every, []).append(pos)
        for block, positions in blocks.items():
            net = self.network(seed, block, resolution)
            for start in range(0, len(positions), self.gpu_batch):
                part = positions[start:start + self.gpu_batch]
                maps = [noise_maps(net, seed, indices[p], ALPHA_RANGE[self.variant]) for p in part]
                rgb = synthesize_batch(net, [z for z, _ in maps], [m for _, m in maps], self.device)
                if resolution != size:
                    rgb = F.interpolate(rgb, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
                for p, image in zip(part, rgb.cpu()):
                    out[p] = image
        return out

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        idx = check_request(self.name, indices, size)
        if not idx:
            return torch.empty((0, 3, size, size), dtype=torch.uint8)
        size = operator.index(size)
        with torch.inference_mode(), torch_threads(self.threads):
            if self.batched:
                return torch.stack([to_natural_uint8(x) for x in self.render_batched(idx, int(seed), size)])
            # one network at a time (a shuffled batch mixes many); each image is placed back where asked
            by_network = sorted(range(len(idx)), key=lambda p: idx[p] // self.reinit_every)
            out: list[torch.Tensor | None] = [None] * len(idx)
            for p in by_network:
                out[p] = to_natural_uint8(self.render(idx[p], int(seed), size))
            return torch.stack(out)


def network_nbytes(net: Network) -> int:
    """Bytes of a network's arrays (mapping, constant, conv and toRGB layers)."""
    layers = [*net.convs, *net.torgbs]
    return (sum(w.nbytes + b.nbytes for w, b in net.mapping) + net.const.nbytes
            + sum(x.weight.nbytes + x.affine.nbytes + x.bias.nbytes + x.wsq.nbytes for x in layers))


def _common_params() -> tuple[Param, ...]:
    return (
        Param("width", 32, "feature maps up to 32 px (halving per octave above, at least 16)", minimum=16, maximum=512),
        Param("reinit_every", 400, "images per random network: image i uses network (seed, i // reinit_every)", minimum=1),
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


_SPECS = {
    "random": ("untrained StyleGAN2-style generator, default random init, pink-noise inputs", 34.0, ()),
    "highfreq": ("untrained StyleGAN, zero-DC filters, whiter and stronger noise, no smoothing on upsampling", 42.1, ()),
    "sparse": ("untrained StyleGAN with sparse channel connectivity and random biases", 42.0,
               (Param("density", 0.1, "fraction of (output, input) channel connections kept", minimum=0.001, maximum=1.0),)),
    "oriented": ("untrained StyleGAN with filters from an oriented Gabor bank, sparse connectivity, one shared noise map", 43.4,
                 (Param("fan_in", 2, "input channels each output channel reads", minimum=1),
                  Param("n_orientations", 8, "orientations in the Gabor filter bank", minimum=1, maximum=64))),
}


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name=f"stylegan-{variant}",
            factory=_factory(variant),
            description=description,
            params=_common_params() + extra,
            tags=("stylegan",),
            metadata={"role": "synthetic", "family": "untrained StyleGAN",
                      "reference": {"imagenet100-top1": reference}},
        )
        for variant, (description, reference, extra) in _SPECS.items()
    ]
