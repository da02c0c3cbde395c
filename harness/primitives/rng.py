"""The one keyed-random-stream helper: every seed and generator derived from a key (seed, index, purpose).

A stream depends on its key alone, never on call order, batch, process or worker count, so image i
under seed s is the same bytes everywhere and a resumed run sees the same data. Four derivations
exist because published images and numbers depend on each of them; each is written here once:

- `keyed_rng(*key)`: numpy PCG64 from a SeedSequence of the key's integers (strings become `stream_tag`);
  `keyed_rng(s)` is `np.random.default_rng(s)`;
- `philox_rng(key0, key1, stream)`: numpy Philox keyed by two 64-bit words, `stream` in the counter's top word
  (counter-based: the cheapest stream per image, used by the per-image noise families and the camera simulation);
- `keyed_seed(*parts)` / `keyed_unit(*parts)`: 63 bits / a float in [0, 1) from sha256 of the parts joined by ":";
- `content_seed(*parts)`: 60 bits of the parts' content key (sha256 of their canonical JSON).
`torch_generator(seed)` and `keyed_generator(*parts)` turn a seed or a key into a torch.Generator.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import numpy as np
import torch

from seebench.matrix.cell import content_key

_MASK64 = 2**64 - 1


def stream_tag(name: str) -> int:
    """A stable 32-bit integer for a string (crc32), to keep the streams of different purposes apart."""
    return zlib.crc32(name.encode("utf-8"))


def keyed_rng(*key: int | str) -> np.random.Generator:
    """A numpy Generator (PCG64) whose stream depends only on `key`: integers (64-bit masked) and strings
    (as `stream_tag`)."""
    words = [stream_tag(k) if isinstance(k, str) else int(k) & _MASK64 for k in key]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words)))


def philox_rng(key0: int, key1: int, stream: int = 0) -> np.random.Generator:
    """A numpy Generator (Philox) keyed by two words (64-bit masked), `stream` in the counter's top word."""
    return np.random.Generator(np.random.Philox(key=[int(key0) & _MASK64, int(key1) & _MASK64],
                                                counter=[0, 0, 0, stream]))


def _digest64(parts: tuple[Any, ...]) -> int:
    return int.from_bytes(hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()[:8], "big")


def keyed_seed(*parts: Any) -> int:
    """A 63-bit seed from any parts (purpose, seed, index): stable across runs and machines."""
    return _digest64(parts) & (2**63 - 1)


def keyed_unit(*parts: Any) -> float:
    """A number in [0, 1) from the same digest as `keyed_seed`: the same on every run and machine."""
    return _digest64(parts) / 2.0**64


def content_seed(*parts: Any) -> int:
    """A 60-bit seed from the content key of `parts` (the pretraining loop's epochs, heads and steps)."""
    return int(content_key(list(parts), length=15), 16)


def torch_generator(seed: int) -> torch.Generator:
    """A CPU torch.Generator seeded with `seed`."""
    return torch.Generator().manual_seed(int(seed))


def keyed_generator(*parts: Any) -> torch.Generator:
    """A CPU torch.Generator seeded with `keyed_seed(*parts)`."""
    return torch_generator(keyed_seed(*parts))
