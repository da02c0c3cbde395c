"""Generators `featvis-random`, `featvis-dead-leaves`: images that maximise ResNet-50 pooled units."""

from __future__ import annotations

import operator
from typing import Sequence

import torch
import torch.nn.functional as F

from seebench import GENERATOR, Component, Param, hookimpl, keyed_rng, stream_tag, to_uint8, torch_generator

from seebench_plugins.generators.noise.device import resolve_device
from seebench_plugins.generators.noise.featvis_fit import pretrained_network
from seebench_plugins.generators.noise.featvis_network import fold_batchnorm, random_resnet50, resnet50_from_file
from seebench_plugins.generators.noise.featvis_param import FFTImage
from seebench_plugins.generators.noise.featvis_transform import StandardTransforms
from seebench_plugins.generators.noise.featvis_units import official_units
from seebench_plugins.generators.noise.fixed_threads import torch_threads
from seebench_plugins.generators.noise.request_checks import check_request

SOURCES = ("random", "dead-leaves")
SETTINGS = ("cpu", "official")
_IMAGE_TAG = stream_tag("featvis-image")
_NET_TAG = stream_tag("featvis-network")
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

# settings="official": generate_dataset.py's render_vis call (fixed_image_size=256, thresholds=(128,),
# render.py's learning_rate=5e-2); chunk (images per network batch, padded) 16 (the official batch
# is 64: the loss keeps its scale, OFFICIAL_BATCH). settings="cpu" (settings left at 0 follow the
# requested size, so CPU runs at small sizes stay cheap): opt_size 32 at <= 32 px, else 64 (larger
# images are resized from it); steps / lr 8 at 0.4 up to 64 px, else 32 at 0.2 (measured on a
# random ResNet-50 here, 8 steps at 0.4 lift the optimised unit to 2-4x its response to uniform
# noise); chunk 64 at opt_size 32 (tiny feature maps need a large batch), else 16.
OFFICIAL = {"opt_size": 256, "steps": 128, "lr": 0.05, "chunk": 16}
OFFICIAL_BATCH = 64  # generate_dataset.py --batch-size


def auto_settings(size: int, opt_size: int = 0, steps: int = 0, lr: float = 0.0, chunk: int = 0,
                  settings: str = "cpu") -> dict:
    """opt_size, steps, lr and chunk for images of `size` px: the given ones (non-zero), the rest
    from `settings` ('official' or 'cpu')."""
    if settings == "official":
        base = dict(OFFICIAL)
    else:
        small, opt = size <= 64, opt_size or (32 if size <= 32 else 64)
        base = {"opt_size": opt, "steps": 8 if small else 32, "lr": 0.4 if small else 0.2,
                "chunk": 64 if opt <= 32 else 16}
    given = {"opt_size": opt_size, "steps": steps, "lr": lr, "chunk": chunk}
    return {k: given[k] or base[k] for k in base}


def stretch_to_uint8(image: torch.Tensor) -> torch.Tensor:
    """utils_generation.py ThreadeImageWriter -> cv2_imwrite(normalize=True): the image's min to 0
    and max to 255 over all channels, then truncated to uint8 (so every image spans 0-255)."""
    low, high = image.min(), image.max()
    if not high > low:
        return torch.zeros(image.shape, dtype=torch.uint8)
    return ((image - low) / (high - low)).mul(255).floor().clamp(0, 255).to(torch.uint8)


