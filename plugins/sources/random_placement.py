"""Put each image at a random size and position on a blank square canvas, the same way every time."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seebench import torch_generator

CANVAS = 32  # side of the canvas (the quick preset's image size)
SMALLEST = 12  # smallest side an image is shrunk to; the largest is its own side, capped by the canvas


def place_randomly(images: torch.Tensor, seed: int, canvas: int = CANVAS, smallest: int = SMALLEST) -> torch.Tensor:
    """uint8 (N, C, h, w) -> uint8 (N, C, canvas, canvas): image i resized (antialiased) to a side drawn
    uniformly in [smallest, min(h, canvas)] and pasted at a uniform position on black, drawn from `seed`.

    Images of one size are resized as one batch (17 sizes for Fashion-MNIST), so 70k images take ~2 s.
    """
    n, c, h, w = images.shape
    largest = min(max(h, w), canvas)
    g = torch_generator(seed)
    sides = torch.randint(smallest, largest + 1, (n,), generator=g)
    corner = (torch.rand(n, 2, generator=g) * (canvas - sides + 1)[:, None]).long()
    out = torch.zeros(n, c, canvas, canvas, dtype=torch.uint8)
    for side in sides.unique().tolist():
        rows = (sides == side).nonzero().flatten()
        small = F.interpolate(images[rows].float(), size=(side, side), mode="bilinear", antialias=True,
                              align_corners=False).round_().clamp_(0, 255).to(torch.uint8)
        for k, i in enumerate(rows.tolist()):
            y, x = corner[i].tolist()
            out[i, :, y:y + side, x:x + side] = small[k]
    return out
