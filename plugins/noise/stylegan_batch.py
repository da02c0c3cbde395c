"""Many untrained-StyleGAN images of one network in one pass on a device: the GPU path."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .stylegan_synthesis import fused_weight, mapping
from .stylegan_weights import ModConv, Network

_SQRT2 = math.sqrt(2.0)


def _up(x: torch.Tensor, mode: str) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))


def _weights(layer: ModConv, ws: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """(N, oc, ic, k, k): each image's modulated weight, made as in the one-image path."""
    return torch.stack([fused_weight(layer, w) for w in ws]).to(device)


def _conv(x: torch.Tensor, layer: ModConv, ws: list[np.ndarray], noises: list[np.ndarray], upsample: str) -> torch.Tensor:
    if layer.up:
        x = _up(x, upsample)
    n, ic, h, w = x.shape
    weight = _weights(layer, ws, x.device)
    oc, k = weight.shape[1], weight.shape[-1]
    # one grouped convolution: image b's channels see only image b's weights (StyleGAN2's trick)
    x = F.conv2d(x.reshape(1, n * ic, h, w), weight.reshape(n * oc, ic, k, k), padding=k // 2, groups=n)
    x = x.view(n, oc, h, w)
    noise = torch.from_numpy((np.stack(noises) * layer.noise_strength).astype(np.float32)).to(x.device)
    x = x + noise[:, None]
    x = x + torch.from_numpy(layer.bias.astype(np.float32)).to(x.device).view(1, -1, 1, 1)
    return F.leaky_relu(x, 0.2) * _SQRT2


def _to_rgb(x: torch.Tensor, layer: ModConv, ws: list[np.ndarray]) -> torch.Tensor:
    weight = _weights(layer, ws, x.device)[:, :, :, 0, 0]  # (N, 3, ic)
    n, _, h, w = x.shape
    return torch.bmm(weight, x.flatten(2)).view(n, 3, h, w)


def synthesize_batch(net: Network, zs: list[np.ndarray], noises: list[list[np.ndarray]],
                     device: torch.device) -> torch.Tensor:
    """(N, 3, R, R) float32 on `device`: the images of `synthesize` for each (z, noise maps), up to
    float rounding (another summation order: the one-image CPU path is the one whose bytes are pinned)."""
    ws = [mapping(net, z) for z in zs]
    x = torch.from_numpy(net.const)[None].to(device).expand(len(zs), -1, -1, -1)
    x = _conv(x, net.convs[0], ws, [m[0] for m in noises], net.upsample)
    rgb = _to_rgb(x, net.torgbs[0], ws)
    for level, torgb in enumerate(net.torgbs[1:]):
        for j in (1 + 2 * level, 2 + 2 * level):
            x = _conv(x, net.convs[j], ws, [m[j] for m in noises], net.upsample)
        rgb = _up(rgb, net.upsample) + _to_rgb(x, torgb, ws)
    return rgb
