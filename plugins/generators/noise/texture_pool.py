"""The fixed set of full-size spectrum+colour+WMM textures dead-leaves regions take, made lazily, memory-bounded."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

import numpy as np

ENV_LIMIT = "SEEBENCH_TEXTURE_CACHE_GB"
DEFAULT_GB = 1.0


def cache_bytes() -> int:
    """$SEEBENCH_TEXTURE_CACHE_GB (default 1 GiB): what all texture pools of a process may hold."""
    raw = os.environ.get(ENV_LIMIT, "")
    try:
        gb = float(raw) if raw else DEFAULT_GB
    except ValueError:
        raise ValueError(f"${ENV_LIMIT} must be a number of GiB, got {raw!r}") from None
    return int(max(gb, 0.0) * 2**30)


class TexturePool:
    """`n` textures per (seed, size); texture t is `model.render(t, seed, size)`, the same bytes
    whatever image asked for it first, so images stay independent of batch, order and process.

    As in the paper's code, where every visible region takes one of 10,000 precomputed full-size
    spectrum+colour+WMM images. A texture is rendered the first time a region needs it and kept in
    a slot (uint8, 3 x size x size bytes: 48 KiB at 128 px, 192 KiB at 256 px). The slots of all
    pools share $SEEBENCH_TEXTURE_CACHE_GB (1 GiB: the full 10,000 at 128 px take 469 MiB, at 256 px
    1.83 GiB); past it the least recently used textures are dropped and re-rendered when needed
    again (same bytes, more time). The pools of the `keep` most recent (seed, size) pairs are kept.
    """

    def __init__(self, model, n: int, keep: int = 2):
        self.model, self.n, self.keep = model, int(n), keep
        self._pools: OrderedDict[tuple[int, int], dict] = OrderedDict()
        self._lock = threading.Lock()  # the prefetch thread and the caller may both render

    def _pool(self, seed: int, size: int, want: int) -> dict:
        key = (int(seed), int(size))
        if key not in self._pools:
            per = 3 * size * size
            slots = max(min(self.n, cache_bytes() // (self.keep * per)), want)
            self._pools[key] = {"store": np.empty((slots, 3, size, size), dtype=np.uint8),
                                "slot": np.full(self.n, -1, dtype=np.int64),  # texture -> slot
                                "owner": np.full(slots, -1, dtype=np.int64),  # slot -> texture
                                "used": np.zeros(slots, dtype=np.int64), "clock": 0}
            while len(self._pools) > self.keep:
                self._pools.popitem(last=False)
        self._pools.move_to_end(key)
        return self._pools[key]

    def textures(self, seed: int, size: int, needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(store, slot of each of `needed`): store[slot[i]] is texture needed[i], (3, size, size)."""
        needed = np.asarray(needed, dtype=np.int64)
        uniq = np.unique(needed)
        with self._lock:
            pool = self._pool(seed, size, uniq.size)
            store, slot, owner, used = pool["store"], pool["slot"], pool["owner"], pool["used"]
            if uniq.size > store.shape[0]:  # more textures in one image than the budget holds
                grown = np.empty((uniq.size,) + store.shape[1:], dtype=np.uint8)
                grown[:store.shape[0]] = store
                pool["store"], pool["owner"] = grown, np.concatenate(
                    [owner, np.full(uniq.size - owner.size, -1, dtype=np.int64)])
                pool["used"] = np.concatenate([used, np.zeros(uniq.size - used.size, dtype=np.int64)])
                store, owner, used = pool["store"], pool["owner"], pool["used"]
            pool["clock"] += 1
            missing = uniq[slot[uniq] < 0]
            if missing.size:
                used[slot[uniq[slot[uniq] >= 0]]] = pool["clock"]  # keep this image's own
                free = np.flatnonzero(owner < 0)
                if free.size < missing.size:  # evict the least recently used
                    taken = np.flatnonzero(owner >= 0)
                    drop = taken[np.argsort(used[taken], kind="stable")[:missing.size - free.size]]
                    slot[owner[drop]] = -1
                    owner[drop] = -1
                    free = np.flatnonzero(owner < 0)
                for t, s in zip(missing, free[:missing.size]):
                    store[s] = self.model.render(int(t), seed, size)
                    slot[t], owner[s] = s, t
            used[slot[uniq]] = pool["clock"]
            return store, slot[needed]


def fill(store: np.ndarray, slots: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(3, H, W) uint8: pixel (y, x) of region k shows pixel (y, x) of texture store[slots[k]], in
    its own channel order (`label` (H, W) is the region per pixel, >= 0)."""
    h, w = label.shape
    plane = h * w
    dt = np.int32 if store.size < 2**31 else np.int64
    base = (slots.astype(dt) * (3 * plane)).take(label)
    base += np.arange(plane, dtype=dt).reshape(h, w)
    out = np.empty((3, h, w), dtype=np.uint8)
    flat = store.reshape(-1)
    for c in range(3):
        flat.take(base + c * plane, out=out[c])
    return out
