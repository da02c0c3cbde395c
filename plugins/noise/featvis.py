"""Generators `featvis-random`, `featvis-dead-leaves`: images that maximise ResNet-50 pooled units."""

from __future__ import annotations

import copy
import operator
from typing import Sequence

import torch
import torch.nn.functional as F

from harness import GENERATOR, Component, Param, hookimpl, to_uint8

from .featvis_network import random_resnet50, resnet50_from_file
from .featvis_param import FFTImage
from .fixed_threads import torch_threads
from .keyed_rng import keyed_rng, tag
from .request_checks import check_request

SOURCES = ("random", "dead-leaves")
_IMAGE_TAG = tag("featvis-image")
_NET_TAG = tag("featvis-network")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class FeatureVisualisation:
    """Image i under seed s: gradient ascent from its own random start (keyed by (s, i)) on the
    unit(s) units(i, s) of the network's global-average-pooled features. Indices below `singles`
    maximise one unit (i mod 2048); later ones a pair of units drawn per image. Images are
    optimised side by side in network batches of exactly `chunk` (padded), on a fixed thread
    count: the per-sample results of torch's CPU kernels then do not depend on the neighbours
    (checked by the tests), so an image's bytes do not depend on the request."""

    def __init__(self, source: str = "random", encoder_weights: str | None = None, fallback: str = "error",
                 steps: int = 32, opt_size: int = 64, lr: float = 0.2, jitter: int = 0,
                 singles: int = 2048, chunk: int = 16, threads: int = 1,
                 device: str = "cpu"):
        self.name = f"featvis-{source}"
        if source not in SOURCES:
            raise ValueError(f"featvis: parameter 'source' must be one of {list(SOURCES)}, got {source!r}")
        for pname, value, low in (("steps", steps, 1), ("opt_size", opt_size, 16), ("jitter", jitter, 0),
                                  ("singles", singles, 0), ("chunk", chunk, 1),
                                  ("threads", threads, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{self.name}: parameter '{pname}' must be an integer >= {low}, got {value!r}")
        if not float(lr) > 0:
            raise ValueError(f"{self.name}: parameter 'lr' must be positive, got {lr!r}")
        if device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"{self.name}: parameter 'device' must be 'cpu', 'cuda' or 'auto', got {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{self.name}: parameter 'device' is 'cuda' but torch sees no CUDA GPU")
        self.device = torch.device("cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu")
        if fallback not in ("error", "random"):
            raise ValueError(f"{self.name}: parameter 'fallback' must be 'error' or 'random', got {fallback!r}")
        if source == "dead-leaves" and not encoder_weights and fallback == "error":
            raise ValueError(
                f"{self.name}: parameter 'encoder_weights' is required: a safetensors state dict of a "
                "ResNet-50 pretrained on dead leaves (or set fallback='random' to use a random network, "
                "which makes this the same as featvis-random)")
        self.source, self.fallback = source, fallback
        self.steps, self.opt_size, self.lr, self.jitter = steps, opt_size, float(lr), jitter
        self.singles, self.chunk, self.threads = singles, chunk, threads
        self._file_model = resnet50_from_file(encoder_weights) if encoder_weights else None
        self._random_models: dict[int, torch.nn.Module] = {}

    def model(self, seed: int) -> torch.nn.Module:
        """The network of `seed`: the file's weights (any seed), else a random init keyed by seed
        (initialised on the CPU, so the weights are the same whatever the device)."""
        if self._file_model is not None:
            self._file_model = self._file_model.to(self.device)
            return self._file_model
        if seed not in self._random_models:
            model = random_resnet50(int(keyed_rng(_NET_TAG, seed).integers(2**62)))
            self._random_models = {seed: model if self.device.type == "cpu" else copy.deepcopy(model).to(self.device)}
        return self._random_models[seed]

    def units(self, index: int, seed: int, width: int = 2048) -> list[int]:
        """The pooled-feature channels image `index` maximises."""
        if index < self.singles:
            return [index % width]
        rng = keyed_rng(_IMAGE_TAG, seed, index, 1)
        return [int(u) for u in rng.choice(width, size=2, replace=False)]

    def pooled(self, model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) floats in [0, 1] -> (N, 2048) global-average-pooled features."""
        mean, std = MEAN.to(images.device), STD.to(images.device)
        return model.forward_features((images - mean) / std).mean(dim=(2, 3))

    def optimise(self, indices: Sequence[int], seed: int) -> list[torch.Tensor]:
        """(3, opt_size, opt_size) floats in (0, 1): the optimised images of up to `chunk` indices.

        The network always sees a batch of exactly `chunk` images (idle slots are padding), so the
        kernels run on one fixed shape; each image has its own parameters, start, jitter and Adam
        state, and only the ResNet pass is batched."""
        if not 0 < len(indices) <= self.chunk:
            raise ValueError(f"{self.name}: optimise() takes 1 to {self.chunk} indices, got {len(indices)}")
        model = self.model(seed)
        images, units, shifts = [], [], []
        for index in indices:
            gen = torch.Generator().manual_seed(int(keyed_rng(_IMAGE_TAG, seed, index, 0).integers(2**62)))
            images.append(FFTImage(self.opt_size, gen, device=self.device))
            units.append(self.units(index, seed, model.num_features))
            shifts.append(torch.randint(-self.jitter, self.jitter + 1, (self.steps, 2), generator=gen).tolist())
        padding = torch.full((self.chunk - len(indices), 3, self.opt_size, self.opt_size), 0.5, device=self.device)
        opt = torch.optim.Adam([im.params for im in images], lr=self.lr)
        for step in range(self.steps):
            opt.zero_grad(set_to_none=True)
            x = torch.stack([torch.roll(im.render(), shifts=tuple(sh[step]), dims=(1, 2))
                             for im, sh in zip(images, shifts)])
            feats = self.pooled(model, torch.cat([x, padding]))
            loss = -sum(feats[k, u].sum() for k, u in enumerate(units))
            loss.backward()
            opt.step()
        with torch.no_grad():
            return [im.render().cpu() for im in images]

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        idx = check_request(self.name, indices, size)
        size = operator.index(size)
        if not idx:
            return torch.empty((0, 3, size, size), dtype=torch.uint8)
        out = []
        with torch_threads(self.threads):
            for start in range(0, len(idx), self.chunk):
                for img in self.optimise(idx[start : start + self.chunk], int(seed)):
                    if size != self.opt_size:
                        img = F.interpolate(img[None], size=(size, size), mode="bilinear", antialias=True,
                                            align_corners=False)[0]
                    out.append(to_uint8(img))
            return torch.stack(out)


def _params(source: str) -> tuple[Param, ...]:
    common = (
        Param("steps", 32, "gradient-ascent steps per image (the slow part: one ResNet-50 pass each)", minimum=1),
        Param("opt_size", 64, "resolution the image is optimised at, then resized to the requested size", minimum=16, maximum=512),
        Param("lr", 0.2, "Adam learning rate on the Fourier parameters", minimum=1e-6),
        Param("jitter", 0, "random circular shift in pixels per step (more robust images; needs more steps)", minimum=0),
        Param("singles", 2048, "indices below this maximise one unit (i mod 2048); the rest a pair of units", minimum=0),
        Param("chunk", 16, "images optimised side by side (a fixed network batch, padded; changing it may change bytes)", minimum=1),
        Param("device", "cpu", "'cpu' (bytes pinned, the default), 'cuda', or 'auto' (a GPU when torch sees one)",
              choices=("cpu", "cuda", "auto")),
        Param("threads", 1, "torch threads while optimising (0: the caller's setting); use workers to parallelise", minimum=0),
    )
    if source == "random":
        return common
    return (
        Param("encoder_weights", None, "safetensors state dict of a ResNet-50 pretrained on dead leaves (required "
              "unless fallback='random'); keys may carry a 'backbone.' prefix", type=str, nullable=True),
        Param("fallback", "error", "without encoder_weights: 'error', or 'random' (a random network, i.e. featvis-random)",
              choices=("error", "random")),
    ) + common


def _factory(source: str):
    def build(**params) -> FeatureVisualisation:
        return FeatureVisualisation(source=source, **params)
    build.__name__ = f"featvis_{source.replace('-', '_')}"
    return build


@hookimpl
def seebench_register_generators():
    specs = {
        "random": ("maximise pooled units (then pairs) of a random-init ResNet-50, FFT image parametrisation", 34.6),
        "dead-leaves": ("maximise pooled units (then pairs) of a ResNet-50 pretrained on dead leaves (encoder_weights)", 39.2),
    }
    return [
        Component(
            kind=GENERATOR,
            name=f"featvis-{source}",
            factory=_factory(source),
            description=description,
            params=_params(source),
            tags=("feature-visualisation",),
            metadata={"role": "synthetic", "family": "feature visualisation",
                      "reference": {"imagenet100-top1": reference}},
        )
        for source, (description, reference) in specs.items()
    ]