class FeatureVisualisation:
    """Image i under seed s: gradient ascent from its own random start (keyed by (s, i)) on the
    pooled unit(s) official_units(i) of the network (each unit alone, then pairs in order, as the
    official dataset lists them), through lucent's standard transforms (each image its own draws),
    then stretched to 0-255. Images are optimised side by side in network batches of exactly
    `chunk` (padded), on a fixed thread count: the per-sample results of torch's CPU kernels then
    do not depend on the neighbours (checked by the tests), so an image's bytes do not depend on
    the request."""

    fits = False  # True where fit(ctx) makes the network

    def __init__(self, source: str = "random", encoder_weights: str | None = None, fallback: str = "pretrain",
                 settings: str = "cpu", steps: int = 0, opt_size: int = 0, lr: float = 0.0,
                 transforms: str = "standard", normalise: str = "stretch", chunk: int = 0, threads: int = 1,
                 device: str = "auto"):
        self.name = f"featvis-{source}"
        if source not in SOURCES:
            raise ValueError(f"featvis: parameter 'source' must be one of {list(SOURCES)}, got {source!r}")
        for pname, value, choices in (("settings", settings, SETTINGS), ("transforms", transforms, ("standard", "none")),
                                      ("normalise", normalise, ("stretch", "none"))):
            if value not in choices:
                raise ValueError(f"{self.name}: parameter '{pname}' must be one of {list(choices)}, got {value!r}")
        for pname, value, low in (("steps", steps, 0), ("opt_size", opt_size, 0), ("chunk", chunk, 0),
                                  ("threads", threads, 0)):
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
        self.source, self.fallback, self.preset = source, fallback, settings
        self.steps, self.opt_size, self.lr, self.chunk, self.threads = steps, opt_size, float(lr), chunk, threads
        self.transforms, self.normalise = transforms, normalise
        self._file_model = fold_batchnorm(resnet50_from_file(encoder_weights)) if encoder_weights else None
        self._random_models: dict[int, torch.nn.Module] = {}

    def settings(self, size: int) -> dict:
        """What images of `size` px are made with: opt_size, steps, lr, chunk (see auto_settings)."""
        return auto_settings(size, opt_size=self.opt_size, steps=self.steps, lr=self.lr, chunk=self.chunk,
                             settings=self.preset)

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

    def units(self, index: int, seed: int = 0, width: int = 2048) -> list[int]:
        """The pooled-feature channels image `index` maximises (the same under every seed)."""
        return official_units(index, width)

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
        kernels run on one fixed shape; each image has its own parameters, start, transforms and
        Adam state, and only the ResNet pass is batched."""
        s = self.settings(size)
        opt_size, steps, chunk = s["opt_size"], s["steps"], s["chunk"]
        if not 0 < len(indices) <= chunk:
            raise ValueError(f"{self.name}: optimise() takes 1 to {chunk} indices, got {len(indices)}")
        model = self.model(seed)
        images, units, moves = [], [], []
        for index in indices:
            gen = torch_generator(int(keyed_rng(_IMAGE_TAG, seed, index, 0).integers(2**62)))
            images.append(FFTImage(opt_size, gen, device=self.device))
            units.append(self.units(index, seed, self.width(model)))
            moves.append(StandardTransforms(steps, opt_size, keyed_rng(_IMAGE_TAG, seed, index, 2),
                                            enabled=self.transforms == "standard"))
        padding = torch.full((chunk - len(indices), 3, opt_size, opt_size), 0.5, device=self.device)
        opt = torch.optim.Adam([im.params for im in images], lr=s["lr"])
        for step in range(steps):
            opt.zero_grad(set_to_none=True)
            x = torch.stack([move.apply(im.render(), step) for im, move in zip(images, moves)])
            feats = self.pooled(model, torch.cat([x, padding]))
            # objectives.py channel(): -(sum of the image's units) / mask_sum, mask_sum counting the
            # units of the whole official batch, then render_vis's losses.mean() over the batch;
            # Adam undoes the scale but for its eps, so it is kept.
            loss = -sum(feats[k, u].sum() / (OFFICIAL_BATCH * OFFICIAL_BATCH * len(u)) for k, u in enumerate(units))
            loss.backward()
            opt.step()
        with torch.no_grad():
            return [im.render().cpu() for im in images]

    def finish(self, image: torch.Tensor, size: int) -> torch.Tensor:
        """(3, opt_size, opt_size) floats -> (3, size, size) uint8: resized, then stretched to 0-255."""
        if size != image.shape[-1]:
            image = F.interpolate(image[None], size=(size, size), mode="bilinear", antialias=True,
                                  align_corners=False)[0]
        return stretch_to_uint8(image) if self.normalise == "stretch" else to_uint8(image)

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        idx = check_request(self.name, indices, size)
        size = operator.index(size)
        if not idx:
            return torch.empty((0, 3, size, size), dtype=torch.uint8)
        s = self.settings(size)
        out = []
        with torch_threads(self.threads):
            for start in range(0, len(idx), s["chunk"]):
                out += [self.finish(img, size) for img in self.optimise(idx[start : start + s["chunk"]], int(seed), size)]
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
        Param("settings", "cpu", "'official': the paper's generator (256 px, 128 Adam steps at lr 0.05; ~50 CPU-s an "
              "image here, for a GPU); 'cpu': the same algorithm cheap (32-64 px, 8-32 steps)",
              choices=SETTINGS),
        Param("steps", 0, "gradient-ascent steps per image, one ResNet-50 pass each (0: from settings; cpu: 8 up to "
              "64 px else 32; official: 128)", minimum=0),
        Param("opt_size", 0, "resolution the image is optimised at (and the network sees), then resized to the "
              "requested size (0: from settings; cpu: 32 at <= 32 px else 64; official: 256)", minimum=0, maximum=512),
        Param("lr", 0.0, "Adam learning rate on the Fourier parameters (0: from settings; cpu: 0.4 up to 64 px "
              "else 0.2; official: 0.05)", minimum=0.0),
        Param("transforms", "standard", "'standard': lucent's pad / jitter / scale / rotate / jitter each step "
              "(pixel amounts scaled to opt_size), as the official; 'none'", choices=("standard", "none")),
        Param("normalise", "stretch", "'stretch': each image's min to 0 and max to 255, as the official writer; "
              "'none': the sigmoid output as it is", choices=("stretch", "none")),
        Param("chunk", 0, "images optimised side by side (a fixed network batch, padded; changing it may change "
              "bytes; 0: from settings; cpu: 64 at opt_size 32 else 16; official: 16)", minimum=0),
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
    how = ("lucent's FFT / decorrelated-colour image and standard transforms, stretched to 0-255; "
           "settings=cpu (default, 32-64 px, 8-32 steps) or settings=official (256 px, 128 steps, the paper's)")
    specs = {
        "random": (f"maximise avgpool units (then pairs) of a random-init ResNet-50: {how}", 34.6),
        "dead-leaves": (f"maximise avgpool units (then pairs) of a ResNet-50 pretrained on dead leaves "
                        f"(fitted in the matrix, or encoder_weights): {how}", 39.2),
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
            # 2: BatchNorm folded, size-dependent auto settings, dead-leaves network fitted. 3: the
            # official units order, lucent's standard transforms, stretched to 0-255, settings.
            version="3",
        )
        for source, (description, reference) in specs.items()
    ]
