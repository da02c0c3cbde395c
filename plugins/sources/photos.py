"""Source `photos`: a folder of JPEG/PNG/TIFF photos, EXIF-filtered, resized frames or sensor crops."""

from __future__ import annotations

import logging
import os
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from seebench import SOURCE, Component, ConfigError, DataMissingError, ImageSet, Param, hookimpl, param_defaults

from seebench_plugins.sources.exif import ExifInfo, matches_camera, read_exif
from seebench_plugins.sources.frames import (MODES, check_fractions, check_split, crop_positions, nested_subset, position_names, resize_frame,
                     split_of, take_crops)

log = logging.getLogger("seebench.camera.photos")
EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff"}
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 6


@dataclass
class ScanReport:
    """What a folder held: usable photos, skipped files (path, reason), other cameras, other files."""

    used: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    other_camera: list[tuple[str, str]] = field(default_factory=list)
    ignored: int = 0
    cameras: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"{len(self.used)} usable, {len(self.skipped)} skipped (unreadable/corrupt), "
                f"{len(self.other_camera)} from other cameras, {self.ignored} non-image files ignored")


PARAMS = (
    Param("path", "", "folder of photos (searched recursively)"),
    Param("camera", "", "keep only this EXIF model, e.g. 'iPod touch 4' (empty: all)"),
    Param("mode", "resize", "resize: whole frame, centre crop, downscaled to size; crops: native-resolution "
          "crops at fixed sensor positions (for fingerprints)", choices=MODES),
    Param("size", 64, "output side in px (resize) or crop side in sensor px (crops)", minimum=8),
    Param("positions", 4, "crops per photo at fixed sensor positions, an n x n grid (crops mode)", minimum=1),
    Param("held_out", 0.2, "fraction held out for the controls and KID (by a hash of the file path)", minimum=0.0, maximum=1.0),
    Param("reference", 0.3, "fraction the fingerprint K is estimated from, never trained on (by the same hash)",
          minimum=0.0, maximum=1.0),
    Param("limit", 0, "use only this many photos, a nested subset by path hash (0: all); limit=100 is "
          "inside limit=350", minimum=0),
    Param("split_seed", 0, "seed of the train/held-out assignment"),
    Param("min_images", 10, "fewer usable photos than this is an error", minimum=0),
    Param("max_images", 0, "read at most this many photos (0: all)", minimum=0),
)


