"""Pretraining speed: seebench's objective loop vs a bare PyTorch loop, on-the-fly data share, probe share of a cell."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from repr_cells import cell, context  # noqa: E402

from seebench_plugins.objectives.augment import TwoViews  # noqa: E402


def seebench_run(tmp: Path, args, data, steps: int, tag: str):
    """Time objective.pretrain through a hand-built cell; returns (seconds, data seconds, objective)."""
    c = cell(data=data, encoder=(args.encoder, {"width": args.width}), objective=(args.objective, {}),
             image_size=args.image_size, images=steps * args.batch, batch_size=args.batch)
    ctx = context(c, tmp / tag)
    model = ctx.encoder()
    obj = ctx.build_ref(c.objective)
    pdata = ctx.pretraining_data()
    t0 = time.perf_counter()
    obj.pretrain(model, pdata, ctx)
    return time.perf_counter() - t0, obj.data_seconds, obj


def bare_run(args, images: torch.Tensor, steps: int) -> float:
    """The same encoder, augmentation, loss and optimiser in a plain loop over an in-memory tensor."""
    c = cell(encoder=(args.encoder, {"width": args.width}), objective=(args.objective, {}),
             image_size=args.image_size, images=steps * args.batch, batch_size=args.batch)
    ctx = context(c, Path(tempfile.mkdtemp()))
    model = ctx.encoder()
    obj = ctx.build_ref(c.objective)
    obj.setup(model, ctx.device)
    obj.heads.to(ctx.device)
    params = list(model.parameters()) + list(obj.heads.parameters())
    opt = torch.optim.SGD(params, lr=obj.hp["lr"] * args.batch / 256, momentum=0.9, weight_decay=1e-4)
    views = TwoViews(args.image_size, blur=obj.blur)
    g = torch.Generator().manual_seed(0)
    model.train()
    t0 = time.perf_counter()
    for _ in range(steps):
        batch = images[torch.randint(len(images), (args.batch,), generator=g)]
        x1, x2 = views(batch, ctx.device)
        loss = obj.loss(model, x1, x2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        obj.after_step(model)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--encoder", default="alexnet-small")
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--objective", default="align-uniform")
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--generators", nargs="+", default=["white-noise", "dead-leaves-shapes", "spectrum-color", "stylegan-random"])
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{args.encoder} width {args.width}, {args.objective}, batch {args.batch}, {args.image_size} px, "
          f"{args.steps} steps, {args.repeats} alternating repeats (median); device {context(cell(), Path(tempfile.mkdtemp())).device}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        real = ("fashion-mnist", {"train_size": 4096})
        # images already in memory at the budget's size, for the bare loop
        c = cell(data=real, image_size=args.image_size, images=args.batch, batch_size=args.batch)
        pdata = context(c, tmp / "mem").pretraining_data()
        images = pdata.batch(range(len(pdata)))
        seebench_run(tmp, args, real, 2, "warm")  # oneDNN / allocator warm-up
        bare_run(args, images, 2)
        ours, bare = [], []
        for r in range(args.repeats):
            ours.append(args.steps / seebench_run(tmp, args, real, args.steps, f"r{r}")[0])
            bare.append(args.steps / bare_run(args, images, args.steps))
        o, b = statistics.median(ours), statistics.median(bare)
        pairs = sorted(x / y for x, y in zip(ours, bare))
        print(f"1. pretraining throughput, real data in memory: seebench {o:.3f} steps/s, bare loop {b:.3f} steps/s, "
              f"ratio of medians {o / b:.3f}, median of back-to-back pair ratios {statistics.median(pairs):.3f} "
              f"(range {pairs[0]:.2f}-{pairs[-1]:.2f}; target >= 0.95)")
        print("2. share of pretraining wall time spent producing images on the fly (target <= 10%):")
        for name in args.generators:
            try:
                total, data_s, _ = seebench_run(tmp, args, (name, {}), args.steps, f"gen-{name}")
            except Exception as exc:  # a generator from another track may be missing or broken
                print(f"   {name:<22} skipped ({type(exc).__name__}: {exc})")
                continue
            print(f"   {name:<22} {100 * data_s / total:5.1f}%  ({data_s:.2f} s of {total:.2f} s)")

        print("3. probe on cached features as a share of a whole cell (target < 10%):")
        c = cell(data=("white-noise", {}), encoder=(args.encoder, {"width": args.width}),
                 objective=(args.objective, {}), evaluator=("linear-probe", {"train_size": 10000, "test_size": 2000}),
                 image_size=args.image_size, images=args.steps * args.batch * 4, batch_size=args.batch)
        ctx = context(c, tmp / "cell")
        t0 = time.perf_counter()
        ctx.pretrained_encoder()
        t1 = time.perf_counter()
        ctx.features("fashion-mnist", {"train_size": 10000, "test_size": 2000}, "train")
        ctx.features("fashion-mnist", {"train_size": 10000, "test_size": 2000}, "test")
        t2 = time.perf_counter()
        metrics = ctx.build_ref(c.evaluator).evaluate(ctx)
        t3 = time.perf_counter()
        total = t3 - t0
        print(f"   pretrain {t1 - t0:.1f} s ({args.steps * 4} steps), features {t2 - t1:.1f} s, probe {t3 - t2:.1f} s: "
              f"probe {100 * (t3 - t2) / total:.1f}% of the cell (top-1 {metrics['top1']:.1f}%)")


if __name__ == "__main__":
    main()
