"""Many untrained-StyleGAN images of one network in one pass on a device: the GPU path."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from seebench_plugins.generators.noise.stylegan_draws import ImageDraw
from seebench_plugins.generators.noise.stylegan_filters import BANKS, conv_up, upsample2d
from seebench_plugins.generators.noise.stylegan_synthesis import SQRT2, bank_weight, block_layers, dense_weight, torgb_weight
from seebench_plugins.generators.noise.stylegan_weights import Network

BANK_WEIGHT = {v: torch.from_numpy(bank.astype(np.float32))[None] for v, bank in BANKS.items()}  # (1, 40, 3, 3)


def _grouped_conv(x: torch.Tensor, weight: torch.Tensor, up: bool) -> torch.Tensor:
    """x (N, ic, H, W), weight (N, oc, ic, 3, 3): image b's channels see only image b's weights
    (one grouped convolution: StyleGAN2's trick)."""
    n, ic, h, w = x.shape
    oc = weight.shape[1]
    flat = weight.reshape(n * oc, ic, 3, 3).contiguous()
    x = x.reshape(1, n * ic, h, w)
    y = conv_up(x, flat, groups=n) if up else F.conv2d(x, flat, padding=1, groups=n)
    return y.view(n, oc, *y.shape[2:])


def _bank_conv(x: torch.Tensor, variant: str, filter_index: list[np.ndarray], up: bool) -> torch.Tensor:
    """Y[b] = sum_i bank[filter_index[b][i]] (*) x[b, i]: channels sharing a filter summed per image
    (one index_add over all images), then one grouped conv over the bank filters."""
    n, ic, h, w = x.shape
    n_bank = len(BANKS[variant])
    rows = torch.from_numpy(np.concatenate([f + n_bank * b for b, f in enumerate(filter_index)])).to(x.device)
    grouped = torch.zeros(n * n_bank, h * w, device=x.device).index_add_(0, rows, x.reshape(n * ic, h * w))
    weight = BANK_WEIGHT[variant].to(x.device).expand(n, -1, -1, -1)[:, None]  # (N, 1, 40, 3, 3)
    return _grouped_conv(grouped.view(n, n_bank, h, w), weight, up)


def _spread(y: torch.Tensor, out_gain: torch.Tensor, noise: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """ReLU(out_gain[b, o] * Y[b] + noise[b] + bias[b, o]): (N, oc, H, W) as one batched K=3 matmul."""
    n, _, h, w = y.shape
    rows = torch.stack([y.reshape(n, -1), noise.reshape(n, -1), torch.ones_like(noise).reshape(n, -1)], dim=1)
    coeff = torch.stack([out_gain, torch.ones_like(out_gain), bias], dim=2)
    return torch.relu_(torch.bmm(coeff, rows)).view(n, -1, h, w)


def _f32(arrays: list[np.ndarray], device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.stack(arrays).astype(np.float32)).to(device)


def synthesize_batch(net: Network, draws: list[ImageDraw], device: torch.device) -> torch.Tensor:
    """(N, 3, R, R) float32 on `device`: the images of `synthesize` for each draw, up to float
    rounding (another summation order: the one-image CPU path is the one whose bytes are pinned)."""
    n = len(draws)
    x = torch.from_numpy(net.const)[None].to(device).expand(n, -1, -1, -1)
    img, gain = None, 1.0
    for k, (conv_ids, w_rgb) in enumerate(block_layers(net)):
        for j in conv_ids:
            layer = net.convs[j]
            if draws[0].layers is None:  # dense (random)
                weight = torch.stack([dense_weight(layer, d.ws[j], gain) for d in draws]).to(device)
                x = torch.relu_(_grouped_conv(x, weight, layer.up))
            else:
                parts = [bank_weight(layer, d.ws[j], net.variant, d.layers[j], gain) for d in draws]
                scales = torch.stack([p[0] for p in parts]).to(device)  # (N, ic)
                out_gain = torch.stack([p[1] for p in parts]).to(device)
                y = _bank_conv(x * scales[:, :, None, None], net.variant, [d.layers[j].filter_index for d in draws], layer.up)
                x = _spread(y, out_gain, _f32([d.layers[j].noise for d in draws], device),
                            _f32([d.layers[j].bias for d in draws], device))
            gain = SQRT2
        torgb = net.torgbs[k]
        rgb_w = torch.stack([torgb_weight(torgb, d.ws[w_rgb], torgb.weight[:, :, 0, 0] if d.torgb is None else d.torgb[k], gain)
                             for d in draws]).to(device)
        y = torch.bmm(rgb_w, x.flatten(2)).view(n, 3, *x.shape[2:])
        img = y if img is None else upsample2d(img) + y
    return img
