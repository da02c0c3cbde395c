"""A per-seed pool of spectrum+colour+WMM textures, made lazily, that dead-leaves shapes draw from."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .base import image_rng, to_uint8_hwc
from .statistical import StatisticalNoise

# 6 orders of the colour channels: a shape can show a texture in any of them
PERMS = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])


def texture_size(size: int) -> int:
    """Side of a pool texture for images of `size` px: half (textures are periodic, so they tile;
    the lost lowest octave is mostly larger than a leaf), at least 16."""
    return max(16, size // 2)


class TexturePool:
    """`n` textures per (seed, texture size), texture t drawn from its own stream (seed, t, salt).

    As in the paper's code, where every shape takes a random texture from a fixed set of 10,000
    spectrum+colour+WMM images, the textures are shared by all images of a seed: texture t is the
    same bytes whatever image asked for it first, so images stay independent of batch, order and
    process. A texture is made the first time a visible shape needs it and kept (uint8; n x 3 x
    ts x ts bytes per pool, the pages touched only when filled). Measured here at 128 px: a pool
    texture costs ~3 ms, a whole image ~12 ms when each image made its own 4 textures; with the
    pool an image costs its rasterisation plus one gather once the pool is warm.
    """

    def __init__(self, model: StatisticalNoise, salt: str, n: int, keep: int = 2):
        self.model, self.salt, self.n, self.keep = model, salt, int(n), keep
        self._pools: OrderedDict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()  # the prefetch thread and the caller may both render

    def textures(self, seed: int, ts: int, needed: np.ndarray) -> np.ndarray:
        """The (n, 3, ts, ts) uint8 pool of `seed` with at least the textures `needed` made."""
        with self._lock:
            key = (int(seed), int(ts))
            if key not in self._pools:
                self._pools[key] = (np.empty((self.n, 3, ts, ts), dtype=np.uint8), np.zeros(self.n, dtype=bool))
                while len(self._pools) > self.keep:  # a few (seed, size) pools: bounded memory
                    self._pools.popitem(last=False)
            self._pools.move_to_end(key)
            pool, made = self._pools[key]
            for t in needed[~made[needed]]:
                # one at a time: a stack of textures gives the same bytes but measured 1.1-2x
                # slower per texture here (statistical.render_float_batch)
                pool[t] = to_uint8_hwc(self.model.render_float(image_rng(seed, int(t), self.salt), ts))
                made[t] = True
            return pool


def fill(pool: np.ndarray, label: np.ndarray, tex: np.ndarray, perm: np.ndarray,
         oy: np.ndarray, ox: np.ndarray) -> np.ndarray:
    """(3, H, W) uint8: each pixel shows its shape's texture, channel order and periodic offset.

    `label` (H, W) is the shape per pixel (>= 0); tex, perm, oy, ox (>= 0) are per shape. Flat
    int32 offsets, wrap-around by table lookup and one np.take per channel: measured 2-3x faster
    than fancy indexing the (texture, channel, y, x) pool with four int64 arrays.
    """
    h, w = label.shape
    ts = pool.shape[-1]
    plane = ts * ts
    dt = np.int32 if pool.size < 2**31 else np.int64
    wrap_y = (np.arange(ts + h, dtype=dt) % ts) * ts
    wrap_x = np.arange(ts + w, dtype=dt) % ts
    yy = (oy % ts).astype(dt).take(label)
    yy += np.arange(h, dtype=dt)[:, None]
    xx = (ox % ts).astype(dt).take(label)
    xx += np.arange(w, dtype=dt)[None, :]
    pos = wrap_y.take(yy)
    pos += wrap_x.take(xx)
    chan = (tex[:, None] * (3 * plane) + PERMS[perm] * plane).astype(dt)  # (shapes, 3)
    out = np.empty((3, h, w), dtype=pool.dtype)
    flat = pool.ravel()
    for c in range(3):
        idx = chan[:, c].take(label)
        idx += pos
        flat.take(idx, out=out[c])
    return out
