"""Reference for featvis-random / featvis-dead-leaves: the official render_vis loop for one image, plain and slow.

Official: generate_datasets/feature_visualizations/generate_dataset.py (generate_sorted_k_of_n, generate_n:
render_vis(encoder, ["avgpool:<units>"], thresholds=(128,), pool_mode="mean", fixed_image_size=256,
fft=True)), vis/grad_ascent/lucent/render.py (render_vis: lucent's param.image, Adam lr 5e-2,
lucent's transform.standard_transforms + normalize + Upsample), vis/grad_ascent/lucent/objectives.py
(channel: the mask objective), lucent.optvis.param (fft_image, to_valid_rgb) and utils_generation.py
(ThreadeImageWriter -> cv2_imwrite(normalize=True)). Written from them, sharing nothing with
plugins/generators/noise/featvis*.py: torchvision's ResNet-50 (not timm's, BatchNorm not folded), one image per
Adam run, kornia-style affine warps through an explicit sampling grid.

`render(index, seed, size, opt_size=256, steps=128, lr=0.05)`: the official settings by default (a few
CPU-minutes an image: torchvision's ResNet-50 at batch 1); the fidelity test runs the same code at a
small opt_size and few steps.
featvis-dead-leaves is the same loop on the network MoCo v2 pretrained on dead leaves; with no such
network at test time both names render with a random-init ResNet-50 (as benchmarks/generators.py's
stand-in does).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image

EMBEDDING_SIZE = 2048  # generate_dataset.py
OFFICIAL_BATCH = 64  # generate_dataset.py --batch-size (the objective's mask_sum counts the batch)


def units_of(index: int, width: int = EMBEDDING_SIZE) -> list[int]:
    """generate_sorted_k_of_n: [0] .. [width-1], then [0, 1], [0, 2], ..., [1, 2], ... in this order."""
    if index < width:
        return [index]
    k = index - width
    for i in range(width):
        for j in range(i + 1, width):
            if k == 0:
                return [i, j]
            k -= 1
    raise ValueError(f"featvis reference: index {index} is past every pair of {width} units")


@functools.lru_cache(maxsize=2)
def network(seed: int) -> torch.nn.Module:
    """setup_generation_stuff with --random-init: torchvision's resnet50(), default init, eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = torchvision.models.resnet50(weights=None)
    return model.eval().requires_grad_(False)


# -- lucent.optvis.param.image(256, batch=1, fft=True, sd=0.01, decorrelate=True) ----------------
COLOR_CORRELATION_SVD_SQRT = np.asarray([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], "float32")
COLOR_NORMALIZED = COLOR_CORRELATION_SVD_SQRT / np.max(np.linalg.norm(COLOR_CORRELATION_SVD_SQRT, axis=0))


def rfft2d_freqs(h: int, w: int) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[: w // 2 + 2] if w % 2 == 1 else np.fft.fftfreq(w)[: w // 2 + 1]
    return np.sqrt(fx * fx + fy * fy)


def fft_image_param(size: int, gen: torch.Generator, sd: float = 0.01):
    """fft_image: the spectrum (1, 3, h, w//2+1, 2) ~ N(0, sd), scaled by 1/max(f, 1/size), irfft
    (ortho) / 4 (lucent's 'magic'), then to_valid_rgb: decorrelated colour mixed to RGB, sigmoid."""
    freqs = rfft2d_freqs(size, size)
    spectrum = (torch.randn((1, 3) + freqs.shape + (2,), generator=gen) * sd).requires_grad_(True)
    scale = torch.tensor(1.0 / np.maximum(freqs, 1.0 / size)).float()[None, None, ..., None]

    def image_f() -> torch.Tensor:
        image = torch.fft.irfftn(torch.view_as_complex(scale * spectrum), s=(size, size), norm="ortho") / 4.0
        image = image.permute(0, 2, 3, 1) @ torch.tensor(COLOR_NORMALIZED.T)  # _linear_decorrelate_color
        return torch.sigmoid(image.permute(0, 3, 1, 2))

    return spectrum, image_f


# -- lucent.optvis.transform.standard_transforms (kornia warps written out) ------------------
def warp_affine(image: torch.Tensor, matrix: np.ndarray) -> torch.Tensor:
    """kornia.warp_affine(image, M, dsize=(h, w)), bilinear, zeros outside, align_corners=True:
    output pixel p takes the input at M^-1 p (pixel coordinates)."""
    _, _, h, w = image.shape
    inverse = np.linalg.inv(np.vstack([matrix, [0.0, 0.0, 1.0]]))
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    src = inverse @ np.stack([xs.ravel(), ys.ravel(), np.ones(h * w)])
    grid = np.stack([2 * src[0] / (w - 1) - 1, 2 * src[1] / (h - 1) - 1], axis=-1).reshape(1, h, w, 2)
    return F.grid_sample(image, torch.tensor(grid, dtype=image.dtype), mode="bilinear", padding_mode="zeros",
                         align_corners=True)


def jitter(image: torch.Tensor, d: int, rng: np.random.Generator) -> torch.Tensor:
    """jitter(d): kornia translate by (dx, dy) = np.random.choice(d) each (0 .. d-1 pixels)."""
    dx, dy = rng.choice(d), rng.choice(d)
    return warp_affine(image, np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]))


