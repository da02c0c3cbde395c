"""Plain, slow reference implementations of every noise family, written step by step from the official code.

Each module of this package (one per group: dead_leaves, statistical, stylegan, fractaldb, featvis)
exports `REFERENCES`, a dict from a family name to `render(index, seed, size) -> np.ndarray`, a
uint8 (3, size, size) image. A reference follows the official generator's algorithm (which file and
function is named in its comments); it need not share bytes with the fast generator, only its
statistics: the fidelity tests (tests/test_fidelity_*.py) compare the two with two-sample tests,
`benchmarks/generators.py` times them side by side and `benchmarks/gallery.py` draws them together.
"""

from __future__ import annotations

import importlib
from typing import Callable

import numpy as np

GROUPS = ("dead_leaves", "statistical", "stylegan", "fractaldb", "featvis")

Render = Callable[[int, int, int], np.ndarray]


def all_references() -> dict[str, Render]:
    """Every family's reference renderer, from each group module that exists."""
    out: dict[str, Render] = {}
    for group in GROUPS:
        try:
            module = importlib.import_module(f"{__name__}.{group}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{group}":
                raise
            continue
        out.update(module.REFERENCES)
    return out
