"""Reference untrained StyleGANs: the paper's four networks, plain and slow, layer by layer as the official code runs them.

Official files (mbaradad/learning_with_noise, generate_datasets/stylegan/):
  generate_dataset.py                 get_network, generate_images, tensor_to_uint8_norm, main (a new network every 400 images)
  stylegan2-ada-pytorch/training/networks.py                 stylegan-random  (--network_type original)
  stylegan2-ada-pytorch/training/network_randomized.py       stylegan-highfreq (--network_type random)
  stylegan2-ada-pytorch/training/network_randomized_v3.py    stylegan-sparse   (--network_type sparse_new --bias_range 0.2)
                                                             stylegan-oriented (the same + --same_noise_map)
  stylegan2-ada-pytorch/torch_utils/ops/conv2d_resample.py, upfirdn2d.py (_upfirdn2d_ref)
Every weight is materialised as the official layers hold it (dense (oc, ic, 3, 3) tensors, also for
the filter-bank variants) and the modulated convolution is computed as modulated_conv2d does.
Deliberate differences, shared with the fast generator: channels min(width * 64 / res, width),
at least 16 (official width 512; `width` here defaults to 32 so that dense convs stay cheap), a
network's 100 noise maps per layer are drawn when an image picks one, and the image is rendered
at the next power of two >= size (the official script renders 256 px).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

W_DIM = 512
REFERENCE_WIDTH = 32
VARIANTS = ("random", "highfreq", "sparse", "oriented")


# -- get_wavelets (network_randomized.py: 40 sign patterns; network_randomized_v3.py: 20 + negatives) --
def _rotate_crop(a: np.ndarray, deg: float) -> np.ndarray:
    return np.array(Image.fromarray(a.astype(np.float32), mode="F").rotate(deg, resample=Image.BILINEAR))[4:7, 4:7]


def _sparse_wavelets() -> list[np.ndarray]:
    z1 = np.zeros((3, 3)); z1[1, 1] = 1
    z2 = -np.ones((3, 3)); z2[1, 1] = 1
    z3 = np.ones((3, 3)); z3[0, 0] = z3[0, 2] = z3[2, 0] = z3[2, 2] = 0
    z4 = np.sign(z3 - 0.5)
    return [z1, z2, z3, z4]


def get_wavelets(variant: str) -> np.ndarray:
    edge = np.ones((11, 11)); edge[:, 5] = 0; edge[:, 6:] *= -1
    line = np.ones((11, 11)); line[:, 5] = -1
    out = []
    if variant == "highfreq":
        for i in range(16):
            e = _rotate_crop(edge, i * 360.0 / 16)
            e -= e.mean()
            out.append(np.sign(e))
        for i in range(8):
            s = np.sign(_rotate_crop(line, i * 180.0 / 8))
            out += [s, -s]
        for z in _sparse_wavelets():
            out += [z, -z]
        return np.array(out, dtype=np.float64)
    for pattern in (edge, line):
        for i in range(8):
            e = _rotate_crop(pattern, i * 180.0 / 8)
            e -= e.mean()
            out.append(e)
    out += _sparse_wavelets()
    out += [-w for w in out]
    return np.array(out, dtype=np.float64)


# -- pink_noise / noise_map_envelope (network_randomized*.py) -------------------------------------
def pink_noise(rng: np.random.Generator, sz: int, envelope: bool) -> np.ndarray:
    alpha = rng.random() + 0.5
    py, px = np.meshgrid(np.linspace(-1, 1, sz + 1), np.linspace(-1, 1, sz + 1))
    r = np.sqrt(px**2 + py**2)
    r[r == 0] = 1e-5
    mag = 1.0 / r**alpha
    mag[sz // 2, sz // 2] = 0
    mag = mag + mag[::-1, ::-1]
    phase = rng.random(mag.shape) * 2 * np.pi
    phase = phase - phase[::-1, ::-1]
    f = np.real(np.fft.ifft2(np.fft.ifftshift(mag * np.exp(1j * phase))))[:-1, :-1]
    f -= f.mean()
    if envelope:  # v3: times Laplace(4x4) resized with Lanczos
        env = Image.fromarray(rng.laplace(size=(4, 4)).astype(np.float32), mode="F").resize((sz, sz), Image.LANCZOS)
        f = f * np.array(env)
    return f / f.std()


# -- upfirdn2d (_upfirdn2d_ref) and conv2d_resample with the [1, 3, 3, 1] filter --------------------
FILTER = torch.tensor([1.0, 3.0, 3.0, 1.0])
FILTER = torch.outer(FILTER, FILTER) / torch.outer(FILTER, FILTER).sum()  # setup_filter: 2D, sum 1


def upfirdn2d(x: torch.Tensor, up: int, pad: tuple[int, int], gain: float) -> torch.Tensor:
    b, c, h, w = x.shape
    if up > 1:  # zeros between the samples
        x = x.reshape(b, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1]).reshape(b, c, h * up, w * up)
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    f = (FILTER * gain).flip([0, 1])[None, None].repeat(c, 1, 1, 1)
    return F.conv2d(x, f, groups=c)


def modulated_conv2d(x, weight, styles, noise, up, demodulate=True):
    w = weight[None] * styles.reshape(1, 1, -1, 1, 1)  # batch of one
    if demodulate:
        dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        w = w * dcoefs.reshape(1, -1, 1, 1, 1)
    w = w[0]
    if up:  # conv2d_resample fast path: transposed conv, stride 2, then the filter (gain 4), pad 1
        x = F.conv_transpose2d(x, w.transpose(0, 1), stride=2)
        x = upfirdn2d(x, 1, (1, 1), 4.0)
    else:
        x = F.conv2d(x, w, padding=w.shape[-1] // 2)
    if noise is not None:
        x = x + noise
    return x


# -- the network: Generator(z_dim=512, w_dim=512), parameters at torch's default init --------------
def channels(res: int, width: int) -> int:
    return max(min(16, width), min(width, width * 64 // res))


@functools.lru_cache(maxsize=8)
def network(variant: str, seed: int, block: int, resolution: int, width: int) -> dict:
    rng = np.random.default_rng([VARIANTS.index(variant), seed, block, resolution, width, 77])
    t = lambda *shape: torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    layers, torgbs, c_prev = [], [], 0
    for res in [2**k for k in range(2, int(math.log2(resolution)) + 1)]:
        c = channels(res, width)
        for ic, up in ([(c_prev, True)] if res > 4 else []) + [(c, False)]:
            layers.append({"res": res, "up": up, "affine": t(ic, W_DIM), "weight": t(c, ic, 3, 3)})
        torgbs.append({"affine": t(c, W_DIM), "weight": t(3, c, 1, 1)})
        c_prev = c
    return {"const": t(channels(4, width), 4, 4), "layers": layers, "torgbs": torgbs,
            "wavelets": None if variant == "random" else torch.from_numpy(get_wavelets(variant).astype(np.float32))}


def noise_map(variant: str, seed: int, block: int, layer: int, res: int, k: int) -> torch.Tensor:
    """self.pink_noise_maps[k] of one layer (its 100 maps drawn at init; here when picked)."""
    rng = np.random.default_rng([VARIANTS.index(variant), seed, block, layer, res, k, 78])
    return torch.from_numpy(pink_noise(rng, res, envelope=variant != "highfreq").astype(np.float32))


def affine(p: dict, w: torch.Tensor) -> torch.Tensor:  # FullyConnectedLayer(bias_init=1)
    return w @ (p["affine"] / math.sqrt(W_DIM)).T + 1.0


def synthesis_layer(variant, net, key, j, x, w, rng, fixed_noise):
    p = net["layers"][j]
    styles = affine(p, w)
    chout, chin = p["weight"].shape[:2]
    noise = None
    if variant != "random":  # 'pink_random' (networks.py: noise_strength is 0 at init, so no noise)
        strength = rng.random() * 0.3
        if fixed_noise is not None:
            noise = F.interpolate(fixed_noise[None, None], (p["res"], p["res"]), mode="area")[0, 0] * strength
        else:
            noise = noise_map(variant, *key, j, p["res"], int(rng.integers(100))) * strength
    if variant == "random":
        weight = p["weight"]
    elif variant == "highfreq":  # one wavelet per input channel, randn per output channel
        inds = rng.integers(len(net["wavelets"]), size=chin)
        weight = net["wavelets"][inds][None].expand(chout, -1, -1, -1) * torch.from_numpy(
            rng.standard_normal((chout, 1, 1, 1)).astype(np.float32))
    else:  # v3, random_configuration ('chin', 'chout'), randomize_filters
        n_sub = int(rng.integers(5, len(net["wavelets"]) + 1))
        sub = net["wavelets"][rng.permutation(len(net["wavelets"]))[:n_sub]]
        weight = sub[rng.integers(n_sub, size=chin)][None].expand(chout, -1, -1, -1) * torch.from_numpy(
            rng.standard_normal((chout, 1, 1, 1)).astype(np.float32))
    x = modulated_conv2d(x, weight, styles, noise, p["up"])
    bias = torch.zeros(chout)
    if variant in ("sparse", "oriented"):  # bias_range 0.2: self.bias.uniform_() * 2 - 1, times 0.2
        bias = torch.from_numpy(((rng.random(chout) * 2 - 1) * 0.2).astype(np.float32))
    return torch.relu(x + bias.view(1, -1, 1, 1)) * math.sqrt(2)  # bias_act, 'relu', def_gain sqrt(2)


def torgb_layer(variant, net, k, x, w, rng):
    p = net["torgbs"][k]
    styles = affine(p, w) / math.sqrt(p["weight"].shape[1])  # weight_gain
    weight = p["weight"] if variant == "random" else torch.from_numpy(
        rng.standard_normal(p["weight"].shape).astype(np.float32))  # randn_like every forward
    return modulated_conv2d(x, weight, styles, None, False, demodulate=False)


def tensor_to_uint8_norm(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    meanstd = [(rng.standard_normal() * 0.145 + 0.483, rng.standard_normal() * 0.063 + 0.219),
               (rng.standard_normal() * 0.142 + 0.455, rng.standard_normal() * 0.062 + 0.213),
               (rng.standard_normal() * 0.161 + 0.401, rng.standard_normal() * 0.069 + 0.213)]
    x = x.astype(np.float64).copy()
    for i in range(3):
        x[i] = (x[i] - x[i].mean()) / x[i].std()
        x[i] = x[i] * meanstd[i][1] + meanstd[i][0]
    return np.clip(x, 0, 1)


def render(index: int, seed: int, size: int, variant: str = "random", width: int = REFERENCE_WIDTH,
           reinit_every: int = 400) -> np.ndarray:
    """uint8 (3, size, size): image `index` of `seed` (network `index // reinit_every`)."""
    resolution = max(8, 2 ** math.ceil(math.log2(size)))
    key = (seed, index // reinit_every)
    net = network(variant, *key, resolution, width)
    rng = np.random.default_rng([VARIANTS.index(variant), seed, index, 79])
    num_ws = len(net["layers"]) + 1
    ws = F.leaky_relu(torch.from_numpy(rng.standard_normal((num_ws, W_DIM)).astype(np.float32)), 0.2)  # R(randn)
    fixed_noise = None
    if variant == "oriented":  # same_noise_maps: one pink_noise((512, 512)) per forward
        fixed_noise = torch.from_numpy(pink_noise(rng, max(512, resolution), envelope=True).astype(np.float32))
    with torch.no_grad():
        x, img, j = net["const"][None], None, 0
        for k in range(len(net["torgbs"])):  # SynthesisBlock k: conv0 (up, not at 4 px), conv1, toRGB
            for _ in range(1 if k == 0 else 2):
                x = synthesis_layer(variant, net, key, j, x, ws[j][None], rng, fixed_noise)
                j += 1
            y = torgb_layer(variant, net, k, x, ws[j][None], rng)  # shares w with the next conv0
            img = y if img is None else upfirdn2d(img, 2, (2, 1), 4.0) + y
    x = tensor_to_uint8_norm(img[0].numpy(), rng)
    if resolution != size:
        x = F.interpolate(torch.from_numpy(x)[None], size=(size, size), mode="bilinear", antialias=True,
                          align_corners=False)[0].numpy()
    return (x * 255).astype(np.uint8)


REFERENCES = {f"stylegan-{v}": functools.partial(render, variant=v) for v in VARIANTS}
