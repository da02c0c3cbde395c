"""The `device` parameter of the torch-based generators: 'auto' (CUDA when present), 'cpu' or 'cuda'."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str, device: str) -> torch.device:
    """'auto' -> cuda when torch sees a GPU, else cpu (whose bytes the determinism tests pin)."""
    if device not in DEVICES:
        raise ValueError(f"{name}: parameter 'device' must be 'auto', 'cpu' or 'cuda', got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name}: parameter 'device' is 'cuda' but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    return torch.device("cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu")
