"""Forward pass of one untrained StyleGAN image: per-image latent and noise maps, modulated convs."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .keyed_rng import keyed_rng, tag
from .pink_noise import pink_noise
from .stylegan_weights import W_DIM, ModConv, Network

_IMAGE_TAG = tag("stylegan-image")
_SQRT2 = math.sqrt(2.0)


def _lrelu(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, x, 0.2 * x) * _SQRT2


def _rowdot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    # Multiply-then-sum along a contiguous axis: fixed summation order, no BLAS, no threads.
    return (matrix * vector[None, :]).sum(axis=1)


def mapping(net: Network, z: np.ndarray) -> np.ndarray:
    """z (W_DIM,) -> w (W_DIM,), float64: pixel norm then the MLP with leaky ReLUs."""
    x = z / np.sqrt(np.mean(z * z) + 1e-8)
    for weight, bias in net.mapping:
        x = _lrelu(_rowdot(weight, x) + bias)
    return x


def fused_weight(layer: ModConv, w: np.ndarray) -> torch.Tensor:
    """The conv weight of one image: modulated by its style (and demodulated), float32."""
    style = _rowdot(layer.affine, w) + 1.0
    scale = np.broadcast_to(style[None, :], layer.wsq.shape)
    if layer.demodulate:
        demod = 1.0 / np.sqrt(_rowdot(layer.wsq, style * style) + 1e-8)
        scale = scale * demod[:, None]
    return torch.from_numpy((layer.weight * scale[:, :, None, None]).astype(np.float32))


def _pool_to(noise: np.ndarray, res: int) -> np.ndarray:
    f = noise.shape[0] // res
    return noise.reshape(res, f, res, f).mean(axis=(1, 3)) * f  # keep roughly unit std


def noise_maps(net: Network, seed: int, index: int, alpha_range: tuple[float, float]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The image's own latent z and one pink-noise map per conv layer (shared across layers if oriented)."""
    rng = keyed_rng(_IMAGE_TAG, seed, index, net.resolution)
    z = rng.standard_normal(W_DIM)
    resolutions = [4] + [r for r in (2**k for k in range(3, 11)) if r <= net.resolution for _ in (0, 1)]
    if net.variant == "oriented":
        shared = pink_noise(rng, net.resolution, float(rng.uniform(*alpha_range)))
        return z, [_pool_to(shared, r) for r in resolutions]
    return z, [pink_noise(rng, r, float(rng.uniform(*alpha_range))) for r in resolutions]


def _conv_layer(x: torch.Tensor, layer: ModConv, w: np.ndarray, noise: np.ndarray, upsample: str) -> torch.Tensor:
    if layer.up:
        x = F.interpolate(x, scale_factor=2, mode=upsample, **({"align_corners": False} if upsample == "bilinear" else {}))
    weight = fused_weight(layer, w)
    x = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
    x = x + torch.from_numpy((noise * layer.noise_strength).astype(np.float32))
    x = x + torch.from_numpy(layer.bias.astype(np.float32)).view(1, -1, 1, 1)
    return F.leaky_relu(x, 0.2) * _SQRT2


def _to_rgb(x: torch.Tensor, layer: ModConv, w: np.ndarray) -> torch.Tensor:
    # A 1x1 conv as one matmul: oneDNN is slow for 3 output channels.
    weight = fused_weight(layer, w)[:, :, 0, 0]
    return (weight @ x[0].flatten(1)).view(1, 3, x.shape[2], x.shape[3])


def synthesize(net: Network, z: np.ndarray, noises: list[np.ndarray]) -> torch.Tensor:
    """One image (3, R, R) float32. Batch size 1 on purpose: every call has the same shapes, so the
    conv kernels (whose summation order can change with the batch size) give the same bytes."""
    w = mapping(net, z)
    x = torch.from_numpy(net.const)[None]
    x = _conv_layer(x, net.convs[0], w, noises[0], net.upsample)
    rgb = _to_rgb(x, net.torgbs[0], w)
    for level, torgb in enumerate(net.torgbs[1:]):
        conv0, conv1 = net.convs[1 + 2 * level], net.convs[2 + 2 * level]
        x = _conv_layer(x, conv0, w, noises[1 + 2 * level], net.upsample)
        x = _conv_layer(x, conv1, w, noises[2 + 2 * level], net.upsample)
        up = F.interpolate(rgb, scale_factor=2, mode=net.upsample,
                           **({"align_corners": False} if net.upsample == "bilinear" else {}))
        rgb = up + _to_rgb(x, torgb, w)
    return rgb[0]
