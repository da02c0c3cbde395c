"""Generators `dead-leaves-*`: occluding random shapes with 1/r^sigma radii until the canvas is covered."""

from __future__ import annotations

import numpy as np

from harness import GENERATOR, Component, ConfigError, Param, hookimpl

from .base import PerImageGenerator, check_range, image_rng
from .leaves import KINDS, Leaves, paint
from .statistical import StatisticalNoise
from .texture_pool import TexturePool, fill, texture_size

SHAPE_SETS = {
    "dead-leaves-squares": ("square",),
    "dead-leaves-oriented": ("rotated-square",),
    "dead-leaves-shapes": KINDS,
    "dead-leaves-textures": KINDS,
}


class DeadLeaves(PerImageGenerator):
    """Front-to-back dead leaves; `textures` fills shapes from a pool of spectrum+colour+WMM textures."""

    def __init__(self, family: str, shapes: list | None = None, sigma: float = 3.0, rmin: float = 0.03,
                 rmax: float = 1.0, max_shapes: int = 5000, textures: int = 0, texture_iterations: int = 3):
        """`textures`: size of the per-seed texture pool the shapes draw from (0: flat colours)."""
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
        if textures < 0:
            raise ConfigError(f"{family}: textures (the texture pool size) must be >= 0, got {textures}")
        if texture_iterations < 0:
            raise ConfigError(f"{family}: texture_iterations must be >= 0, got {texture_iterations}")
        self.kinds = tuple(sorted(KINDS.index(s) for s in set(names)))
        self.sigma, self.rmin, self.rmax, self.cap = sigma, rmin, rmax, max_shapes
        self.textures = textures
        self._pool = TexturePool(
            StatisticalNoise(f"{family}/texture", color=True, use_wmm=True, iterations=texture_iterations),
            f"{family}/texture", textures) if textures else None

    def _extra(self, rng: np.random.Generator) -> np.ndarray | None:
        # per shape of a block: texture number and channel order, y and x offset (periodic textures)
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
        extra = np.concatenate(lv.extra, axis=1)  # (3, n_drawn)
        # each leaf: a pool texture, one of the 6 channel orders and an offset into it
        pick = extra[0]
        tex = pick % self.textures
        perm = (pick // self.textures) % 6
        seen = np.zeros(tex.shape[0], dtype=bool)
        seen[lab.ravel()] = True  # textures of visible shapes only (np.unique of the map: slower)
        pool = self._pool.textures(seed, texture_size(size), np.unique(tex[seen]))
        img = fill(pool, lab, tex, perm, extra[1], extra[2])
        img[:, uncovered] = 0
        return img


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
                Param("textures", 1000, "size of the per-seed pool of textures the shapes draw from "
                      "(the paper's: 10,000), each made when first needed", minimum=1),
                Param("texture_iterations", 3, "WMM iterations of each texture", minimum=0),
            )
        comps.append(Component(
            kind=GENERATOR, name=family, factory=_factory(family, textured),
            description=DESCRIPTION[family], params=params, tags=("dead-leaves",),
            version="2" if textured else "1",  # 2: textures from a per-seed pool (was: 4 per image)
            metadata={"role": "synthetic", "family": family,
                      "reference": {"imagenet100-top1": REFERENCE[family]}},
        ))
    return comps
