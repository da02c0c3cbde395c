"""Generators `featvis-random`, `featvis-dead-leaves`: images that maximise ResNet-50 pooled units."""

from __future__ import annotations

import operator
from typing import Sequence

import torch
import torch.nn.functional as F

from harness import GENERATOR, Component, Param, hookimpl, to_uint8

from .device import resolve_device
from .featvis_fit import pretrained_network
from .featvis_network import fold_batchnorm, random_resnet50, resnet50_from_file
from .featvis_param import FFTImage
from .fixed_threads import torch_threads
from .keyed_rng import keyed_rng, tag
from .request_checks import check_request

SOURCES = ("random", "dead-leaves")
_IMAGE_TAG = tag("featvis-image")
_NET_TAG = tag("featvis-network")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

# Settings left at 0 ("auto") follow the requested size, so CPU runs at small sizes stay cheap.
# opt_size: 32 at <= 32 px, else 64 (larger images are resized from it). steps / lr: 8 at 0.4 up
# to 64 px, else 32 at 0.2; measured on a ResNet-50 here, 8 steps at 0.4 lift the optimised unit
# to 2-4x its response to uniform noise (32 steps at 0.2: 3-6x) at a quarter of the cost. chunk
# (images per network batch): 64 at opt_size 32 (1.8x faster per image than 16: tiny feature
# maps need a large batch), else 16 (no gain from larger batches at 64 px).
def auto_settings(size: int, opt_size: int = 0, steps: int = 0, lr: float = 0.0, chunk: int = 0) -> dict:
    """opt_size, steps, lr and chunk for images of `size` px: the given ones (non-zero), the rest auto."""
    small = size <= 64
    opt_size = opt_size or (32 if size <= 32 else 64)
    return {"opt_size": opt_size, "steps": steps or (8 if small else 32), "lr": lr or (0.4 if small else 0.2),
            "chunk": chunk or (64 if opt_size <= 32 else 16)}


