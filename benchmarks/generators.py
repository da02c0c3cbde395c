"""Throughput of every registered generator (img/s at 128 and 256 px), side by side with its reference.

    python benchmarks/generators.py [--n 24] [--workers 2] [--families a,b] [--sizes 128,256]
    python benchmarks/generators.py --families featvis-random,featvis-dead-leaves --sizes 32,64 --budget 20

Each generator is built with its defaults, warmed up (caches, FractalDB categories of the images
timed), then timed on `--n` images in one process and with `--workers` processes (the export
path of `seebench generate`). In the same run each family with a reference in tests/references/
(the official algorithm written step by step, what the fidelity tests compare with) is timed too,
and the ratio fast / reference printed.
The machine may be shared, so each measurement is also given per CPU-second (time.process_time
of the process or of the workers): that is what an idle core gives. The closing block says, per
family with a target, whether it is met by the clock with --workers processes and on idle cores.
Generators that build a cache as they go (the texture pool of dead-leaves-textures) are timed warm
in the table; a last block gives their cold start: a fresh generator's first images.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path


from seebench.plugins.manager import load_registry

TARGETS_128 = {  # img/s on the 2-core machine (issue 3)
    "dead-leaves-squares": 200, "dead-leaves-oriented": 200, "dead-leaves-shapes": 200,
    "dead-leaves-textures": 200, "spectrum-color-wmm": 100, "fractaldb": 100,
    "stylegan-random": 50, "stylegan-highfreq": 50, "stylegan-sparse": 50, "stylegan-oriented": 50,
}


def references() -> dict:
    """Every family's plain reference (tests/references/): the official algorithm, step by step."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from references import all_references

    return all_references()


def reference_rate(render, size: int, n: int, budget: float) -> float:
    """img per CPU-second of a reference renderer: up to `n` images or about `budget` seconds."""
    c, done = time.process_time(), 0
    while done < n and (done == 0 or time.process_time() - c < budget):
        render(1000 + done, 0, size)
        done += 1
    return done / max(time.process_time() - c, 1e-9)


# generators that need a fit in a matrix, timed as a stand-in of the same cost per image
STAND_IN = {"featvis-dead-leaves": {"fallback": "random"}}
STAND_IN_NOTE = {"featvis-dead-leaves": "a random ResNet-50: the fitted one costs the same per image"}

# generators whose first images fill a cache (the per-seed texture pool): cold start shown apart
COLD_START = ("dead-leaves-textures",)


def cold_start(comp, size: int, n: int) -> tuple[float, float]:
    """(img per CPU-second of a freshly built generator's first `n` images, of the next `n`)."""
    gen = comp.build()
    c = time.process_time()
    gen.generate(range(n), 0, size)
    cold = time.process_time() - c
    c = time.process_time()
    gen.generate(range(n, 2 * n), 0, size)
    return n / cold, n / (time.process_time() - c)


_GEN = {}


def _work(args):
    """One worker's share: (images made, CPU-seconds this worker spent on them)."""
    indices, seed, size = args
    c = time.process_time()
    _GEN["g"].generate(indices, seed, size)
    return len(indices), time.process_time() - c


