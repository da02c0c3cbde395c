"""Turning full camera frames into benchmark images: resized whole frames or native-resolution crops."""

from __future__ import annotations

import numpy as np
from PIL import Image

from seebench import keyed_unit

MODES = ("resize", "crops")


SPLITS = ("train", "reference", "test")  # the GAN's photos, the fingerprint's reference photos, held-out controls


def split_of(key: str, held_out: float, reference: float, seed: int = 0) -> str:
    """Which of SPLITS the photo with stable key `key` (a relative path, an index) belongs to.

    Decided by a hash of the key alone, so a photo's split never changes when photos are added
    to the folder or a `limit` is raised: K is estimated from `reference` photos only, never from
    the `train` photos a generator sees, and `test` photos are held out from both.
    """
    u = keyed_unit(seed, "split", key)
    if u < held_out:
        return "test"
    if u < held_out + reference:
        return "reference"
    return "train"


def check_fractions(held_out: float, reference: float, where: str) -> None:
    if held_out < 0 or reference < 0 or held_out + reference >= 1:
        raise ValueError(f"{where}: held_out ({held_out}) + reference ({reference}) must be below 1, "
                         "so that some photos are left to train on")


def nested_subset(keys: list[str], limit: int, seed: int = 0) -> list[str]:
    """The `limit` keys first in a hash order (0: all), in their original order.

    The order does not depend on the other keys, so limit=100 is a subset of limit=350 and a
    matrix can grow the photo count as the collection grows."""
    if not limit or limit >= len(keys):
        return list(keys)
    chosen = set(sorted(keys, key=lambda k: keyed_unit(seed, "subset", k))[:limit])
    return [k for k in keys if k in chosen]


def check_split(split: str, where: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"{where}: split must be one of {', '.join(SPLITS)}; got {split!r}")


def resize_frame(frame: np.ndarray, size: int) -> np.ndarray:
    """uint8 (H, W, 3) -> (size, size, 3): centre square crop, then an antialiased downscale."""
    h, w, _ = frame.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    img = Image.fromarray(np.ascontiguousarray(frame[top:top + side, left:left + side]))
    if side != size:
        img = img.reduce(max(1, side // (2 * size))) if side >= 4 * size else img
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(img)


def crop_positions(width: int, height: int, size: int, positions: int) -> list[tuple[int, int]]:
    """Top-left corners (y, x) of `positions` crops (1, 4, 9, ...: an n x n grid) on the sensor.

    Corners are multiples of 16, so every crop starts on the same Bayer phase (RGGB at its
    top-left) and on the JPEG 8x8 / 16x16 MCU grid.
    """
    n = int(round(positions ** 0.5))
    if n * n != positions:
        raise ValueError(f"positions must be a square number (1, 4, 9, ...), got {positions}")
    if size > width or size > height:
        raise ValueError(f"crop size {size} is larger than the {width}x{height} frame; use a smaller size")
    corners = []
    for r in range(n):
        for c in range(n):
            cy = (r + 0.5) * height / n - size / 2
            cx = (c + 0.5) * width / n - size / 2
            y = int(np.clip(round(cy / 16) * 16, 0, (height - size) // 16 * 16))
            x = int(np.clip(round(cx / 16) * 16, 0, (width - size) // 16 * 16))
            corners.append((y, x))
    return corners


def take_crops(frame: np.ndarray, size: int, corners: list[tuple[int, int]]) -> list[np.ndarray]:
    """Native-resolution crops (no resampling) at fixed sensor positions."""
    return [np.ascontiguousarray(frame[y:y + size, x:x + size]) for y, x in corners]


def position_names(corners: list[tuple[int, int]]) -> list[str]:
    return [f"y{y}x{x}" for y, x in corners]
