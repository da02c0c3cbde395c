"""The fixed pieces of the paper's untrained StyleGANs: wavelet filter banks, FIR resampling, noise pools."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from seebench import keyed_rng, stream_tag as tag

from seebench_plugins.generators.noise.pink_noise import pink_noise

_POOL_TAG = tag("stylegan-noise-pool")
NOISE_POOL = 100  # pink maps drawn per layer and network; each image picks one (as the official layers do)


def _rotated_crop(pattern: np.ndarray, degrees: float) -> np.ndarray:
    """The central 3x3 of an 11x11 pattern rotated by `degrees` (PIL, bilinear), float32 (the signs
    of the near-zero taps after centring depend on float32 rounding, as in the official bank)."""
    image = Image.fromarray(pattern.astype(np.float32), mode="F").rotate(degrees, resample=Image.BILINEAR)
    return np.array(image, dtype=np.float32)[4:7, 4:7]


def _edge() -> np.ndarray:
    a = np.ones((11, 11))
    a[:, 5] = 0
    a[:, 6:] *= -1
    return a  # a vertical step edge


def _line() -> np.ndarray:
    a = np.ones((11, 11))
    a[:, 5] = -1
    return a  # a dark vertical line


def _point_filters() -> list[np.ndarray]:
    centre = np.zeros((3, 3))
    centre[1, 1] = 1
    surround = -np.ones((3, 3))
    surround[1, 1] = 1
    cross = np.ones((3, 3))
    cross[[0, 0, 2, 2], [0, 2, 0, 2]] = 0
    return [centre, surround, cross, np.sign(cross - 0.5)]


def highfreq_bank() -> np.ndarray:
    """(40, 3, 3) sign patterns: 16 edges (every 22.5 deg over 360), 8 lines (every 22.5 deg over
    180) and 4 point filters, the lines and points with both signs (network_randomized.py: get_wavelets)."""
    out = [np.sign(e - e.mean()) for e in (_rotated_crop(_edge(), k * 22.5) for k in range(16))]
    for k in range(8):
        s = np.sign(_rotated_crop(_line(), k * 22.5))
        out += [s, -s]
    for p in _point_filters():
        out += [p, -p]
    return np.stack(out).astype(np.float64)


def sparse_bank() -> np.ndarray:
    """(40, 3, 3): 8 edges and 8 lines (every 22.5 deg over 180, bilinear values, zero mean), the 4
    point filters, then all 20 negated (network_randomized_v3.py: get_wavelets)."""
    edges = [e - e.mean() for e in (_rotated_crop(_edge(), k * 22.5) for k in range(8))]
    lines = [e - e.mean() for e in (_rotated_crop(_line(), k * 22.5) for k in range(8))]
    half = edges + lines + _point_filters()
    return np.stack(half + [-f for f in half]).astype(np.float64)


BANKS = {"highfreq": highfreq_bank(), "sparse": sparse_bank(), "oriented": sparse_bank()}


# -- FIR resampling with the [1, 3, 3, 1] filter (upfirdn2d's, zero padding) ------------------------

def fir4(x: torch.Tensor, pad: tuple[int, int]) -> torch.Tensor:
    """Separable [1, 3, 3, 1] / 4 filter (gain 2 per axis: upsampling by 2) over the last two axes,
    after zero padding (before, after) on each."""
    x = F.pad(x, (pad[0], pad[1], pad[0], pad[1]))
    x = (x[..., :-3] + x[..., 3:]) + 3.0 * (x[..., 1:-2] + x[..., 2:-1])
    x = (x[..., :-3, :] + x[..., 3:, :]) + 3.0 * (x[..., 1:-2, :] + x[..., 2:-1, :])
    return x * (1.0 / 16.0)


def upsample2d(x: torch.Tensor) -> torch.Tensor:
    """(..., H, W) -> (..., 2H, 2W): zeros between samples, then the filter (upfirdn2d.upsample2d)."""
    *lead, h, w = x.shape
    z = x.new_zeros((*lead, 2 * h, 2 * w))
    z[..., ::2, ::2] = x
    return fir4(z, (2, 1))


def conv_up(x: torch.Tensor, weight: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """A 3x3 convolution with upsampling by 2 as conv2d_resample does it: transposed convolution
    with stride 2, then the filter. weight (oc, ic // groups, 3, 3)."""
    oc, icg = weight.shape[:2]
    if groups == 1:
        w = weight.transpose(0, 1)
    else:
        w = weight.reshape(groups, oc // groups, icg, 3, 3).transpose(1, 2).reshape(groups * icg, oc // groups, 3, 3)
    return fir4(F.conv_transpose2d(x, w, stride=2, groups=groups), (1, 1))


# -- noise -------------------------------------------------------------------------------------------

def laplacian_envelope(rng: np.random.Generator, size: int) -> np.ndarray:
    """Laplace(0, 1) samples on a 4x4 grid, Lanczos-resized to size x size (v3: noise_map_envelope)."""
    coarse = Image.fromarray(rng.laplace(size=(4, 4)).astype(np.float32), mode="F")
    return np.asarray(coarse.resize((size, size), Image.LANCZOS), dtype=np.float64)


def envelope_pink(rng: np.random.Generator, size: int) -> np.ndarray:
    """Pink noise (alpha ~ U(0.5, 1.5)) times a Laplacian envelope, unit std (v3: pink_noise)."""
    x = pink_noise(rng, size, float(rng.uniform(0.5, 1.5))) * laplacian_envelope(rng, size)
    std = x.std()
    return x / std if std > 0 else x


def pooled_noise(variant: str, seed: int, block: int, layer: int, resolution: int, k: int) -> np.ndarray:
    """Map k of the NOISE_POOL maps of one layer of network (seed, block): pink noise, alpha ~
    U(0.5, 1.5), unit std; v3 (sparse) maps carry the Laplacian envelope. Drawn from its own key,
    so a map exists only when an image picks it."""
    rng = keyed_rng(_POOL_TAG, seed, block, layer, resolution, k, 0 if variant == "highfreq" else 1)
    if variant == "highfreq":
        return pink_noise(rng, resolution, float(rng.uniform(0.5, 1.5)))
    return envelope_pink(rng, resolution)


def area_pool(noise: np.ndarray, res: int) -> np.ndarray:
    """Mean over (size / res)^2 blocks: F.interpolate(mode='area') to res x res, without rescaling."""
    f = noise.shape[0] // res
    return noise.reshape(res, f, res, f).mean(axis=(1, 3))
