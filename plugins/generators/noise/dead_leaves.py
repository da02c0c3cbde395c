"""Generators `dead-leaves-*`: the paper's dead leaves, each shape painted on top until the canvas is covered."""

from __future__ import annotations

import inspect

import numpy as np

from seebench import GENERATOR, Component, ConfigError, Param, hookimpl

from seebench_plugins.generators.noise.base import PerImageGenerator, check_range, image_rng
from seebench_plugins.generators.noise.leaves import KINDS, Leaves, paint
from seebench_plugins.generators.noise.statistical import StatisticalNoise
from seebench_plugins.generators.noise.texture_pool import TexturePool, fill

SHAPE_SETS = {
    "dead-leaves-squares": ("square",),
    "dead-leaves-oriented": ("rotated-square",),
    "dead-leaves-shapes": KINDS,
    "dead-leaves-textures": KINDS,
}
# the texture model's own default WMM iterations: textures are spectrum-color-wmm images
TEXTURE_ITERATIONS = inspect.signature(StatisticalNoise.__init__).parameters["iterations"].default


class DeadLeaves(PerImageGenerator):
    """The official dead leaves (flat colours); `textures` > 0: each visible region shows one of a
    fixed set of `textures` spectrum+colour+WMM images, aligned (the paper's dead-leaves-textures)."""

    def __init__(self, family: str, shapes: list | None = None, sigma: float = 3.0, rmin: float = 0.03,
                 rmax: float = 1.0, max_shapes: int = 5000, textures: int = 0,
                 texture_iterations: int = TEXTURE_ITERATIONS):
        """`textures`: size of the per-seed texture set the regions draw from (0: flat colours)."""
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
            raise ConfigError(f"{family}: textures (the texture set size) must be >= 0, got {textures}")
        if texture_iterations < 0:
            raise ConfigError(f"{family}: texture_iterations must be >= 0, got {texture_iterations}")
        self.kinds = tuple(sorted(KINDS.index(s) for s in set(names)))
        self.sigma, self.rmin, self.rmax, self.cap = sigma, rmin, rmax, max_shapes
        self.textures = textures
        self._pool = TexturePool(
            StatisticalNoise(f"{family}/texture", color=True, use_wmm=True, iterations=texture_iterations),
            textures) if textures else None

    def leaves(self, index: int, seed: int, size: int) -> Leaves:
        """The shapes behind image `index`: top shape per pixel, radii, kinds (what the tests read)."""
        rng = image_rng(seed, index, self.name)
        return paint(rng, size, self.kinds, self.sigma, self.rmin, self.rmax, self.cap)

    def texture_of(self, lv: Leaves) -> np.ndarray:
        """Texture number of every painted shape (uniform over the set, as random.choice)."""
        return np.minimum((lv.texture_u * self.textures).astype(np.int64), self.textures - 1)

    def render(self, index: int, seed: int, size: int) -> np.ndarray:
        lv = self.leaves(index, seed, size)
        label = lv.label
        bare = label < 0  # only when max_shapes ran out first; official: black
        lab = np.where(bare, 0, label)
        if not self.textures:
            img = lv.colors[lab]  # (H, W, 3)
            if bare.any():
                img[bare] = 0
            return np.ascontiguousarray(img.transpose(2, 0, 1))
        tex = self.texture_of(lv)
        seen = np.zeros(tex.shape[0], dtype=bool)
        seen[lab.ravel()] = True  # textures of visible shapes only (np.unique of the map: slower)
        shown = np.flatnonzero(seen)
        store, slots = self._pool.textures(seed, size, tex[shown])
        per_shape = np.zeros(tex.shape[0], dtype=np.int64)
        per_shape[shown] = slots
        img = fill(store, per_shape, lab)
        img[:, bare] = 0
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
            Param("sigma", 3.0, "radius law exponent: cumulative sum of 1/r^sigma on the official "
                  "200-point grid", minimum=1.5, maximum=6.0),
            Param("rmin", 0.03, "smallest radius, fraction of the image size", minimum=0.001, maximum=1.0),
            Param("rmax", 1.0, "largest radius, fraction of the image size", minimum=0.001, maximum=2.0),
            Param("max_shapes", 5000, "stop after this many shapes even if pixels are still bare",
                  minimum=1),
        )
        if textured:
            params += (
                Param("textures", 10_000, "size of the per-seed set of full-size spectrum+colour+WMM "
                      "textures the regions draw from (the paper's 10,000), each made when first "
                      "needed; fewer: a faster cold start", minimum=1),
                Param("texture_iterations", TEXTURE_ITERATIONS, "WMM iterations of each texture "
                      "(spectrum-color-wmm's own default)", minimum=0),
            )
        comps.append(Component(
            kind=GENERATOR, name=family, factory=_factory(family, textured),
            description=DESCRIPTION[family], params=params, tags=("dead-leaves",),
            # textures 3 / others 2: the official painter (on top until covered), OpenCV's pixels,
            # the official radius grid and colours; textures full-size, aligned, 10,000 (issue 11);
            # textures 4: spectrum-color-wmm's version 3 (its faster WMM rounds floats differently)
            version="4" if textured else "2",
            metadata={"role": "synthetic", "family": family,
                      "reference": {"imagenet100-top1": REFERENCE[family]}},
        ))
    return comps
