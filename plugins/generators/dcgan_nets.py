"""DCGAN generator and discriminator (Radford et al. 2016) as in pytorch/examples, at 32-128 px, optionally
conditioned on a class (the sensor position a crop comes from) by one-hot inputs."""

from __future__ import annotations

import math

import torch
from torch import nn


def _blocks(resolution: int) -> int:
    """Upsampling stages after the 4x4 start: 4 for 64 px, 5 for 128 px."""
    n = int(math.log2(resolution // 4))
    if 4 * 2 ** n != resolution or resolution < 32:
        raise ValueError(f"dcgan: resolution must be a power of two >= 32 (64 or 128), got {resolution}")
    return n


class Generator(nn.Module):
    """z (N, nz, 1, 1) -> tanh image (N, nc, R, R). At 64 px this is exactly pytorch/examples' netG."""

    def __init__(self, nz: int = 100, ngf: int = 64, nc: int = 3, resolution: int = 64, classes: int = 0):
        super().__init__()
        n = _blocks(resolution)
        mult = 2 ** (n - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz + classes, ngf * mult, 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(ngf * mult), nn.ReLU(True)]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
            mult //= 2
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.nz, self.resolution, self.classes = nz, resolution, classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.classes:
            onehot = torch.nn.functional.one_hot(labels, self.classes).to(z.dtype)
            z = torch.cat([z.flatten(1), onehot], dim=1)[:, :, None, None]
        return self.main(z)


class Discriminator(nn.Module):
    """image (N, nc, R, R) -> logit (N,). pytorch/examples' netD without the final Sigmoid:
    BCEWithLogitsLoss is the same loss, computed stably."""

    def __init__(self, ndf: int = 64, nc: int = 3, resolution: int = 64, classes: int = 0):
        super().__init__()
        n = _blocks(resolution)
        self.classes = classes
        layers: list[nn.Module] = [nn.Conv2d(nc + classes, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
        mult = 1
        for _ in range(n - 1):
            layers += [nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(ndf * mult * 2), nn.LeakyReLU(0.2, inplace=True)]
            mult *= 2
        layers += [nn.Conv2d(ndf * mult, 1, 4, 1, 0, bias=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.classes:
            planes = torch.nn.functional.one_hot(labels, self.classes).to(x.dtype)[:, :, None, None]
            x = torch.cat([x, planes.expand(-1, -1, *x.shape[-2:])], dim=1)
        return self.main(x).view(-1)


def weights_init(m: nn.Module) -> None:
    """N(0, 0.02) for convolutions, N(1, 0.02) and bias 0 for batch norm (the DCGAN paper's init)."""
    name = m.__class__.__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)
