"""Forward pass of one untrained StyleGAN image on the CPU: modulated, demodulated convs, ReLU, skip toRGBs.

stylegan2-ada-pytorch's SynthesisNetwork with activation='relu' (get_network's synthesis_kwargs):
per layer, styles = affine(w) (+1 bias), weights modulated by the styles and demodulated, conv
(upsampling ones: transposed conv + [1,3,3,1] filter), noise added, bias, ReLU times sqrt(2); per
block a toRGB (styles / sqrt(ic), no demodulation) added to the upsampled image so far.

Filter-bank variants (highfreq, sparse, oriented) have weight[o, i] = gain[o] * filter[i]: after
demodulation every output channel is +-1 times the same map Y = sum_i style[i] * filter[i] * x[i]
(before its own noise and bias), so each layer computes Y once (the channels sharing a bank filter
summed, then one conv over the 40 filters) and spreads it over its channels: the official widths
cost little.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from seebench_plugins.generators.noise.stylegan_draws import ImageDraw, LayerDraw
from seebench_plugins.generators.noise.stylegan_filters import BANKS, conv_up, upsample2d
from seebench_plugins.generators.noise.stylegan_weights import Layer, Network, block_resolutions

SQRT2 = math.sqrt(2.0)
BANK_ENERGY = {v: (bank**2).sum(axis=(1, 2)) for v, bank in BANKS.items()}  # ||filter||^2 per bank filter
BANK_WEIGHT = {v: torch.from_numpy(bank.astype(np.float32))[None] for v, bank in BANKS.items()}  # (1, 40, 3, 3)


def rowdot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector, float64, multiply-then-sum along a contiguous axis: fixed summation order,
    no BLAS, no threads (the bytes do not depend on the thread count)."""
    return (matrix * vector[None, :]).sum(axis=1)


def styles(layer: Layer, w: np.ndarray) -> np.ndarray:
    """affine(w): FullyConnectedLayer with bias_init=1. float32 matrix-vector product (BLAS gemv:
    each row's dot product is summed by one thread, so the bytes do not depend on the threads)."""
    return (layer.affine @ w.astype(np.float32)).astype(np.float64) + 1.0


def dense_weight(layer: Layer, w: np.ndarray, gain: float) -> torch.Tensor:
    """Modulated, demodulated conv weight (oc, ic, 3, 3) float32 of the dense variant, times the
    previous layer's activation gain (folded here instead of scaling the activations)."""
    s = styles(layer, w)
    demod = 1.0 / np.sqrt(rowdot(layer.wsq, s * s) + 1e-8)
    return torch.from_numpy((layer.weight * (s[None, :, None, None] * demod[:, None, None, None] * gain)).astype(np.float32))