@param_defaults(PARAMS)
class PhotoFolder:
    def __init__(self, path: str, *, camera: str, mode: str, size: int, positions: int, held_out: float,
                 split_seed: int, min_images: int, max_images: int, reference: float, limit: int):
        if not path:
            raise ConfigError("source 'photos': parameter 'path' is required; use photos:path=/folder/of/jpegs")
        self.path = Path(os.path.expanduser(str(path)))
        self.camera, self.mode, self.size, self.positions = camera, mode, size, positions
        self.held_out, self.split_seed, self.min_images, self.max_images = held_out, split_seed, min_images, max_images
        self.reference, self.limit = reference, limit
        try:
            check_fractions(held_out, reference, "source 'photos'")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        self.report: ScanReport | None = None
        self._key = (str(self.path.resolve()) if self.path.exists() else str(self.path), camera, mode, size,
                     positions, held_out, split_seed, min_images, max_images, reference, limit)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return self.report.skipped if self.report else []

    def files(self) -> list[Path]:
        if not self.path.is_dir():
            raise DataMissingError(f"source 'photos': folder {self.path} does not exist; pass photos:path=DIR with your photos")
        out: list[Path] = []
        ignored = 0
        for root, dirs, names in os.walk(self.path):
            dirs.sort()
            for name in sorted(names):
                if name.startswith("."):
                    continue
                if Path(name).suffix.lower() in EXTENSIONS:
                    out.append(Path(root) / name)
                else:
                    ignored += 1
        self._ignored = ignored
        if self.limit:  # a nested subset by a hash of the relative path: limit=100 is inside limit=350
            keep = set(nested_subset([str(p.relative_to(self.path)) for p in out], self.limit, self.split_seed))
            out = [p for p in out if str(p.relative_to(self.path)) in keep]
        return out

    def _open(self, path: Path) -> tuple[np.ndarray, ExifInfo]:
        """Decode fully (a truncated file fails here, not later) and return pixels as stored + EXIF."""
        with Image.open(path) as img:
            info = read_exif(img)
            if self.camera and not matches_camera(info, self.camera):
                return None, info
            if self.mode == "resize":
                if img.format == "JPEG":
                    img.draft("RGB", (self.size * 2, self.size * 2))
                img.load()
                img = ImageOps.exif_transpose(img)  # whole frames are shown upright
            else:
                img.load()  # crops: pixels as the sensor stored them, EXIF orientation NOT applied
            return np.asarray(img.convert("RGB")), info

    def load(self, split: str) -> ImageSet:
        check_split(split, "source 'photos'")
        key = (self._key, split)
        if key in _CACHE:
            self.report, out = _CACHE[key]
            return out
        report = ScanReport()
        frames: list[tuple[str, np.ndarray]] = []
        for path in self.files():
            rel = str(path.relative_to(self.path))
            try:
                pixels, info = self._open(path)
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
                report.skipped.append((rel, f"{type(exc).__name__}: {exc}"))
                continue
            report.cameras[info.camera or "(no EXIF model)"] += 1
            if pixels is None:
                report.other_camera.append((rel, info.camera or "(no EXIF model)"))
                continue
            frames.append((rel, pixels))
            if self.max_images and len(frames) >= self.max_images:
                break
        report.ignored = self._ignored
        if self.mode == "crops" and frames:
            frames = self._same_sensor(frames, report)
        report.used = [rel for rel, _ in frames]
        self.report = report
        if report.skipped:
            log.warning("photos %s: skipped %d unreadable files (first: %s — %s)", self.path, len(report.skipped),
                        *report.skipped[0])
        if len(frames) < self.min_images:
            seen = ", ".join(f"{c} x{n}" for c, n in report.cameras.most_common(4)) or "none"
            raise DataMissingError(
                f"source 'photos': {self.path} has {len(frames)} usable photos"
                f"{' from camera ' + repr(self.camera) if self.camera else ''}, need at least {self.min_images} "
                f"({report.summary()}; cameras seen: {seen}); add photos, fix camera=, or lower min_images"
            )
        chosen = [(rel, px) for rel, px in frames
                  if split_of(rel, self.held_out, self.reference, self.split_seed) == split]
        if not chosen:
            raise DataMissingError(
                f"source 'photos': the '{split}' split of {self.path} is empty ({len(frames)} usable photos, "
                f"held_out={self.held_out}, reference={self.reference}); add photos or change those fractions"
            )
        out = self._to_imageset(chosen, split)
        out.skipped = list(report.skipped)  # type: ignore[attr-defined]
        out.files = [rel for rel, _ in chosen]  # type: ignore[attr-defined]
        _CACHE[key] = (report, out)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return out

    def _same_sensor(self, frames, report):
        """Crops need one sensor geometry: keep the most common stored size, skip the rest with a reason."""
        sizes = Counter((px.shape[1], px.shape[0]) for _, px in frames)
        (w, h), _ = sizes.most_common(1)[0]
        kept = []
        for rel, px in frames:
            if (px.shape[1], px.shape[0]) == (w, h):
                kept.append((rel, px))
            elif (px.shape[0], px.shape[1]) == (w, h):
                report.skipped.append((rel, f"pixels stored rotated ({px.shape[1]}x{px.shape[0]}, sensor {w}x{h}): "
                                            "rotated by software, cannot align with the sensor"))
            else:
                report.skipped.append((rel, f"size {px.shape[1]}x{px.shape[0]} differs from the sensor's {w}x{h} "
                                            "(resized or cropped by software)"))
        self.sensor_size = (w, h)
        return kept

    def _to_imageset(self, chosen, split: str) -> ImageSet:
        name = f"photos/{self.path.name}/{split}"
        if self.mode == "resize":
            arr = np.stack([resize_frame(px, self.size) for _, px in chosen])
            return ImageSet(torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous(), None, [], name)
        w, h = self.sensor_size
        try:
            corners = crop_positions(w, h, self.size, self.positions)
        except ValueError as exc:
            raise ConfigError(f"source 'photos': {exc}") from None
        images, labels = [], []
        for _, px in chosen:
            crops = take_crops(px, self.size, corners)
            images.extend(crops)
            labels.extend(range(len(crops)))
        arr = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
        return ImageSet(arr, torch.tensor(labels, dtype=torch.long), position_names(corners), name)


def main(argv: list[str] | None = None) -> int:
    """`python -m seebench_plugins.sources.photos DIR [CAMERA]`: what the source would use and skip."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m seebench_plugins.sources.photos DIR [CAMERA]")
        return 2
    src = PhotoFolder(args[0], camera=args[1] if len(args) > 1 else "", min_images=0)
    try:
        src.load("train")
    except DataMissingError as exc:
        print(exc)
    rep = src.report
    print(rep.summary())
    for c, n in rep.cameras.most_common():
        print(f"  camera {c}: {n}")
    for rel, why in rep.skipped:
        print(f"  skipped {rel}: {why}")
    return 0


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="photos",
            factory=PhotoFolder,
            description="a folder of your JPEG/PNG/TIFF photos (recursive), EXIF camera filter, resized frames or sensor crops",
            params=PARAMS,
            tags=("camera",),
            metadata={"role": "real"},
            version="2",  # 2: three splits (train / reference / test)
        )
    ]


if __name__ == "__main__":
    raise SystemExit(main())