def random_scale(image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """random_scale([1 + (i - 5) / 50 for i in range(11)]): Upsample to ceil(scale * side), then
    F.pad by ceil((side - new) / 2) when it shrank."""
    scale = rng.choice([1 + (i - 5) / 50.0 for i in range(11)])
    side = image.shape[-1]
    new = int(np.ceil(scale * side))
    border = max(0, int(np.ceil((side - new) / 2)))
    return F.pad(F.interpolate(image, size=(new, new), mode="bilinear", align_corners=True), [border, border] * 2)


def random_rotate(image: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """random_rotate(list(range(-10, 11)) + 5 * [0]) degrees: kornia get_rotation_matrix2d about
    the centre ((w-1)/2, (h-1)/2), scale 1 (cv2.getRotationMatrix2D's matrix), then warp_affine."""
    angle = np.deg2rad(rng.choice(list(range(-10, 11)) + 5 * [0]))
    _, _, h, w = image.shape
    cx, cy, a, b = (w - 1) / 2, (h - 1) / 2, np.cos(angle), np.sin(angle)
    return warp_affine(image, np.array([[a, b, (1 - a) * cx - b * cy], [-b, a, b * cx + (1 - a) * cy]]))


def standard_transforms(image: torch.Tensor, rng: np.random.Generator, opt_size: int) -> torch.Tensor:
    """pad(12, constant 0.5), jitter(8), random_scale, random_rotate, jitter(4) at 256 px (pixel
    amounts scaled to opt_size elsewhere), then render_vis's normalize() and Upsample(fixed_image_size)."""
    px = lambda amount: max(1, round(amount * opt_size / 256))  # noqa: E731
    x = F.pad(image, [px(12)] * 4, mode="constant", value=0.5)
    x = jitter(x, px(8), rng)
    x = random_scale(x, rng)
    x = random_rotate(x, rng)
    x = jitter(x, px(4), rng)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (x - mean) / std
    return F.interpolate(x, size=(opt_size, opt_size), mode="bilinear", align_corners=True)


def render(index: int, seed: int, size: int, opt_size: int = 256, steps: int = 128, lr: float = 0.05) -> np.ndarray:
    """Image `index` of the official dataset (a seed for its network, start and transforms)."""
    model = network(seed)
    units = units_of(index)
    rng = np.random.default_rng([0xFEA7, seed, index])
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
    spectrum, image_f = fft_image_param(opt_size, gen)
    optimizer = torch.optim.Adam([spectrum], lr=lr)
    pooled = {}
    hook = model.avgpool.register_forward_hook(lambda module, inputs, output: pooled.update(avgpool=output))
    try:
        for _ in range(steps):
            optimizer.zero_grad()
            model(standard_transforms(image_f(), rng, opt_size))
            # objectives.channel(pool_mode="mean"): -(activation * mask).sum() / mask_sum; the mask
            # has a 1 at each unit of the image, mask_sum counts those of the whole batch of 64 (as
            # if all were like this one), and render_vis takes losses.mean() over the batch.
            activation = pooled["avgpool"][0, :, 0, 0]
            loss = -activation[units].sum() / (OFFICIAL_BATCH * len(units)) / OFFICIAL_BATCH
            loss.backward()
            optimizer.step()
    finally:
        hook.remove()
    # tensor_to_img_array -> cv2_imwrite(normalize=True): min-max over the whole image, truncated
    im = image_f().detach()[0].numpy().transpose(1, 2, 0)
    im = (im - im.min()) / (im.max() - im.min())
    im = np.array(255.0 * im, dtype="uint8")
    if size != opt_size:  # the 256 px file as a loader resizes it
        im = np.asarray(Image.fromarray(im).resize((size, size), Image.BILINEAR))
    return np.ascontiguousarray(im.transpose(2, 0, 1))


REFERENCES = {"featvis-random": render, "featvis-dead-leaves": render}
