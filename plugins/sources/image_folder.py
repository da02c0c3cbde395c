"""Source `image-folder`: a root with one sub-folder per class (optionally per split), e.g. ImageNet-100."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from seebench import SOURCE, Component, DataMissingError, ImageSet, Param, hookimpl, keyed_rng, param_defaults

# Class lists shipped with seebench, by the name classes_file may give instead of a path.
BUILTIN_LISTS = {"imagenet-100": "imagenet100.txt"}  # CMC's ImageNet-100 (Tian et al. 2019)
EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm"}


def _images_in(folder: Path):
    """Image files anywhere under `folder`, lazily (a check stops at the first)."""
    return (p for p in folder.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def _no_images(folder: Path) -> DataMissingError:
    return DataMissingError(f"image-folder: class folder {folder} holds no images ({', '.join(sorted(EXTENSIONS))})")


PARAMS = (
    Param("root", "", "the folder with one sub-folder per class"),
    Param("classes_file", "", "optional text file, one class folder name per line (first word), "
          "or a built-in list: imagenet-100 (CMC's 100 classes)"),
    Param("size", 64, "images are resized and centre-cropped to size x size", minimum=8),
    Param("test_fraction", 0.2, "held-out share per class when there are no train/val folders",
          minimum=0.0, maximum=1.0),
    Param("max_per_class", 0, "use at most this many images per class (0: all)", minimum=0),
)


@param_defaults(PARAMS)
class ImageFolder:
    """`root/<split>/<class>/*.jpg` when `root/train` exists, else `root/<class>/*.jpg` split by
    `test_fraction`. Images are resized (shorter side) and centre-cropped to `size` x `size` RGB."""

    def __init__(self, *, root: str, classes_file: str, size: int, test_fraction: float, max_per_class: int):
        if not root:
            raise DataMissingError("image-folder: pass root=DIR (a folder with one sub-folder per class)")
        self.root = Path(root).expanduser()
        self.classes_file = classes_file
        self.size, self.test_fraction, self.max_per_class = size, test_fraction, max_per_class

    def _classes(self, base: Path) -> list[str]:
        if not base.is_dir():
            raise DataMissingError(f"image-folder: {base} is not a folder; set root= to a folder with one "
                                   f"sub-folder per class (or train/ and val/ holding them)")
        present = sorted(p.name for p in base.iterdir() if p.is_dir())
        if not self.classes_file:
            if not present:
                raise DataMissingError(f"image-folder: {base} has no class sub-folders")
            return present
        path = Path(self.classes_file).expanduser()
        if not path.exists() and self.classes_file in BUILTIN_LISTS:
            path = Path(str(resources.files(__package__) / BUILTIN_LISTS[self.classes_file]))
        if not path.exists():
            raise DataMissingError(f"image-folder: class-list file {path} does not exist "
                                   f"(built-in lists: {', '.join(BUILTIN_LISTS)})")
        wanted = [ln.split()[0] for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        missing = [c for c in wanted if c not in present]
        if missing:
            raise DataMissingError(
                f"image-folder: class-list {path} names {len(missing)} class folder(s) missing under {base}: "
                f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}; put them there or fix root=/classes_file=")
        return wanted

    def _files(self, folder: Path) -> list[Path]:
        files = sorted(_images_in(folder))
        if not files:
            raise _no_images(folder)
        return files[: self.max_per_class] if self.max_per_class else files

    def _base(self, split: str) -> tuple[Path, bool]:
        """The folder holding `split`'s class folders, and whether the root has train/val folders."""
        if split not in ("train", "test"):
            raise ValueError(f"image-folder: split must be 'train' or 'test', got {split!r}")
        split_dirs = (self.root / "train").is_dir()
        base = self.root / ("train" if split == "train" else "val") if split_dirs else self.root
        if split_dirs and split == "test" and not base.is_dir():
            base = self.root / "test"
        return base, split_dirs

    def preflight(self, pf=None, splits=("train", "test")) -> None:
        """The checks `load` makes, without reading an image: the root, the class list, and every
        class folder holding at least one image."""
        for base in dict.fromkeys(self._base(split)[0] for split in splits):
            for name in self._classes(base):
                if next(_images_in(base / name), None) is None:
                    raise _no_images(base / name)

    def _read(self, path: Path) -> np.ndarray:
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
                scale = self.size / min(im.size)
                im = im.resize((max(self.size, round(im.width * scale)), max(self.size, round(im.height * scale))),
                               Image.BICUBIC)
                left, top = (im.width - self.size) // 2, (im.height - self.size) // 2
                return np.asarray(im.crop((left, top, left + self.size, top + self.size)))
        except OSError as exc:
            raise DataMissingError(f"image-folder: cannot read {path}: {exc}") from exc

    def load(self, split: str) -> ImageSet:
        base, split_dirs = self._base(split)
        classes = self._classes(base)
        arrays, labels = [], []
        for label, name in enumerate(classes):
            files = self._files(base / name)
            if not split_dirs:
                perm = keyed_rng(0).permutation(len(files))  # = np.random.default_rng(0)
                n_test = int(round(len(files) * self.test_fraction))
                keep = perm[:n_test] if split == "test" else perm[n_test:]
                files = [files[i] for i in sorted(keep)]
            for f in files:
                arrays.append(self._read(f))
                labels.append(label)
        images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
        return ImageSet(images, torch.tensor(labels, dtype=torch.long), classes, name=f"{self.root.name}/{split}")


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="image-folder",
            factory=ImageFolder,
            description="images in root/<class>/ (or root/train|val/<class>/); a class-list file selects e.g. ImageNet-100",
            params=PARAMS,
            tags=("real", "labelled"),
            metadata={"role": "real"},
        )
    ]
