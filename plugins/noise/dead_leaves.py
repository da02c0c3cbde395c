"""Generators `dead-leaves-*`: occluding random shapes with 1/r^sigma radii until the canvas is covered."""

from __future__ import annotations

import numpy as np

from harness import GENERATOR, Component, ConfigError, Param, hookimpl

from .base import PerImageGenerator, check_range, image_rng, to_uint8_hwc
from .leaves import KINDS, Leaves, paint
from .statistical import StatisticalNoise

_PERMS = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])

SHAPE_SETS = {
    "dead-leaves-squares": ("square",),
    "dead-leaves-oriented": ("rotated-square",),
    "dead-leaves-shapes": KINDS,
    "dead-leaves-textures": KINDS,
}


class DeadLeaves(PerImageGenerator):
    """Front-to-back dead leaves; `textures` fills shapes from a bank of spectrum+colour+WMM textures."""

    def __init__(self, family: str, shapes: list | None = None, sigma: float = 3.0, rmin: float = 0.03,
                 rmax: float = 1.0, max_shapes: int = 5000, textures: int = 0, texture_iterations: int = 3):
        self.name = family
        names = list(shapes) if shapes else list(SHAPE_SETS[family])
        unknown = [s for s in names if s not in KINDS]
        if unknown:
            raise ConfigError(f"{family}: unknown shape {unknown[0]!r}; known shapes: {', '.join(KINDS)}")
        check_range(family, "sigma", sigma, 1.5, 6.0)
        check_range(family, "rmin", rmin, 0.001, 1.0)
        check_range(family, "rmax", rmax, rmin, 2.0)
        if max_shapes < 1:
            raise ConfigError(f"{family}: max_shapes must be >= 1, got {max_shapes}")
        self.kinds = tuple(sorted(KINDS.index(s) for s in set(names)))
        self.sigma, self.rmin, self.rmax, self.cap = sigma, rmin, rmax, max_shapes
        self.textures = textures
        self._texture_model = StatisticalNoise(
            f"{family}/texture", color=True, use_wmm=True, iterations=texture_iterations) if textures else None

    def _extra(self, rng: np.random.Generator) -> np.ndarray | None:
        # per shape of a block: texture number, y and x offset into it (periodic textures)
        return rng.integers(0, 2**31, size=(3, 256)) if self.textures else None

    def leaves(self, index: int, seed: int, size: int) -> Leaves:
        """The shapes behind image `index`: label map, radii, kinds (what the statistics tests read)."""
        rng = image_rng(seed, index, self.name)
        return paint(rng, size, self.kinds, self.sigma, self.rmin, self.rmax, self.cap,
                     extra_draw=self._extra)

    def render(self, index: int, seed: int, size: int) -> np.ndarray:
        lv = self.leaves(index, seed, size)
        label = lv.label
        uncovered = label < 0
        lab = np.where(uncovered, 0, label)
        if not self.textures:
            img = lv.colors[lab]  # (H, W, 3)
            if uncovered.any():
                img[uncovered] = 0
            return np.ascontiguousarray(img.transpose(2, 0, 1))
        # Textures are periodic (FFT-made), so a half-size texture tiles the canvas seamlessly;
        # half size makes the bank 4x cheaper (the lowest octave is lost, mostly larger than a leaf).
        ts = max(16, size // 2)
        # (T, 3, ts, ts) float; texture t of image i has its own stream. One at a time: rendering
        # the T textures as one stack gave the same bytes but measured ~1.4x slower per CPU-second
        # (its 4x larger temporaries make glibc return and re-fault heap pages on every call)
        bank = np.stack([
            self._texture_model.render_float(image_rng(seed, index, f"{self.name}/texture{t}"), ts)
            for t in range(self.textures)
        ])
        extra = np.concatenate(lv.extra, axis=1)  # (3, n_drawn)
        # each leaf: a texture, an offset into it and one of the 6 channel orders
        pick = extra[0][lab]
        tex = pick % self.textures
        perm = _PERMS[(pick // self.textures) % 6]  # (H, W, 3)
        oy = (extra[1][lab] + np.arange(size)[:, None]) % ts
        ox = (extra[2][lab] + np.arange(size)[None, :]) % ts
        img = bank[tex[..., None], perm, oy[..., None], ox[..., None]]  # (H, W, 3)
        img[uncovered] = 0
        return to_uint8_hwc(img.transpose(2, 0, 1))


def _factory(family: str, textures: bool):
    def build(**params):
        if not textures:
            params.pop("textures", None)
            params.pop("texture_iterations", None)
        return DeadLeaves(family, **params)

    build.__name__ = f"build_{family.replace('-', '_')}"
    return build


REFERENCE = {"dead-leaves-squares": 35.2, "dead-leaves-oriented": 37.4,
             "dead-leaves-shapes": 38.9, "dead-leaves-textures": 40.9}
DESCRIPTION = {
    "dead-leaves-squares": "dead leaves of axis-aligned squares with flat random colours",
    "dead-leaves-oriented": "dead leaves of randomly rotated squares with flat random colours",
    "dead-leaves-shapes": "dead leaves mixing circles, squares, rotated squares, rectangles, triangles, quads",
    "dead-leaves-textures": "dead leaves of mixed shapes filled with spectrum+colour+WMM textures",
}


@hookimpl
def seebench_register_generators():
    comps = []
    for family, kinds in SHAPE_SETS.items():
        textured = family == "dead-leaves-textures"
        params = (
            Param("shapes", list(kinds), f"shape kinds to mix, of: {', '.join(KINDS)}"),
            Param("sigma", 3.0, "radius density exponent: p(r) ∝ 1/r^sigma", minimum=1.5, maximum=6.0),
            Param("rmin", 0.03, "smallest radius, fraction of the image size", minimum=0.001, maximum=1.0),
            Param("rmax", 1.0, "largest radius, fraction of the image size", minimum=0.001, maximum=2.0),
            Param("max_shapes", 5000, "stop after this many shapes even if not covered", minimum=1),
        )
        if textured:
            params += (
                Param("textures", 4, "textures generated per image, shared by its shapes (random offsets)", minimum=1),
                Param("texture_iterations", 3, "WMM iterations of each texture", minimum=0),
            )
        comps.append(Component(
            kind=GENERATOR, name=family, factory=_factory(family, textured),
            description=DESCRIPTION[family], params=params, tags=("dead-leaves",),
            metadata={"role": "synthetic", "family": family,
                      "reference": {"imagenet100-top1": REFERENCE[family]}},
        ))
    return comps
