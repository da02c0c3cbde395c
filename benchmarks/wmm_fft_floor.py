"""How fast can spectrum-color-wmm be? Its whole image against the FFTs the official algorithm needs, in one run.

    python benchmarks/wmm_fft_floor.py [--size 128] [--n 20]

Records every FFT one image makes (shape and direction: the spectrum's round trip, the steerable
pyramid's analysis and synthesis of every band of 3 channels, 10 rounds), times exactly those
transforms alone, and prints img per CPU-second of the whole image beside the ceiling the FFTs
alone allow (all other work taking no time), and what that ceiling is on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.fft as sfft

from seebench_plugins.generators.noise import spectral, statistical, wmm


def record_transforms(gen, size: int) -> list[tuple[str, tuple, dict]]:
    """Every rfft2 / irfft2 of one rendering: (name, input shape and dtype, keyword arguments)."""
    calls = []
    modules = (statistical, spectral, wmm)
    originals = {name: getattr(sfft, name) for name in ("rfft2", "irfft2")}

    def spy(name):
        def call(x, *args, **kw):
            calls.append((name, x.shape, x.dtype, kw))
            return originals[name](x, *args, **kw)
        return call

    saved = [(m, m.sfft) for m in modules]
    proxy = type("SpyFFT", (), {n: staticmethod(spy(n)) for n in originals})
    try:
        for m in modules:
            m.sfft = proxy
        gen.render(0, 0, size)
    finally:
        for m, orig in saved:
            m.sfft = orig
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()
    gen = statistical.StatisticalNoise("spectrum-color-wmm", color=True, use_wmm=True, use_spectrum=True)
    calls = record_transforms(gen, args.size)
    rng = np.random.default_rng(0)
    inputs = []
    for name, shape, dtype, kw in calls:
        x = rng.standard_normal(shape).astype(np.float32)
        if np.dtype(dtype).kind == "c":
            x = (x + 1j * rng.standard_normal(shape)).astype(dtype)
        inputs.append((getattr(sfft, name), x, kw))
    for i in range(3):
        gen.render(i, 0, args.size)
    t = time.process_time()
    for i in range(args.n):
        gen.render(i, 0, args.size)
    image = (time.process_time() - t) / args.n
    t = time.process_time()
    for _ in range(args.n):
        for fn, x, kw in inputs:
            fn(x, **kw)
    ffts = (time.process_time() - t) / args.n
    import torch  # the same transforms with torch.fft (Intel MKL in the x86 wheels), one thread

    torch.set_num_threads(1)
    tinputs = [(getattr(torch.fft, fn.__name__), torch.from_numpy(x), kw) for fn, x, kw in inputs]
    t = time.process_time()
    for _ in range(args.n):
        for fn, x, kw in tinputs:
            fn(x, **kw)
    torch_ffts = (time.process_time() - t) / args.n
    planes = sum(int(np.prod(s[:-2])) for _, s, _, _ in calls)
    print(f"spectrum-color-wmm at {args.size} px: {len(calls)} FFT calls an image ({planes} 2-D planes)")
    print(f"  whole image      {image * 1e3:7.1f} ms  -> {1 / image:6.1f} img per CPU-second")
    print(f"  its FFTs alone   {ffts * 1e3:7.1f} ms  -> {1 / ffts:6.1f} img per CPU-second at most "
          f"({ffts / image:.0%} of the image)")
    print(f"  ceiling on 2 idle cores (FFTs only, perfect scaling): {2 / ffts:.0f} img/s")
    print(f"  the same FFTs with torch.fft ({torch.backends.mkl.is_available() and 'MKL' or 'pocketfft'}): "
          f"{torch_ffts * 1e3:.1f} ms, {ffts / torch_ffts:.2f}x scipy's; its ceiling on 2 cores {2 / torch_ffts:.0f} img/s, "
          f"leaving {max(0.0, 2 / 100 - torch_ffts) * 1e3:.1f} ms an image for everything else at 100 img/s")


if __name__ == "__main__":
    main()
