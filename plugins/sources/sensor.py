"""A simple camera sensor model: Bayer RGGB mosaic, PRNU, shot/read noise, demosaic, WB, gamma, JPEG."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from seebench import philox_rng

WIDTH, HEIGHT = 960, 720  # the iPod touch 4 back camera's stills


@dataclass(frozen=True)
class SensorModel:
    """One simulated device. `device` seeds everything fixed about it (its PRNU pattern K).

    The raw signal at a pixel is Poisson((1 + K) * exposure * full_well) + N(0, read_noise),
    quantised to 10 bits; K ~ N(0, prnu_strength^2) is the device's fingerprint.
    """

    device: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    prnu_strength: float = 0.02
    full_well: float = 3000.0  # electrons at saturation (small phone pixels)
    read_noise: float = 4.0  # electrons
    jpeg_quality: int = 88
    raw_gains: tuple[float, float, float] = (0.55, 1.0, 0.75)  # spectral response per channel

    def prnu(self) -> np.ndarray:
        """The device's multiplicative PRNU pattern K (H, W), float32, fixed per device seed."""
        rng = philox_rng(0x5E17, self.device)
        k = rng.normal(0.0, self.prnu_strength, size=(self.height, self.width)).astype(np.float32)
        return k

    def capture(self, radiance: np.ndarray, rng: np.random.Generator, prnu: np.ndarray | None = None,
                white_balance: tuple[float, float, float] | None = None) -> bytes:
        """Linear scene radiance (H, W, 3) in [0, 1] -> JPEG bytes as the camera would write them."""
        h, w, _ = radiance.shape
        if (w, h) != (self.width, self.height):
            raise ValueError(f"sensor {self.width}x{self.height}: scene is {w}x{h}")
        return self.capture_window(radiance, rng, self.prnu() if prnu is None else prnu, white_balance)

    def capture_window(self, radiance: np.ndarray, rng: np.random.Generator, k: np.ndarray,
                       white_balance: tuple[float, float, float] | None = None) -> bytes:
        """The same pipeline on a window of the sensor whose top-left corner is on the Bayer and
        16 px JPEG grid (k: the PRNU of those pixels); away from its borders it matches the frame."""
        mosaic = bayer_mosaic(radiance * np.asarray(self.raw_gains, dtype=np.float32))
        electrons = np.clip(mosaic * (1.0 + k), 0.0, None) * np.float32(self.full_well)
        # shot noise (Poisson, in its Gaussian limit: dozens to thousands of electrons) + read noise
        sigma = np.sqrt(electrons + np.float32(self.read_noise ** 2))
        raw = electrons + sigma * rng.standard_normal(size=electrons.shape, dtype=np.float32)
        raw = np.clip(np.round(raw * np.float32(1023.0 / self.full_well)), 0, 1023) * np.float32(1 / 1023.0)
        rgb = demosaic_bilinear(raw)
        gains = np.asarray(white_balance or [1.0 / g for g in self.raw_gains], dtype=np.float32)
        rgb = np.clip(rgb * gains, 0.0, 1.0)
        rgb = rgb ** np.float32(1.0 / 2.2)
        return encode_jpeg(rgb, self.jpeg_quality)


def bayer_mosaic(rgb: np.ndarray) -> np.ndarray:
    """RGGB: R at (even, even), G at (even, odd) and (odd, even), B at (odd, odd)."""
    h, w, _ = rgb.shape
    out = np.empty((h, w), dtype=np.float32)
    out[0::2, 0::2] = rgb[0::2, 0::2, 0]
    out[0::2, 1::2] = rgb[0::2, 1::2, 1]
    out[1::2, 0::2] = rgb[1::2, 0::2, 1]
    out[1::2, 1::2] = rgb[1::2, 1::2, 2]
    return out


_K_RB = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]], dtype=np.float32)
_K_G = np.array([[0.0, 0.25, 0.0], [0.25, 1.0, 0.25], [0.0, 0.25, 0.0]], dtype=np.float32)


def demosaic_bilinear(raw: np.ndarray) -> np.ndarray:
    """Bilinear demosaicing of an RGGB mosaic (H, W) -> (H, W, 3)."""
    h, w = raw.shape
    planes = np.zeros((3, h, w), dtype=np.float32)
    planes[0, 0::2, 0::2] = raw[0::2, 0::2]
    planes[1, 0::2, 1::2] = raw[0::2, 1::2]
    planes[1, 1::2, 0::2] = raw[1::2, 0::2]
    planes[2, 1::2, 1::2] = raw[1::2, 1::2]
    out = np.empty((h, w, 3), dtype=np.float32)
    for c, kernel in enumerate((_K_RB, _K_G, _K_RB)):
        out[..., c] = _conv3x3(planes[c], kernel)
    return out


def _conv3x3(plane: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """3x3 correlation with mirrored borders, as shifted adds (faster than a generic convolution)."""
    h, w = plane.shape
    pad = np.pad(plane, 1, mode="reflect")
    out = np.zeros((h, w), dtype=np.float32)
    for i in range(3):
        for j in range(3):
            if kernel[i, j]:
                out += np.float32(kernel[i, j]) * pad[i:i + h, j:j + w]
    return out


def encode_jpeg(rgb: np.ndarray, quality: int, exif: bytes | None = None) -> bytes:
    """float RGB (H, W, 3) in [0, 1] -> baseline JPEG bytes with 4:2:0 chroma subsampling."""
    img = Image.fromarray(np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    kwargs = {"exif": exif} if exif else {}
    img.save(buf, "JPEG", quality=quality, subsampling=2, **kwargs)  # subsampling=2 is 4:2:0
    return buf.getvalue()


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG bytes -> uint8 (H, W, 3)."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))