def bank_weight(layer: Layer, w: np.ndarray, variant: str, d: LayerDraw, gain: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(ic,) float32 channel scales of the shared map Y (style times the input gain) and the (oc,)
    float32 demodulated output gains: gain[o] / sqrt(gain[o]^2 * sum_i,k (style[i] filter[i])^2 + 1e-8)."""
    s = styles(layer, w)
    energy = float((s * s * BANK_ENERGY[variant][d.filter_index]).sum())
    out_gain = d.gains / np.sqrt(d.gains * d.gains * energy + 1e-8)
    return torch.from_numpy((s * gain).astype(np.float32)), torch.from_numpy(out_gain.astype(np.float32))


def group_channels(x: torch.Tensor, signed_index: torch.Tensor, n_rows: int) -> torch.Tensor:
    """(n_rows, H*W): the channels of x (1, C, H, W) summed per (bank filter, sign) row (a channel
    whose index is n_rows, a zero scale's, is summed into a dropped row)."""
    return _drop_zero_row(torch.zeros(n_rows + 1, x.shape[2] * x.shape[3]), signed_index, x[0].reshape(x.shape[1], -1))


def _drop_zero_row(rows: torch.Tensor, signed_index: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """rows (n_rows + 1, ...) with x's channels added per signed_index, without the last row."""
    return rows.index_add_(0, signed_index, x)[:-1]


def signed_rows(filter_index: np.ndarray, scales: torch.Tensor, n_rows: int) -> torch.Tensor:
    """Each input channel's (bank filter, sign of its scale) row; n_rows (a dropped row) for a scale
    of exactly 0, which the folding cannot divide out again (a style of exactly -1 in float32)."""
    s = scales.numpy()
    return torch.from_numpy(np.where(s == 0, n_rows, filter_index + n_rows // 2 * (s < 0)))


def safe_fold(scales: torch.Tensor) -> torch.Tensor:
    """|scale| to fold into the activations, 1 where it is 0 (that channel goes to the dropped row)."""
    fold = scales.abs()
    return torch.where(fold == 0, torch.ones_like(fold), fold)


def bank_conv(x: torch.Tensor, layer: Layer, variant: str, signed_index: torch.Tensor) -> torch.Tensor:
    """Y = sum_i +-bank[filter_index[i]] (*) x[i], (1, 1, H', W'), with x already scaled by |scale|:
    the channels that share a filter and a sign are summed first, then one conv over the 40 bank
    filters and their negatives."""
    h, w = x.shape[2:]
    return filter_rows(group_channels(x, signed_index, 2 * len(BANKS[variant])), h, layer, variant)


def filter_rows(grouped: torch.Tensor, res: int, layer: Layer, variant: str) -> torch.Tensor:
    """Y (1, 1, H', W') from the (filter, sign) rows: positive rows minus negative rows, then one
    conv over the bank."""
    n = grouped.shape[0] // 2
    return conv((grouped[:n] - grouped[n:]).view(1, n, res, res), layer, BANK_WEIGHT[variant])


def torgb_weight(layer: Layer, w: np.ndarray, weight: np.ndarray, gain: float) -> torch.Tensor:
    """(3, ic) float32: toRGB weight times styles / sqrt(ic) (weight_gain), times the input gain."""
    s = styles(layer, w) / math.sqrt(layer.ic)
    return torch.from_numpy((weight * s[None, :] * gain).astype(np.float32))


def conv(x: torch.Tensor, layer: Layer, weight: torch.Tensor) -> torch.Tensor:
    return conv_up(x, weight) if layer.up else F.conv2d(x, weight, padding=1)


TILE_ELEMENTS = 2**17  # channels x pixels per tile of `spread`: 512 KB of float32, stays in cache


def spread(y: torch.Tensor, out_gain: torch.Tensor, noise: np.ndarray, bias: np.ndarray, fold: torch.Tensor,
           signed_next: torch.Tensor | None, n_rows: int, readout: torch.Tensor | None
           ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The activations x[o] = fold[o] * ReLU(out_gain[o] * Y + noise + bias[o]) of every channel o
    (fold >= 0: the next layer's |scale|), never whole: tile by tile they are summed into the next
    layer's (filter, sign) rows (n_rows, H*W) and read out by `readout` (r, oc) (the toRGB), so
    only those small maps reach memory. Returns (rows or None, readout @ x or None)."""
    hw = y.numel()
    rows = torch.stack([y.reshape(-1), torch.from_numpy(noise.astype(np.float32)).reshape(-1), torch.ones(hw)])
    coeff = torch.stack([out_gain, torch.ones_like(out_gain), torch.from_numpy(bias.astype(np.float32))], dim=1)
    coeff = coeff * fold[:, None]
    grouped = None if signed_next is None else torch.empty(n_rows, hw)
    read = None if readout is None else torch.empty(readout.shape[0], hw)
    step = max(64, TILE_ELEMENTS // len(out_gain))
    for t0 in range(0, hw, step):
        x = torch.relu_(coeff @ rows[:, t0:t0 + step])
        if grouped is not None:
            grouped[:, t0:t0 + step] = _drop_zero_row(torch.zeros(n_rows + 1, x.shape[1]), signed_next, x)
        if read is not None:
            read[:, t0:t0 + step] = readout @ x
    return grouped, read


def spread_two_maps(y: torch.Tensor, out_gain: torch.Tensor, noise: np.ndarray, fold: torch.Tensor,
                    signed_next: torch.Tensor | None, n_rows: int, readout: torch.Tensor | None
                    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """`spread` without biases (highfreq): a channel whose gain has the common magnitude (all but
    those whose tiny gain[o] the demodulation's 1e-8 shrinks) is ReLU(+a Y + noise) or ReLU(-a Y +
    noise), so the rows and the readout are combinations of those two maps; the others are exact."""
    mag = out_gain.abs()
    a = mag.max()
    regular = mag == a
    noise_t = torch.from_numpy(noise.astype(np.float32)).reshape(-1)
    yf = y.reshape(-1)
    maps = torch.stack([torch.relu_(a * yf + noise_t), torch.relu_(-a * yf + noise_t)])  # (2, H*W)
    coeff = torch.stack([fold * (regular & (out_gain > 0)), fold * (regular & (out_gain < 0))], dim=1)  # (oc, 2)
    odd = torch.nonzero(~regular).flatten()
    x_odd = torch.relu_(out_gain[odd, None] * yf + noise_t) * fold[odd, None]  # (k, H*W), k small
    grouped = read = None
    if signed_next is not None:
        rows = torch.zeros(n_rows + 1, 2).index_add_(0, signed_next, coeff) @ maps
        grouped = _drop_zero_row(rows, signed_next[odd], x_odd)
    if readout is not None:
        read = (readout @ coeff) @ maps + readout[:, odd] @ x_odd
    return grouped, read


def block_layers(net: Network) -> list[tuple[list[int], int]]:
    """Per block: the indices of its conv layers and of its toRGB's w (2k + 1)."""
    return [([0] if k == 0 else [2 * k - 1, 2 * k], 2 * k + 1) for k in range(len(block_resolutions(net.resolution)))]


def synthesize(net: Network, draw: ImageDraw) -> torch.Tensor:
    """One image (3, R, R) float32, before the colour normalisation. Batch size 1 on purpose: every
    call has the same shapes, so the conv kernels (whose summation order can change with the batch
    size) give the same bytes."""
    if draw.layers is not None:
        return _synthesize_bank(net, draw)
    x = torch.from_numpy(net.const)[None]
    img, gain = None, 1.0
    for k, (conv_ids, w_rgb) in enumerate(block_layers(net)):
        for j in conv_ids:  # dense (random): no noise (strength 0), bias 0
            layer = net.convs[j]
            x = torch.relu_(conv(x, layer, dense_weight(layer, draw.ws[j], gain)))
            gain = SQRT2
        torgb = net.torgbs[k]
        y = (torgb_weight(torgb, draw.ws[w_rgb], torgb.weight[:, :, 0, 0], gain) @ x[0].flatten(1)).view(1, 3, *x.shape[2:])
        img = y if img is None else upsample2d(img) + y
    return img[0]


def _synthesize_bank(net: Network, draw: ImageDraw) -> torch.Tensor:
    """The filter-bank variants: each conv's input arrives scaled by that conv's |scale| (folded
    into the previous spread) and summed per (bank filter, sign of the scale)."""
    n_rows = 2 * len(BANKS[net.variant])
    parts = [bank_weight(layer, draw.ws[j], net.variant, draw.layers[j], 1.0 if j == 0 else SQRT2)
             for j, layer in enumerate(net.convs)]
    signed = [signed_rows(d.filter_index, scales, n_rows) for d, (scales, _) in zip(draw.layers, parts)]
    x = torch.from_numpy(net.const)[None] * parts[0][0].abs().view(1, -1, 1, 1)
    grouped, res = group_channels(x, signed[0], n_rows), 4
    img = None
    for k, (conv_ids, w_rgb) in enumerate(block_layers(net)):
        for j in conv_ids:
            layer, d = net.convs[j], draw.layers[j]
            y = filter_rows(grouped, res, layer, net.variant)
            res = y.shape[-1]
            last = j + 1 == len(parts)
            fold = torch.ones(layer.oc) if last else safe_fold(parts[j + 1][0])
            readout = None
            if j == conv_ids[-1]:  # the block's toRGB reads this layer (its 1 / fold undoes the folding)
                readout = torgb_weight(net.torgbs[k], draw.ws[w_rgb], draw.torgb[k] / fold.double().numpy()[None, :], SQRT2)
            args = (None if last else signed[j + 1], n_rows, readout)
            if net.variant == "highfreq":  # no biases
                grouped, rgb = spread_two_maps(y, parts[j][1], d.noise, fold, *args)
            else:
                grouped, rgb = spread(y, parts[j][1], d.noise, d.bias, fold, *args)
        rgb = rgb.view(1, 3, res, res)
        img = rgb if img is None else upsample2d(img) + rgb
    return img[0]
