"""Throughput of every registered generator (img/s at 128 and 256 px) and the dead-leaves speed-up.

    python benchmarks/generators.py [--n 24] [--workers 2] [--families a,b]

Each generator is built with its defaults, warmed up (caches, FractalDB categories of the images
timed), then timed on `--n` images in one process and with `--workers` processes (the export
path of `seebench generate`). Dead leaves are also timed against a straightforward painter that
draws one shape at a time on the whole canvas (numpy), the way the official code renders them.
The machine may be shared: numbers are wall-clock on whatever CPU time we got.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import sys
import time

import numpy as np

from harness.plugin_manager import load_registry

TARGETS_128 = {  # img/s on the 2-core machine (issue 3)
    "dead-leaves-squares": 200, "dead-leaves-oriented": 200, "dead-leaves-shapes": 200,
    "dead-leaves-textures": 200, "spectrum-color-wmm": 100, "fractaldb": 100,
    "stylegan-random": 50, "stylegan-highfreq": 50, "stylegan-sparse": 50, "stylegan-oriented": 50,
}


# -- the reference: one shape at a time, whole-canvas masks (as the official numpy/cv2 code) ----
def reference_dead_leaves(seed: int, index: int, size: int, kind: str = "square", sigma: float = 3.0,
                          rmin: float = 0.03, rmax: float = 1.0, cap: int = 5000) -> np.ndarray:
    rng = np.random.default_rng([seed, index])
    img = np.zeros((size, size, 3), dtype=np.uint8)
    covered = np.zeros((size, size), dtype=bool)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    a, b = (rmin * size) ** (1 - sigma), (rmax * size) ** (1 - sigma)
    n = 0
    while not covered.all() and n < cap:
        cx, cy = rng.uniform(0, size, 2)
        r = (a + rng.random() * (b - a)) ** (1 / (1 - sigma))
        color = rng.integers(0, 256, 3)
        if kind == "square":
            mask = (np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r)
        else:  # rotated square
            t = rng.uniform(0, math.pi / 2)
            u = (xx - cx) * math.cos(t) + (yy - cy) * math.sin(t)
            v = -(xx - cx) * math.sin(t) + (yy - cy) * math.cos(t)
            mask = (np.abs(u) <= r) & (np.abs(v) <= r)
        new = mask & ~covered  # shapes go behind the ones already drawn
        img[new] = color
        covered |= mask
        n += 1
    return img


def _time_reference(kind: str, size: int, n: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        reference_dead_leaves(0, i, size, kind)
    return n / (time.perf_counter() - t)


_GEN = {}


def _work(args):
    indices, seed, size = args
    _GEN["g"].generate(indices, seed, size)
    return len(indices)


def rate(gen, size: int, n: int, workers: int) -> float:
    idx = list(range(n))
    if workers <= 1:
        t = time.perf_counter()
        gen.generate(idx, 0, size)
        return n / (time.perf_counter() - t)
    _GEN["g"] = gen
    chunks = [(idx[k:k + 4], 0, size) for k in range(0, n, 4)]
    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(_work, chunks[:workers])  # start-up outside the clock
        t = time.perf_counter()
        pool.map(_work, chunks)
        return n / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=24, help="images per measurement (128 px; half at 256 px)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--families", default="", help="comma-separated subset")
    ap.add_argument("--reference-n", type=int, default=3, help="images for the one-shape-at-a-time painter")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    reg = load_registry()
    names = [s for s in args.families.split(",") if s] or reg.names("generator")
    print(f"# generators on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"n={args.n} at 128 px, {max(2, args.n // 2)} at 256 px")
    print(f"{'generator':24s} {'128px 1 proc':>13s} {f'128px {args.workers} proc':>13s} "
          f"{'256px 1 proc':>13s} {f'256px {args.workers} proc':>13s}  target@128")
    results = {}
    for name in names:
        comp = reg.get("generator", name)
        gen = comp.build()
        if callable(getattr(gen, "fit", None)):
            print(f"{name:24s} (needs fit() on a source: skipped)")
            continue
        row = []
        for size, n in ((128, args.n), (256, max(2, args.n // 2))):
            gen.generate(list(range(n)), 0, size)  # warm-up: caches, FractalDB categories
            row.append(rate(gen, size, n, 1))
            row.append(rate(gen, size, n, args.workers))
        results[name] = row
        target = TARGETS_128.get(name)
        best = max(row[0], row[1])
        verdict = "" if target is None else f"{target:>4d}  {'met' if best >= target else 'NOT met'}"
        print(f"{name:24s} {row[0]:13.1f} {row[1]:13.1f} {row[2]:13.1f} {row[3]:13.1f}  {verdict}", flush=True)
    # dead leaves against the one-shape-at-a-time painter (single process both)
    print("\n# dead leaves vs a one-shape-at-a-time painter (numpy, whole-canvas masks), 1 process")
    for name, kind in (("dead-leaves-squares", "square"), ("dead-leaves-oriented", "rotated")):
        if name not in results:
            continue
        for col, size in ((0, 128), (2, 256)):
            ref = _time_reference(kind, size, args.reference_n)
            ours = results[name][col]
            print(f"{name:24s} {size}px: ours {ours:8.1f} img/s, reference {ref:6.2f} img/s, "
                  f"ratio {ours / ref:6.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
