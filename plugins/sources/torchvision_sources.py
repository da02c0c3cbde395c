"""Source `torchvision:<Name>`: any torchvision dataset (CIFAR10, CIFAR100, STL10, ...); downloads only on download=true."""

from __future__ import annotations

import difflib
import inspect
import os
from pathlib import Path

import numpy as np
import torch

from seebench import SOURCE, Component, ConfigError, DataMissingError, ImageSet, Param, hookimpl, param_defaults

DEFAULT_ROOT = os.path.join("~", ".cache", "seebench", "datasets")


def _dataset_class(variant: str):
    import torchvision.datasets as tvd

    names = [n for n in tvd.__all__ if inspect.isclass(getattr(tvd, n, None))]
    if variant not in names:
        hint = difflib.get_close_matches(variant, names, n=3)
        tip = f"; did you mean {', '.join(hint)}?" if hint else ""
        raise ConfigError(f"source 'torchvision:{variant}': torchvision.datasets has no dataset {variant!r}{tip}")
    return getattr(tvd, variant)


def _split_kwargs(cls, split: str) -> dict:
    sig = inspect.signature(cls.__init__).parameters
    if "train" in sig:
        return {"train": split == "train"}
    if "split" in sig:
        return {"split": split}
    return {}


def _to_uint8_nchw(data) -> torch.Tensor:
    arr = data.numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    if arr.ndim == 3:  # (N, H, W) grey
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[-1] in (1, 3) and arr.shape[1] not in (1, 3):  # NHWC
        arr = arr.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.uint8))


PARAMS = (
    Param("variant", "CIFAR10", "class name in torchvision.datasets"),
    Param("root", DEFAULT_ROOT, "folder holding <Name>/ with the dataset's files"),
    Param("download", False, "download the dataset if it is missing (off: never touch the network)"),
    Param("train_size", None, "use a fixed random subset of the train split", type=int),
    Param("test_size", None, "use a fixed random subset of the test split", type=int),
)


@param_defaults(PARAMS)
class TorchvisionSource:
    def __init__(self, *, variant: str, root: str, download: bool, train_size: int | None, test_size: int | None):
        self.variant = variant
        self.cls = _dataset_class(variant)
        self.root = Path(root).expanduser() / variant
        self.download = download
        self.sizes = {"train": train_size, "test": test_size}

    def _missing(self, split: str, detail: str) -> DataMissingError:
        return DataMissingError(
            f"source 'torchvision:{self.variant}': the {split} split is not in {self.root} ({detail}). "
            f"Put the dataset's files there (as torchvision.datasets.{self.variant} expects them), pass "
            f"root=DIR where they are, or let seebench fetch them with download=true")

    def preflight(self, pf=None, splits=("train", "test")) -> None:
        """Without loading: the root holds files, and the dataset's own file check (where torchvision
        has one that needs no constructor) passes. download=true: nothing to check."""
        if self.download:
            return
        if not self.root.is_dir() or next(self.root.iterdir(), None) is None:
            raise self._missing(splits[0] if splits else "train", "no such folder" if not self.root.is_dir() else "empty folder")
        check = getattr(self.cls, "_check_integrity", None) or getattr(self.cls, "_check_exists", None)
        if check is None:
            return
        try:
            probe = self.cls.__new__(self.cls)
            probe.root = str(self.root)
            ok = check(probe)
        except Exception:  # noqa: BLE001 - a check that needs the constructor: load() will tell
            return
        if ok is False:
            raise self._missing(splits[0] if splits else "train", "its files are missing or corrupt")

    def load(self, split: str) -> ImageSet:
        if split not in ("train", "test"):
            raise ValueError(f"torchvision:{self.variant}: split must be 'train' or 'test', got {split!r}")
        try:
            ds = self.cls(str(self.root), download=self.download, **_split_kwargs(self.cls, split))
        except (RuntimeError, OSError) as exc:  # torchvision: "Dataset not found ..." or a missing file
            if self.download:
                raise
            raise self._missing(split, str(exc)) from None
        data = getattr(ds, "data", None)
        labels = getattr(ds, "targets", None)
        if labels is None:
            labels = getattr(ds, "labels", None)
        if data is not None and labels is not None and len(data) == len(labels):
            images = _to_uint8_nchw(data)
        else:  # generic path: decode every sample through PIL
            pairs = [ds[i] for i in range(len(ds))]
            images = _to_uint8_nchw(np.stack([np.asarray(img.convert("RGB")) for img, _ in pairs]))
            labels = [int(t) for _, t in pairs]
        classes = [str(c) for c in getattr(ds, "classes", [])]
        full = ImageSet(images, torch.as_tensor(np.asarray(labels), dtype=torch.long), classes,
                        name=f"{self.variant}/{split}")
        return full.subset(self.sizes[split], seed=0)


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="torchvision:*",
            factory=TorchvisionSource,
            description="any torchvision dataset by class name (torchvision:CIFAR10, torchvision:STL10, ...)",
            params=PARAMS,
            tags=("real", "labelled"),
            metadata={"role": "real"},
        )
    ]
