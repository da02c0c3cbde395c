"""Source `digits`: scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes), no download."""

from __future__ import annotations

import numpy as np
import torch

from seebench import SOURCE, Component, ImageSet, Param, hookimpl, param_defaults, permutation

PARAMS = (Param("test_fraction", 0.25, "fixed random share held out as the test split", minimum=0.01, maximum=0.99),)


@param_defaults(PARAMS)
class Digits:
    def __init__(self, *, test_fraction: float):
        self.test_fraction = test_fraction

    def load(self, split: str) -> ImageSet:
        from sklearn.datasets import load_digits

        if split not in ("train", "test"):
            raise ValueError(f"digits: split must be 'train' or 'test', got {split!r}")
        bunch = load_digits()
        # pixel values are 0..16; scale to 0..255
        images = torch.from_numpy(np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)).unsqueeze(1)
        labels = torch.from_numpy(bunch.target.astype(np.int64))
        perm = permutation(len(images), 0)
        n_test = int(round(len(images) * self.test_fraction))
        idx = perm[:n_test] if split == "test" else perm[n_test:]
        idx = idx.sort().values
        return ImageSet(images[idx], labels[idx], [str(d) for d in range(10)], name=f"digits/{split}")


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="digits",
            factory=Digits,
            description="scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes, grey)",
            params=PARAMS,
            tags=("real", "labelled"),
            metadata={"role": "real", "num_classes": 10},
        )
    ]
