"""Lucent's standard_transforms for feature visualisation (pad, jitter, scale, rotate, jitter), per image."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF
from torchvision.transforms import InterpolationMode

# lucent.optvis.transform.standard_transforms, in pixels at the official 256 px:
# pad(12, constant 0.5), jitter(8), random_scale(1 + (i - 5) / 50, i < 11), random_rotate(-10..10
# degrees plus 5 more zeros), jitter(4). At another opt_size the pixel amounts scale with it.
OFFICIAL_SIZE = 256
PAD, JITTER_1, JITTER_2 = 12, 8, 4
SCALES = tuple(1 + (i - 5) / 50.0 for i in range(11))
ANGLES = tuple(range(-10, 11)) + 5 * (0,)


def pixels(amount: int, opt_size: int) -> int:
    """`amount` px at 256 px, scaled to `opt_size` (at least 1)."""
    return max(1, round(amount * opt_size / OFFICIAL_SIZE))


class StandardTransforms:
    """The random draws of one image's `steps` transforms, keyed by its own generator, and
    `apply(image, step)`: the transformed (3, opt_size, opt_size) image the network sees (lucent's
    chain, then the resize to the network's input size that render_vis appends). Lucent draws one
    transform per batch and step; here each image draws its own (same distribution per image)."""

    def __init__(self, steps: int, opt_size: int, rng: np.random.Generator, enabled: bool = True):
        self.opt_size, self.enabled = opt_size, enabled
        self.pad = pixels(PAD, opt_size)
        # jitter(d) shifts by np.random.choice(d) in 0..d-1 pixels (right / down only), zeros entering
        self.shift_1 = rng.integers(0, pixels(JITTER_1, opt_size), (steps, 2))
        self.scale = np.asarray(SCALES)[rng.integers(0, len(SCALES), steps)]
        self.angle = np.asarray(ANGLES, dtype=float)[rng.integers(0, len(ANGLES), steps)]
        self.shift_2 = rng.integers(0, pixels(JITTER_2, opt_size), (steps, 2))

    @staticmethod
    def _shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
        """An integer translation by (dx, dy) >= 0 with zeros entering (kornia translate at integers)."""
        if dx == 0 and dy == 0:
            return x
        h, w = x.shape[-2:]
        return F.pad(x, [dx, 0, dy, 0])[..., :h, :w]

    def apply(self, image: torch.Tensor, step: int) -> torch.Tensor:
        if not self.enabled:
            return image
        x = TF.pad(image, [self.pad] * 4, fill=0.5)
        x = self._shift(x, *map(int, self.shift_1[step]))
        side = x.shape[-1]
        scaled = int(np.ceil(self.scale[step] * side))
        x = F.interpolate(x[None], size=(scaled, scaled), mode="bilinear", align_corners=True)[0]
        border = max(0, int(np.ceil((side - scaled) / 2)))
        if border:
            x = F.pad(x, [border] * 4)
        if self.angle[step]:
            x = TF.rotate(x, float(self.angle[step]), interpolation=InterpolationMode.BILINEAR)  # zeros enter
        x = self._shift(x, *map(int, self.shift_2[step]))
        # render_vis: Upsample(size=fixed_image_size, bilinear, align_corners=True) to the network
        return F.interpolate(x[None], size=(self.opt_size, self.opt_size), mode="bilinear", align_corners=True)[0]
