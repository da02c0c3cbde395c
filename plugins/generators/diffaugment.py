"""DiffAugment (Zhao et al., NeurIPS 2020): differentiable color/translation/cutout on real and fake."""

from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def parse_policy(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    bad = [p for p in parts if p not in POLICIES]
    if bad:
        raise ValueError(f"dcgan: unknown DiffAugment policy {bad}; use a comma list of {', '.join(POLICIES)}")
    return parts


def diff_augment(x: torch.Tensor, policy: tuple[str, ...], generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the policy to a batch in [-1, 1]; every op is differentiable w.r.t. x.

    Same transformations as the authors' DiffAugment_pytorch.py, with an explicit RNG so a run is
    reproducible and resumable."""
    for p in policy:
        x = _OPS[p](x, generator)
    return x


def _rand(shape, x, g):
    return torch.rand(shape, generator=g, device="cpu").to(x.device, x.dtype)


def _color(x, g):
    n = x.size(0)
    x = x + (_rand((n, 1, 1, 1), x, g) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_rand((n, 1, 1, 1), x, g) * 2) + mean  # saturation
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    x = (x - mean) * (_rand((n, 1, 1, 1), x, g) + 0.5) + mean  # contrast
    return x


def _translation(x, g, ratio: float = 0.125):
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (n, 1, 1), generator=g).to(x.device)
    tx = torch.randint(-sx, sx + 1, (n, 1, 1), generator=g).to(x.device)
    gb, gy, gx = torch.meshgrid(torch.arange(n, device=x.device), torch.arange(h, device=x.device),
                                torch.arange(w, device=x.device), indexing="ij")
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0])
    return padded.permute(0, 2, 3, 1).contiguous()[gb, gy, gx].permute(0, 3, 1, 2)


def _cutout(x, g, ratio: float = 0.5):
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), generator=g).to(x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), generator=g).to(x.device)
    gb, gy, gx = torch.meshgrid(torch.arange(n, device=x.device), torch.arange(ch, device=x.device),
                                torch.arange(cw, device=x.device), indexing="ij")
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}
