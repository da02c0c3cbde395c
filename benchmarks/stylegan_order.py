"""StyleGAN rendered in order vs in shuffled batches (what pretraining asks for), side by side in one run.

    python benchmarks/stylegan_order.py [--n 4096] [--size 32] [--batch 128] [--families random,oriented]
                                        [--cache-mb MB]

Image i uses network i // reinit_every (400), so a shuffled batch mixes up to --n / 400 networks.
Both orders are timed on a fresh generator (one torch thread, the CPU path whose bytes are pinned);
each is given as wall seconds and CPU seconds (the machine may be shared), and the ratio of CPU times.
--cache-mb overrides the generator's network cache (NETWORK_CACHE_BYTES) to see what it is worth.
"""

from __future__ import annotations

import argparse
import time

import torch

import seebench_plugins.generators.noise.stylegan as sg


def timed(gen, order: list[int], batch: int, size: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(order), batch):
        gen.generate(order[start:start + batch], 0, size)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--families", default="random,oriented")
    ap.add_argument("--cache-mb", type=float, default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.cache_mb is not None:
        sg.NETWORK_CACHE_BYTES = int(args.cache_mb * 2**20)
    perm = torch.randperm(args.n, generator=torch.Generator().manual_seed(0)).tolist()
    print(f"{args.n} images at {args.size} px in batches of {args.batch}, "
          f"network cache {sg.NETWORK_CACHE_BYTES / 2**20:.0f} MB")
    for family in args.families.split(","):
        gen = sg.StyleGANNoise(family, device="cpu")
        gen.generate([0], 0, args.size)  # warm-up: first-call overheads out of the timings
        rows = {}
        for name, order in (("sequential", list(range(args.n))), ("shuffled", perm)):
            rows[name] = timed(sg.StyleGANNoise(family, device="cpu"), order, args.batch, args.size)
            print(f"  stylegan-{family:9s} {name:10s} {rows[name][0]:7.2f} s wall {rows[name][1]:7.2f} s CPU "
                  f"({args.n / rows[name][1]:6.1f} img per CPU-s)")
        print(f"  stylegan-{family:9s} shuffled/sequential: {rows['shuffled'][1] / rows['sequential'][1]:.2f}x CPU, "
              f"{rows['shuffled'][0] / rows['sequential'][0]:.2f}x wall")


if __name__ == "__main__":
    main()
