"""Source `fashion-mnist`: the Debian package's IDX files, 60k train / 10k test, 28x28 grey (or placed at random)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from seebench import SOURCE, Component, ConfigError, DataMissingError, ImageSet, Param, hookimpl, param_defaults

from seebench_plugins.sources.random_placement import CANVAS, SMALLEST, place_randomly

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic 0x0000 type ndim, big-endian dims, data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataMissingError(f"{path}: not an unsigned-byte IDX file; reinstall dataset-fashion-mnist")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataMissingError(f"{path}: truncated IDX file ({data.size} of {int(np.prod(dims))} bytes); reinstall it")
    return data.reshape(dims)


PLACEMENTS = ("center", "random")
PLACEMENT_SEEDS = {"train": 1, "test": 2}


PARAMS = (
    Param("root", DEFAULT_ROOT, "folder with the four IDX .gz files"),
    Param("train_size", None, "use a fixed random subset of the 60k train images", type=int),
    Param("test_size", None, "use a fixed random subset of the 10k test images", type=int),
    Param("placement", "center", f"center: the 28x28 images as they are; random: each shrunk to "
          f"{SMALLEST}-28 px and put at a random place on a black {CANVAS}x{CANVAS} canvas (fixed per "
          f"image), so a probe needs features that do not depend on where and how big the object is",
          choices=PLACEMENTS, omit_at_default=True),
)


@param_defaults(PARAMS)
class FashionMNIST:
    def __init__(self, *, root: str, train_size: int | None, test_size: int | None, placement: str):
        if placement not in PLACEMENTS:
            raise ConfigError(f"fashion-mnist: placement must be one of {', '.join(PLACEMENTS)}, got {placement!r}")
        self.root = Path(root)
        self.sizes = {"train": train_size, "test": test_size}
        self.placement = placement

    def _files(self, split: str) -> tuple[Path, Path]:
        """The split's images and labels files, or DataMissingError naming the one missing."""
        images_file, labels_file = (self.root / f for f in FILES[split])
        for f in (images_file, labels_file):
            if not f.exists():
                raise DataMissingError(
                    f"fashion-mnist: {f} is missing; install it with `sudo apt-get install "
                    f"dataset-fashion-mnist` or pass root=DIR holding the four IDX .gz files"
                )
        return images_file, labels_file

    def preflight(self, pf=None, splits=("train", "test")) -> None:
        for split in splits:
            self._files(split)

    def load(self, split: str) -> ImageSet:
        if split not in FILES:
            raise ValueError(f"fashion-mnist: split must be 'train' or 'test', got {split!r}")
        images_file, labels_file = self._files(split)
        images = torch.from_numpy(read_idx(images_file).copy()).unsqueeze(1)
        labels = torch.from_numpy(read_idx(labels_file).astype(np.int64))
        if self.placement == "random":  # the same draw for every run: seeded by the split alone
            images = place_randomly(images, seed=PLACEMENT_SEEDS[split])
        full = ImageSet(images, labels, list(CLASSES), name=f"fashion-mnist/{split}")
        return full.subset(self.sizes[split], seed=0)


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="fashion-mnist",
            factory=FashionMNIST,
            description="Fashion-MNIST from Debian's dataset-fashion-mnist (10 classes, 28x28 grey)",
            params=PARAMS,
            tags=("real", "labelled"),
            metadata={"role": "real", "num_classes": 10},
        )
    ]