def rate(gen, indices: list[int], size: int, workers: int, min_time: float = 0.5) -> tuple[float, float]:
    """(wall-clock img/s, img per CPU-second), repeating `indices` for >= min_time s.

    With workers > 1 the images are split over a fork Pool (the export path of `seebench
    generate`); the CPU-seconds are the workers' own, summed, so img per CPU-second says what one
    idle core gives even when the machine is shared.
    """
    n = len(indices)
    if workers <= 1:
        done, t, c = 0, time.perf_counter(), time.process_time()
        while done == 0 or time.perf_counter() - t < min_time:
            gen.generate(indices, 0, size)
            done += n
        return done / (time.perf_counter() - t), done / max(time.process_time() - c, 1e-9)
    _GEN["g"] = gen
    per = max(1, -(-n // workers))
    chunks = [(indices[k:k + per], 0, size) for k in range(0, n, per)] * 2
    with mp.get_context("fork").Pool(workers) as pool:
        pool.map(_work, [([indices[0]], 0, size)] * workers, chunksize=1)  # start-up outside the clock
        t = time.perf_counter()
        got = pool.map(_work, chunks, chunksize=1)
        wall = time.perf_counter() - t
    done = sum(k for k, _ in got)
    return done / wall, done / max(sum(c for _, c in got), 1e-9)


def measure(gen, size: int, n_max: int, workers: int, budget: float) -> tuple[float, ...] | None:
    """(1-process wall img/s, 1-process img per CPU-s, N-process wall img/s, N-process img per
    CPU-s) at one size, about `budget` seconds per measurement; None if one image is too slow."""
    t = time.perf_counter()
    gen.generate([1000], 0, size)
    one = time.perf_counter() - t
    if one > 4 * budget:
        return None
    n = max(1, min(n_max, int(budget / max(one, 1e-6))))
    settings = getattr(gen, "settings", None)  # featvis: images are made in padded network batches
    if callable(settings):
        n = settings(size)["chunk"] * workers  # whole batches, one per worker
    indices = list(range(1000, 1000 + n))
    gen.generate(indices, 0, size)  # warm-up: FFT plans, quantile tables, FractalDB categories
    wall, cpu = rate(gen, indices, size, 1, min_time=min(budget, 0.5))
    multi, multi_cpu = rate(gen, indices, size, workers) if workers > 1 else (wall, cpu)
    return wall, cpu, multi, multi_cpu


def verdict(target: int, cells: list[float], workers: int) -> str:
    """Is the 128 px target (img/s on the whole `workers`-core machine) met? Measured by the clock
    with `workers` processes, and as `workers` x the img per CPU-second of those processes (what
    the machine gives when nothing else runs on it). `cells`: the 4 numbers of measure() at 128 px."""
    clock, idle = cells[2], workers * cells[3]
    return (f"target {target}/s: {workers} proc by the clock {clock:.0f} ({'met' if clock >= target else 'NOT met'}), "
            f"{workers} idle cores ~{idle:.0f} ({'met' if idle >= target else 'NOT met'})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=32, help="most images per measurement")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--families", default="", help="comma-separated subset")
    ap.add_argument("--sizes", default="128,256", help="comma-separated image sizes (e.g. 32,64 for featvis-*)")
    ap.add_argument("--reference-n", type=int, default=3, help="most images per reference measurement")
    ap.add_argument("--cold-n", type=int, default=200, help="images of the cold-start measurement")
    ap.add_argument("--budget", type=float, default=1.0,
                    help="seconds per measurement; a generator slower than 4x this per image is skipped")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    reg = load_registry()
    names = [s for s in args.families.split(",") if s] or reg.names("generator")
    print(f"# generators on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"up to {args.n} images or ~{args.budget:g} s per measurement")
    w, sizes = args.workers, [int(x) for x in args.sizes.split(",") if x]
    print(f"{'generator':22s} " + " ".join(f"| {f'{z} px: 1proc':>13s} {'cpu-s':>6s} {f'{w}proc':>6s} {f'{w}x cpu-s':>8s}"
                                         for z in sizes))
    results = {}
    for name in names:
        comp = reg.get("generator", name)
        try:
            gen = comp.build(STAND_IN.get(name, {}))
        except Exception as exc:  # e.g. needs weights the user must supply
            print(f"{name:22s} (cannot be built with its defaults: skipped; {str(exc)[:80]})")
            continue
        if callable(getattr(gen, "fit", None)):
            print(f"{name:22s} (needs fit() on a source: skipped)")
            continue
        row = []
        for size in sizes:
            got = measure(gen, size, args.n, w, args.budget)
            row.extend(got if got else (float("nan"),) * 4)
        if all(math.isnan(v) for v in row):
            print(f"{name:22s} (one image takes over {4 * args.budget:g} s: not timed; raise --budget)")
            continue
        results[name] = row
        cells = [f"{row[k]:13.1f} {row[k + 1]:6.1f} {row[k + 2]:6.1f} {w * row[k + 3]:8.1f}" for k in range(0, len(row), 4)]
        note = f"  ({STAND_IN_NOTE[name]})" if name in STAND_IN else ""
        print(f"{name:22s} | " + " | ".join(cells) + note, flush=True)
    print(f"img/s. 1proc: by the clock, one process; cpu-s: img per CPU-second of that process (one "
          f"idle core, whatever else runs); {w}proc: by the clock with {w} worker processes (the export "
          f"path); {w}x cpu-s: {w} x the img per CPU-second of those workers (the {w}-core machine idle)")
    col = {size: 4 * k for k, size in enumerate(sizes)}
    if 128 in col:
        print(f"\n# targets at 128 px on the {w}-core machine (issue 3)")
        for name, row in results.items():
            if name in TARGETS_128 and not math.isnan(row[col[128]]):
                print(f"{name:22s} {verdict(TARGETS_128[name], row[col[128]:col[128] + 4], w)}")
    cold = [name for name in COLD_START if name in results]
    if cold:
        print(f"\n# cold start: a fresh generator's first {args.cold_n} images, then the next {args.cold_n} "
              f"(one process, img per CPU-second)")
    for name in cold:
        for size in sizes:
            first, then = cold_start(reg.get("generator", name), size, args.cold_n)
            print(f"{name:22s} {size}px: first {args.cold_n} {first:7.1f} img/s, next {args.cold_n} {then:7.1f} img/s")
    refs = references()
    print("\n# fast generator vs its reference (tests/references/, the official algorithm step by step), "
          "one process, img per CPU-second")
    for name in results:
        if name not in refs:
            print(f"{name:24s} (no reference)")
            continue
        for size in sizes:
            ref = reference_rate(refs[name], size, args.reference_n, args.budget)
            ours = results[name][col[size] + 1]
            print(f"{name:24s} {size}px: fast {ours:8.1f} img/s, reference {ref:8.2f} img/s, "
                  f"fast / reference {ours / ref:7.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
