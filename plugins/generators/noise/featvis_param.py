"""Lucid-style image parametrisation: 1/f-scaled Fourier coefficients and decorrelated colour."""

from __future__ import annotations

import torch

# Square root of ImageNet's colour covariance (from Lucid): the optimiser works in decorrelated
# colour space and this matrix mixes it back to RGB.
COLOR_SQRT = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
COLOR_SQRT = COLOR_SQRT / COLOR_SQRT.norm(dim=0).max()


def frequency_scale(size: int, decay_power: float = 1.0) -> torch.Tensor:
    """(size, size // 2 + 1) scale 1 / max(|f|, 1 / size)^decay_power on the rfft2 grid."""
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    f = (fy * fy + fx * fx).sqrt()
    return 1.0 / f.clamp(min=1.0 / size) ** decay_power


class FFTImage:
    """Parameters (3, H, H//2+1, 2) of one image; `render()` gives RGB in (0, 1)."""

    def __init__(self, size: int, generator: torch.Generator, init_std: float = 0.01,
                 device: torch.device | str = "cpu"):
        self.size = size
        start = torch.randn((3, size, size // 2 + 1, 2), generator=generator) * init_std  # drawn on CPU
        self.params = start.to(device).requires_grad_(True)
        self.scale = frequency_scale(size)[None, :, :].to(device)  # ortho irfft: as Lucid (scale * sqrt(HW), 1/HW)
        self.color = COLOR_SQRT.to(device)

    def render(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.params) * self.scale
        decorrelated = torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") / 4.0
        rgb = torch.einsum("cd,dhw->chw", self.color, decorrelated)
        return torch.sigmoid(rgb)
