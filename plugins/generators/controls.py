"""Control generators `replay` (training crops, as a memorising GAN would) and `prnu-inject` (known PRNU)."""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from seebench import GENERATOR, SOURCE, CellFailed, Component, Param, keyed_generator, param_defaults

from seebench_plugins.evaluators.power import prnu_content
from seebench_plugins.sources.source_spec import resolve_source

MAX_BLUR = 61  # taps; a binomial of n taps is close to a Gaussian of sigma sqrt(n - 1) / 2 px


def binomial_blur(images: torch.Tensor, size: int) -> torch.Tensor:
    """Separable binomial blur (odd taps 3 .. MAX_BLUR: a row of Pascal's triangle; reflect borders) of uint8 (N, C, H, W)."""
    if size < 3 or size > MAX_BLUR or size % 2 == 0 or size // 2 >= min(images.shape[-2:]):
        raise ValueError(f"replay: blur must be 0 or odd taps from 3 to {MAX_BLUR} (and under the crop side), got {size}")
    k = torch.tensor([math.comb(size - 1, i) for i in range(size)], dtype=torch.float64)
    k = (k / k.sum()).float()
    c = images.shape[1]
    x = images.float()
    pad = size // 2
    x = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    x = F.conv2d(F.pad(x, (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return x.round().clamp(0, 255).to(torch.uint8)


class _CropGenerator:
    """Shared by the controls: the source's crops in one split, at the resolution asked for."""

    mode = "crops"

    def __init__(self, source: str, source_params: dict | None, resolution: int):
        self.source, self.source_params, self.resolution = source, dict(source_params or {}), resolution
        self.images: torch.Tensor | None = None
        self.positions: torch.Tensor | None = None

    def _load(self, ctx, split: str):
        name, params = resolve_source(ctx, self.source, self.source_params, mode="crops", size=self.resolution)
        return ctx.load_source(name, params, split)

    def _check(self, size: int) -> None:
        if self.images is None:
            raise RuntimeError(f"{self.name}: generate() before fit(ctx); the harness fits generators first")
        if size != self.resolution:
            raise CellFailed(f"{self.name}: crops are {self.resolution}px, asked for {size}px; set resolution={size}")

    def sensor_positions(self, indices: Sequence[int]) -> torch.Tensor | None:
        """The sensor position each sample belongs to (the fingerprint test uses that position's K)."""
        if self.positions is None:
            return None
        return self.positions[torch.as_tensor([int(i) % len(self.positions) for i in indices], dtype=torch.long)]


_SOURCE = Param("source", "camera-sim", "the camera's photos, a spec string like photos:path=DIR,camera=iPod touch 4")
_SOURCE_PARAMS = Param("source_params", None, "extra parameters of that source", type=dict)
_RESOLUTION = Param("resolution", 64, "crop side in sensor px (as the fingerprint's crop_size)", minimum=8)

REPLAY_PARAMS = (_SOURCE, _SOURCE_PARAMS, _RESOLUTION,
                 Param("blur", 0, f"binomial blur taps (0: none; odd, 3 to {MAX_BLUR})", minimum=0, maximum=MAX_BLUR),
                 Param("shift", 0, "move the content by this many px (off its sensor pixels)", minimum=0),
                 Param("noise", 0.0, "add Gaussian noise of this std (grey levels)", minimum=0.0),
                 Param("flip", False, "mirror the copies left-right (x-flip augmentation memorised)"))


@param_defaults(REPLAY_PARAMS)
class Replay(_CropGenerator):
    """Returns the GAN-training crops themselves (a perfectly memorising generator), optionally
    blurred, shifted, mirrored or with added noise: a control the fingerprint verdict must flag as copies."""

    name = "replay"

    def __init__(self, *, source: str, source_params: dict | None, resolution: int, blur: int, shift: int,
                 noise: float, flip: bool):
        super().__init__(source, source_params, resolution)
        self.blur, self.shift, self.noise, self.flip = blur, shift, noise, flip

    def fit(self, ctx) -> None:
        train = self._load(ctx, "train")
        self.images, self.positions = train.images, train.labels

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        self._check(size)
        idx = torch.as_tensor([int(i) % len(self.images) for i in indices], dtype=torch.long)
        x = self.images[idx]
        if self.blur:
            x = binomial_blur(x, self.blur)
        if self.shift:  # content moved by `shift` px: no longer on the sensor pixels that made it
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(-2, -1))
        if self.flip:  # mirrored left-right, as a GAN trained with x-flip augmentation memorises its photos
            x = torch.flip(x, dims=(-1,))
        if self.noise:
            g = [keyed_generator("replay-noise", seed, int(i)) for i in indices]
            z = torch.stack([torch.randn(x.shape[1:], generator=gi) for gi in g])
            x = (x.float() + self.noise * z).round().clamp(0, 255).to(torch.uint8)
        return x


PRNU_INJECT_PARAMS = (_SOURCE, _SOURCE_PARAMS, _RESOLUTION,
                      Param("strength", 1.0, "PRNU strength: 1 = as in the camera's photos, 0 = none", minimum=0.0),
                      Param("count", 512, "distinct samples", minimum=1))


@param_defaults(PRNU_INJECT_PARAMS)
class PrnuInject(_CropGenerator):
    """Content no generator and no K saw, carrying the camera's PRNU at `strength` (1: as strong
    as in its photos, 0: none); see power.prnu_content for how, per kind of source."""

    name = "prnu-inject"

    def __init__(self, *, source: str, source_params: dict | None, resolution: int, strength: float, count: int):
        super().__init__(source, source_params, resolution)
        self.strength, self.count = strength, count

    def fit(self, ctx) -> None:
        name, params = resolve_source(ctx, self.source, self.source_params, mode="crops", size=self.resolution)
        train, test = ctx.load_source(name, params, "train"), ctx.load_source(name, params, "test")
        self._content = prnu_content(ctx.build(SOURCE, name, params), train, test, self.count)[0]
        self.images, self.positions = self._content(self.strength)

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        self._check(size)
        top = max((int(i) for i in indices), default=-1) + 1
        if top > len(self.images):
            raise CellFailed(f"prnu-inject: asked for sample {top - 1}, has {len(self.images)}; raise count=")
        return self.images[torch.as_tensor([int(i) for i in indices], dtype=torch.long)]


def control_components() -> list[Component]:
    """The control generators; registered by the fingerprint plugin module (they exist for its sake)."""
    return [
        Component(
            kind=GENERATOR, name="replay", factory=Replay,
            description="control: the GAN-training crops themselves (a memorising generator), optionally blurred/shifted/noisy/mirrored",
            params=REPLAY_PARAMS,
            tags=("camera", "control"),
            metadata={"role": "control", "family": "camera controls"},
        ),
        Component(
            kind=GENERATOR, name="prnu-inject", factory=PrnuInject,
            description="control: held-out content (own PRNU misaligned) carrying the camera's PRNU at a chosen strength",
            params=PRNU_INJECT_PARAMS,
            tags=("camera", "control"),
            metadata={"role": "control", "family": "camera controls"},
        ),
    ]
