"""Random streams keyed by a tuple of integers (family tag, seed, index, ...): order-independent."""

from __future__ import annotations

import zlib

import numpy as np

_MASK = 2**64 - 1


def tag(name: str) -> int:
    """A stable integer for a string, to keep the streams of different families apart."""
    return zlib.crc32(name.encode("utf-8"))


def keyed_rng(*key: int) -> np.random.Generator:
    """A numpy Generator whose stream depends only on `key` (non-negative ints after 64-bit masking)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(k) & _MASK for k in key])))
