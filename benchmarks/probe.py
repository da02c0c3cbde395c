"""Linear probe on Fashion-MNIST: the fast default (full-batch L-BFGS) against the paper's protocol (Adam, 100 epochs).

Prints both accuracies per encoder on the same features and test set, and the largest gap; the
fast protocol is meant to land within 0.5 points of the paper's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from repr_cells import cell, context  # noqa: E402

# (encoder, params, objective, seeds): random-init encoders and one pretrained briefly on dead leaves
ENCODERS = [
    ("raw-pixels", {}, "none", (0,)),
    ("alexnet-small", {"width": 0.25}, "none", (0, 1, 2)),
    ("alexnet-small", {"width": 0.25}, "align-uniform", (0,)),
    ("resnet18", {"width": 0.25}, "none", (0,)),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--train-size", type=int, default=10000)
    ap.add_argument("--test-size", type=int, default=10000, help="10000: all of Fashion-MNIST's test set")
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--pretrain-images", type=int, default=4096, help="images seen by the pretrained row")
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    probe = {"source": "fashion-mnist", "train_size": args.train_size, "test_size": args.test_size}
    print(f"fashion-mnist {args.train_size} train / {args.test_size} test at {args.image_size} px")
    print(f"{'encoder':<36} {'seed':>4} {'fast top1':>9} {'paper top1':>10} {'diff':>6} {'fast s':>7} {'paper s':>8} {'features s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        gaps = []
        for name, params, objective, seeds in ENCODERS:
            for seed in seeds:
                results = {}
                for protocol in ("fast", "paper"):
                    c = cell(data=("dead-leaves-shapes", {}), encoder=(name, params), objective=(objective, {}),
                             evaluator=("linear-probe", {**probe, "protocol": protocol}), seed=seed,
                             image_size=args.image_size, images=args.pretrain_images, batch_size=128)
                    ctx = context(c, Path(tmp))
                    t0 = time.perf_counter()
                    ctx.features("fashion-mnist", {"train_size": args.train_size, "test_size": args.test_size}, "train")
                    ctx.features("fashion-mnist", {"train_size": args.train_size, "test_size": args.test_size}, "test")
                    t1 = time.perf_counter()
                    metrics = ctx.build_ref(c.evaluator).evaluate(ctx)
                    results[protocol] = (metrics["top1"], time.perf_counter() - t1, t1 - t0)
                (f1, fs, fe), (p1, ps, _) = results["fast"], results["paper"]
                gaps.append(f1 - p1)
                label = name + "".join(f" {k}={v}" for k, v in params.items()) + ("" if objective == "none" else f" +{objective}")
                print(f"{label:<36} {seed:>4} {f1:>9.2f} {p1:>10.2f} {f1 - p1:>+6.2f} {fs:>7.1f} {ps:>8.1f} {fe:>10.1f}")
        worst = max(gaps, key=abs)
        print(f"largest gap fast - paper: {worst:+.2f} points over {len(gaps)} encoders "
              f"({'within' if abs(worst) <= 0.5 else 'NOT within'} 0.5); mean gap {sum(gaps) / len(gaps):+.2f}")

if __name__ == "__main__":
    main()
