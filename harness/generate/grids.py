"""Image grids for `seebench preview` and `seebench gallery`, and atomic PNG writes."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from seebench.primitives.atomic import atomic_write_bytes
from seebench.api.images import check_uint8_batch, to_rgb

BACKGROUND = (255, 255, 255)


def to_hwc(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, C, H, W) with 1 or 3 channels -> uint8 (N, H, W, 3) numpy."""
    return to_rgb(images).permute(0, 2, 3, 1).contiguous().numpy()


def image_grid(images: torch.Tensor, ncol: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile a batch into one (H, W, 3) uint8 picture, `ncol` per row (square-ish by default)."""
    images = check_uint8_batch(images, "image_grid")
    n = len(images)
    ncol = ncol or max(1, int(np.ceil(np.sqrt(n))))
    nrow = max(1, int(np.ceil(n / ncol)))
    h, w = images.shape[-2:]
    out = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, 3), BACKGROUND, dtype=np.uint8)
    for k, img in enumerate(to_hwc(images)):
        r, c = divmod(k, ncol)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        out[y:y + h, x:x + w] = img
    return out


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def labelled_rows(rows: Sequence[tuple[str, torch.Tensor]], pad: int = 2, label_width: int | None = None) -> np.ndarray:
    """One row of images per (label, batch), the label written on the left, like the paper's figure."""
    if not rows:
        raise ValueError("labelled_rows: nothing to draw")
    strips = [image_grid(images, ncol=len(images), pad=pad) for _, images in rows]
    h = max(s.shape[0] for s in strips)
    font = _font(max(10, min(18, h // 5)))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    widths = [probe.textbbox((0, 0), label, font=font)[2] for label, _ in rows]
    lw = label_width or (max(widths) + 12)
    total_w = lw + max(s.shape[1] for s in strips)
    canvas = Image.new("RGB", (total_w, h * len(rows)), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for k, ((label, _), strip) in enumerate(zip(rows, strips)):
        canvas.paste(Image.fromarray(strip), (lw, k * h))
        box = draw.textbbox((0, 0), label, font=font)
        draw.text((lw - 6 - (box[2] - box[0]), k * h + (h - (box[3] - box[1])) // 2 - box[1]),
                  label, fill=(0, 0, 0), font=font)
    return np.asarray(canvas)


def png_bytes(image: np.ndarray, compress_level: int = 4) -> bytes:
    """PNG encoding of an (H, W, 3) or (H, W) uint8 array; the same bytes for the same pixels."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write to a uniquely named temporary file beside `path`, then rename: a reader never sees a torn file
    (harness/primitives/atomic.py; no fsync: images a re-run can rewrite)."""
    atomic_write_bytes(path, data, fsync=False)


def save_png(image: np.ndarray, path: str | os.PathLike) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, png_bytes(image, compress_level=6))