class FeatureVisualisation:
    """Image i under seed s: gradient ascent from its own random start (keyed by (s, i)) on the
    unit(s) units(i, s) of the network's global-average-pooled features. Indices below `singles`
    maximise one unit (i mod width); later ones a pair of units drawn per image. Images are
    optimised side by side in network batches of exactly `chunk` (padded), on a fixed thread
    count: the per-sample results of torch's CPU kernels then do not depend on the neighbours
    (checked by the tests), so an image's bytes do not depend on the request."""

    fits = False  # True where fit(ctx) makes the network

    def __init__(self, source: str = "random", encoder_weights: str | None = None, fallback: str = "pretrain",
                 steps: int = 0, opt_size: int = 0, lr: float = 0.0, jitter: int = 0,
                 singles: int = 2048, chunk: int = 0, threads: int = 1, device: str = "auto"):
        self.name = f"featvis-{source}"
        if source not in SOURCES:
            raise ValueError(f"featvis: parameter 'source' must be one of {list(SOURCES)}, got {source!r}")
        for pname, value, low in (("steps", steps, 0), ("opt_size", opt_size, 0), ("jitter", jitter, 0),
                                  ("singles", singles, 0), ("chunk", chunk, 0), ("threads", threads, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{self.name}: parameter '{pname}' must be an integer >= {low} (0: auto), got {value!r}")
        if opt_size and opt_size < 16:
            raise ValueError(f"{self.name}: parameter 'opt_size' must be 0 (auto) or >= 16, got {opt_size!r}")
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr < 0:
            raise ValueError(f"{self.name}: parameter 'lr' must be positive (0: auto), got {lr!r}")
        self.device = resolve_device(self.name, device)
        if fallback not in ("pretrain", "random"):
            raise ValueError(f"{self.name}: parameter 'fallback' must be 'pretrain' or 'random', got {fallback!r}")
        if source == "dead-leaves" and not encoder_weights and fallback == "pretrain" and not self.fits:
            raise ValueError(f"{self.name}: without encoder_weights the network is pretrained by fit(ctx): build "
                             "it through the registry (or PretrainedFeatureVisualisation), or set fallback='random'")
        self.source, self.fallback = source, fallback
        self.steps, self.opt_size, self.lr, self.jitter = steps, opt_size, float(lr), jitter
        self.singles, self.chunk, self.threads = singles, chunk, threads
        self._file_model = fold_batchnorm(resnet50_from_file(encoder_weights)) if encoder_weights else None
        self._random_models: dict[int, torch.nn.Module] = {}

    def settings(self, size: int) -> dict:
        """What images of `size` px are made with: opt_size, steps, lr, chunk (see auto_settings)."""
        return auto_settings(size, opt_size=self.opt_size, steps=self.steps, lr=self.lr, chunk=self.chunk)

    def model(self, seed: int) -> torch.nn.Module:
        """The network of `seed`, BatchNorm folded, on the device: the file's weights (any seed),
        else a random init keyed by seed (made on the CPU, so the same weights on every device)."""
        if self._file_model is not None:
            self._file_model = self._file_model.to(self.device)
            return self._file_model
        if seed not in self._random_models:
            model = random_resnet50(int(keyed_rng(_NET_TAG, seed).integers(2**62)))
            self._random_models = {seed: fold_batchnorm(model).to(self.device)}
        return self._random_models[seed]

    @staticmethod
    def width(model: torch.nn.Module) -> int:
        """Number of pooled units: a timm network's num_features, else a seebench encoder's feature_dim."""
        return getattr(model, "num_features", None) or model.feature_dim

    def units(self, index: int, seed: int, width: int = 2048) -> list[int]:
        """The pooled-feature channels image `index` maximises."""
        if index < self.singles:
            return [index % width]
        rng = keyed_rng(_IMAGE_TAG, seed, index, 1)
        return [int(u) for u in rng.choice(width, size=2, replace=False)]

    def pooled(self, model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) floats in [0, 1] -> (N, width) global-average-pooled features."""
        mean, std = MEAN.to(images.device), STD.to(images.device)
        x = (images - mean) / std
        if hasattr(model, "forward_features"):  # a timm network
            return model.forward_features(x).mean(dim=(2, 3))
        return model(x)  # a seebench encoder: pooled features

    def optimise(self, indices: Sequence[int], seed: int, size: int = 64) -> list[torch.Tensor]:
        """(3, opt_size, opt_size) floats in (0, 1): the optimised images of up to `chunk` indices.

        The network always sees a batch of exactly `chunk` images (idle slots are padding), so the
        kernels run on one fixed shape; each image has its own parameters, start, jitter and Adam
        state, and only the ResNet pass is batched."""
        s = self.settings(size)
        opt_size, steps, chunk = s["opt_size"], s["steps"], s["chunk"]
        if not 0 < len(indices) <= chunk:
            raise ValueError(f"{self.name}: optimise() takes 1 to {chunk} indices, got {len(indices)}")
        model = self.model(seed)
        images, units, shifts = [], [], []
        for index in indices:
            gen = torch.Generator().manual_seed(int(keyed_rng(_IMAGE_TAG, seed, index, 0).integers(2**62)))
            images.append(FFTImage(opt_size, gen, device=self.device))
            units.append(self.units(index, seed, self.width(model)))
            shifts.append(torch.randint(-self.jitter, self.jitter + 1, (steps, 2), generator=gen).tolist())
        padding = torch.full((chunk - len(indices), 3, opt_size, opt_size), 0.5, device=self.device)
        opt = torch.optim.Adam([im.params for im in images], lr=s["lr"])
        for step in range(steps):
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
        s = self.settings(size)
        out = []
        with torch_threads(self.threads):
            for start in range(0, len(idx), s["chunk"]):
                for img in self.optimise(idx[start : start + s["chunk"]], int(seed), size):
                    if size != s["opt_size"]:
                        img = F.interpolate(img[None], size=(size, size), mode="bilinear", antialias=True,
                                            align_corners=False)[0]
                    out.append(to_uint8(img))
            return torch.stack(out)


class PretrainedFeatureVisualisation(FeatureVisualisation):
    """`featvis-dead-leaves` without encoder_weights: `fit(ctx)` (the harness calls it before the
    cell uses the data) pretrains the network on dead leaves in a nested cell, cached by content
    key, so every cell and seed that asks for the same fit shares it (featvis_fit.py)."""

    fits = True

    def __init__(self, pretrain_data: str = "dead-leaves-shapes", pretrain_encoder: str = "resnet50",
                 pretrain_objective: str = "moco-v2", pretrain_images: int = 0, pretrain_batch_size: int = 0,
                 **params):
        super().__init__(source="dead-leaves", **params)
        for pname, value in (("pretrain_images", pretrain_images), ("pretrain_batch_size", pretrain_batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{self.name}: parameter '{pname}' must be an integer >= 0 (0: the cell budget's), got {value!r}")
        self.pretrain = {"data": pretrain_data, "encoder": pretrain_encoder, "objective": pretrain_objective,
                         "images": pretrain_images, "batch_size": pretrain_batch_size}
        self._fitted: dict[int, torch.nn.Module] = {}

    def fit(self, ctx) -> None:
        network = pretrained_network(ctx, who=self.name, **self.pretrain)
        self._fitted = {int(ctx.seed): fold_batchnorm(network).to(self.device)}

    def model(self, seed: int) -> torch.nn.Module:
        if int(seed) not in self._fitted:
            raise RuntimeError(
                f"{self.name}: no network pretrained on dead leaves for seed {seed}: use it in a matrix "
                "(`seebench run`; the harness fits it first), or pass encoder_weights=PATH.safetensors "
                "or fallback=random")
        return self._fitted[int(seed)]


def _params(source: str) -> tuple[Param, ...]:
    common = (
        Param("steps", 0, "gradient-ascent steps per image, one ResNet-50 pass each (0: auto, 8 up to 64 px "
              "else 32)", minimum=0),
        Param("opt_size", 0, "resolution the image is optimised at, then resized to the requested size "
              "(0: auto, 32 at <= 32 px else 64)", minimum=0, maximum=512),
        Param("lr", 0.0, "Adam learning rate on the Fourier parameters (0: auto, 0.4 up to 64 px else 0.2)", minimum=0.0),
        Param("jitter", 0, "random circular shift in pixels per step (more robust images; needs more steps)", minimum=0),
        Param("singles", 2048, "indices below this maximise one unit (i mod width); the rest a pair of units", minimum=0),
        Param("chunk", 0, "images optimised side by side (a fixed network batch, padded; changing it may change "
              "bytes; 0: auto, 64 at opt_size 32 else 16)", minimum=0),
        Param("device", "auto", "'auto' (a CUDA GPU when torch sees one, else the CPU: bytes pinned), 'cpu' or 'cuda'",
              choices=("auto", "cpu", "cuda")),
        Param("threads", 1, "torch threads while optimising (0: the caller's setting); use workers to parallelise", minimum=0),
    )
    if source == "random":
        return common
    return (
        Param("encoder_weights", None, "safetensors state dict of a ResNet-50 pretrained on dead leaves; keys may "
              "carry a 'backbone.' prefix (without it: see fallback)", type=str, nullable=True),
        Param("fallback", "pretrain", "without encoder_weights: 'pretrain' (the harness pretrains pretrain_encoder "
              "on pretrain_data first, cached) or 'random' (a random network, i.e. featvis-random)",
              choices=("pretrain", "random")),
        Param("pretrain_data", "dead-leaves-shapes", "generator the network is pretrained on (a spec, e.g. "
              "dead-leaves-squares:sigma=2)"),
        Param("pretrain_encoder", "resnet50", "encoder pretrained and visualised (a spec, e.g. resnet50:width=0.25)"),
        Param("pretrain_objective", "moco-v2", "objective it is pretrained with (a spec, e.g. align-uniform)"),
        Param("pretrain_images", 0, "images seen while pretraining (0: the cell budget's)", minimum=0),
        Param("pretrain_batch_size", 0, "pretraining batch size (0: the cell budget's)", minimum=0),
    ) + common


_FIT_PARAMS = ("pretrain_data", "pretrain_encoder", "pretrain_objective", "pretrain_images", "pretrain_batch_size")


def _factory(source: str):
    def build(**params) -> FeatureVisualisation:
        if source == "dead-leaves" and not params.get("encoder_weights") and params.get("fallback", "pretrain") == "pretrain":
            params.pop("encoder_weights", None)
            params.pop("fallback", None)
            return PretrainedFeatureVisualisation(**params)
        for key in _FIT_PARAMS:
            params.pop(key, None)
        return FeatureVisualisation(source=source, **params)
    build.__name__ = f"featvis_{source.replace('-', '_')}"
    return build


@hookimpl
def seebench_register_generators():
    specs = {
        "random": ("maximise pooled units (then pairs) of a random-init ResNet-50, FFT image parametrisation", 34.6),
        "dead-leaves": ("maximise pooled units (then pairs) of a ResNet-50 pretrained on dead leaves "
                        "(fitted in the matrix, or encoder_weights)", 39.2),
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
            version="2",  # 2: BatchNorm folded, size-dependent auto settings, dead-leaves network fitted
        )
        for source, (description, reference) in specs.items()
    ]
