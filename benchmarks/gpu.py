"""The paper presets on one GPU: seebench vs a bare loop, time waiting for images, utilisation, bf16 / channels-last, CUDA vs CPU generators, a short paper-small cell.

    python benchmarks/gpu.py --out $OUT/gpu.json          # on a machine with one CUDA GPU (~6 min on an H200)
    python benchmarks/gpu.py --smoke --out /tmp/gpu.json  # tiny sizes on the CPU: proves the script runs (a test does)

It installs nothing from the network. On a bare GPU machine that has torch, torchvision, timm, torchmetrics,
pluggy, rich, pandas and tabulate, give it `--wheelhouse DIR` with wheels of the rest (made on a machine with
the registry: `pip download --no-deps --only-binary :all: -d .gpu-wheels safetensors jsonschema PyWavelets
scikit-learn matplotlib` and `pip wheel --no-deps -w .gpu-wheels .`); it installs them with --no-index
before importing seebench.

What it measures, each printed and written to --out as JSON:
1. `pretrain`: optimiser steps/s of seebench's objective loop against a bare PyTorch loop (same encoder,
   augmentation, loss, optimiser; images already on the device) for alexnet-small + align-uniform at 128 px
   (64 px crops, batch 768) and resnet50 + moco-v2 at 224 px (batch 256), each with fp32 / bf16 autocast
   and channels-last off / on (the objectives' `precision` and `channels_last` parameters);
2. `on-the-fly`: the same loop pretraining on images rendered on the fly by one generator of each group,
   with the share of step time the loop waited for images and the GPU utilisation sampled meanwhile;
3. `generators`: StyleGAN's batched CUDA path and featvis on CUDA against their CPU output (statistics
   within tolerance: the CUDA bytes differ, float sums run in another order);
4. `cell`: a shortened paper-small cell end to end (`seebench run`, one family, a few hundred steps, linear
   probe on an image folder exported from a real source) into a result file, with its wall time.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NEEDED = ("torch", "torchvision", "timm", "pluggy", "safetensors", "jsonschema", "pywt", "scipy", "sklearn",
          "matplotlib", "pandas", "tabulate", "rich", "PIL", "torchmetrics")

# (encoder, encoder params, objective, image size, crop, batch): the paper's two scales (and a CPU stand-in)
CONFIGS = {
    "paper-small": ("alexnet-small", {}, "align-uniform", 128, 64, 768),
    "paper-large": ("resnet50", {}, "moco-v2", 224, 224, 256),
}
SMOKE_CONFIGS = {"smoke": ("alexnet-small", {"width": 0.125}, "align-uniform", 32, 16, 16)}
ON_THE_FLY = ("dead-leaves-shapes", "spectrum-color-wmm", "stylegan-oriented", "fractaldb")


def ensure_installed(wheelhouse: str | None) -> None:
    """Install missing packages (and seebench itself) from a local wheelhouse only: never the network."""
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    has_seebench = importlib.util.find_spec("seebench_plugins") is not None
    if not missing and has_seebench:
        return
    if not wheelhouse:
        raise SystemExit(f"gpu.py: missing {', '.join(missing) or 'seebench'}; pass --wheelhouse DIR with their wheels")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheelhouse]
    names = {"pywt": "PyWavelets", "sklearn": "scikit-learn", "PIL": "Pillow"}
    if missing:
        subprocess.run(pip + [names.get(m, m) for m in missing], check=True)
    if not has_seebench:
        subprocess.run(pip + ["--no-deps", "seebench"], check=True)
    importlib.invalidate_caches()


class Utilisation:
    """GPU utilisation (%) sampled every 100 ms in a thread, through NVML (torch.cuda.utilization) or nvidia-smi."""

    def __init__(self, enabled: bool):
        self.enabled, self.samples, self._stop = enabled, [], threading.Event()

    def _read(self) -> float | None:
        import torch

        try:
            return float(torch.cuda.utilization())
        except Exception:  # no pynvml: ask nvidia-smi
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout.split()
                return float(out[0]) if out else None
            except (OSError, subprocess.SubprocessError, ValueError):
                return None

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            value = self._read()
            if value is not None:
                self.samples.append(value)

    def __enter__(self):
        if self.enabled:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.enabled:
            self._thread.join()

    @property
    def mean(self) -> float | None:
        return sum(self.samples) / len(self.samples) if self.samples else None


def build_cell(registry, data: str | None, encoder: str, enc_params: dict, objective: str, obj_params: dict,
               image_size: int, batch: int, steps: int, evaluator=("knn", {"source": "digits"})):
    from seebench import Budget, Cell, ComponentRef

    def ref(kind, name, params):
        comp = registry.get_data(name) if kind is None else registry.get(kind, name)
        return ComponentRef(comp.kind, name, comp.resolve_params(params), label=name, version=comp.version)

    budget = Budget.from_dict({"name": "gpu", "image_size": image_size, "images": steps * batch,
                               "batch_size": batch, "schedule": "constant"})
    return Cell(evaluator=ref("evaluator", *evaluator), data=ref(None, data, {}) if data else None,
                encoder=ref("encoder", encoder, enc_params), objective=ref("objective", objective, obj_params),
                seed=0, budget=budget)


def seebench_steps(registry, run_dir: Path, cfg, data: str, steps: int, precision: str, channels_last: bool):
    """(steps/s, seconds waited for images) of objective.pretrain through a real CellContext."""
    import torch

    from seebench import CellContext, default_device

    enc, enc_params, obj_name, size, crop, batch = cfg
    obj_params = {"crop_size": crop, "precision": precision, "channels_last": channels_last}
    cell = build_cell(registry, data, enc, enc_params, obj_name, obj_params, size, batch, steps)
    ctx = CellContext(cell, registry, run_dir, device=default_device())
    model = ctx.encoder()
    obj = ctx.build_ref(cell.objective)
    pdata = ctx.pretraining_data()
    sync()
    t0 = time.perf_counter()
    obj.pretrain(model, pdata, ctx)
    sync()
    del model
    torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return steps / (time.perf_counter() - t0), obj.data_seconds


def bare_steps(registry, run_dir: Path, cfg, images, steps: int, precision: str, channels_last: bool) -> float:
    """steps/s of a plain loop: the same encoder, views, loss and SGD over images already on the device."""
    import torch

    from seebench import CellContext, default_device
    from seebench_plugins.objectives.augment import TwoViews

    enc, enc_params, obj_name, size, crop, batch = cfg
    cell = build_cell(registry, None, enc, enc_params, obj_name, {"crop_size": crop}, size, batch, steps)
    ctx = CellContext(cell, registry, run_dir, device=default_device())
    device = ctx.device
    model = ctx.encoder().to(device)
    obj = ctx.build_ref(cell.objective)
    obj.setup(model, device)
    obj.heads.to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    params = list(model.parameters()) + list(obj.heads.parameters())
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    views = TwoViews(crop, blur=obj.blur)
    on_device = images.to(device)
    g = torch.Generator(device="cpu").manual_seed(0)
    model.train()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        batch_images = on_device[torch.randint(len(on_device), (batch,), generator=g).to(device)]
        x1, x2 = views(batch_images, device)
        x1, x2 = x1.contiguous(memory_format=fmt), x2.contiguous(memory_format=fmt)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = obj.loss(model, x1, x2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        obj.after_step(model)
    sync()
    return steps / (time.perf_counter() - t0)


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def section_pretrain(registry, tmp: Path, configs, steps: int, report: dict) -> None:
    out = report.setdefault("pretrain", [])
    for name, cfg in configs.items():
        gen = registry.get("generator", "white-noise").build()
        images = gen.generate(list(range(max(cfg[5], 64))), 0, cfg[3])  # in memory, for the bare loop
        for precision in ("fp32", "bf16"):
            for channels_last in (False, True):
                tag = f"{name}-{precision}-{'cl' if channels_last else 'nchw'}"
                seebench_steps(registry, tmp / f"warm-{tag}", cfg, "white-noise", 2, precision, channels_last)
                ours, waited = seebench_steps(registry, tmp / tag, cfg, "white-noise", steps, precision, channels_last)
                bare = bare_steps(registry, tmp / f"bare-{tag}", cfg, images, steps, precision, channels_last)
                row = {"config": name, "precision": precision, "channels_last": channels_last,
                       "seebench_steps_s": round(ours, 3), "bare_steps_s": round(bare, 3),
                       "ratio": round(ours / bare, 3), "images_s": round(ours * cfg[5], 1)}
                out.append(row)
                print(f"pretrain {tag:28s} seebench {ours:8.2f} steps/s  bare {bare:8.2f}  ratio {ours / bare:5.2f}",
                      flush=True)


def section_on_the_fly(registry, tmp: Path, configs, steps: int, report: dict, use_gpu: bool) -> None:
    out = report.setdefault("on_the_fly", [])
    for name, cfg in configs.items():
        for data in ON_THE_FLY:
            with Utilisation(use_gpu) as util:
                t0 = time.perf_counter()
                rate, waited = seebench_steps(registry, tmp / f"fly-{name}-{data}", cfg, data, steps, "bf16", True)
                total = time.perf_counter() - t0
            row = {"config": name, "data": data, "steps_s": round(rate, 3), "waiting_share": round(waited / total, 3),
                   "gpu_utilisation_pct": None if util.mean is None else round(util.mean, 1)}
            out.append(row)
            print(f"on the fly {name:12s} {data:20s} {rate:7.2f} steps/s, waiting {100 * waited / total:5.1f}%, "
                  f"GPU {row['gpu_utilisation_pct']}%", flush=True)


def image_stats(images) -> dict:
    """Per-batch statistics that say what the images look like (mean, std, high-frequency share)."""
    import torch

    x = images.float() / 255.0
    spec = torch.fft.rfft2(x.mean(1)).abs().pow(2).mean(0)
    h = spec.shape[0]
    fy = torch.fft.fftfreq(h).abs()[:, None]
    fx = torch.fft.rfftfreq(h)[None, :]
    high = (torch.maximum(fy, fx) > 0.25).float()
    return {"mean": float(x.mean()), "std": float(x.std()),
            "high_freq_share": float((spec * high).sum() / spec[1:].sum().clamp(min=1e-12))}


def section_generators(registry, report: dict, size: int, n: int, use_gpu: bool) -> None:
    out = report.setdefault("generators", [])
    names = [g for g in ("stylegan-random", "stylegan-highfreq", "stylegan-sparse", "stylegan-oriented", "featvis-random")
             if g in registry.names("generator")]
    for name in names:
        comp = registry.get("generator", name)
        params = {}
        cpu = comp.build({**params, "device": "cpu"}).generate(list(range(n)), 0, size)
        row = {"generator": name, "cpu": image_stats(cpu)}
        if use_gpu:
            t0 = time.perf_counter()
            gpu = comp.build({**params, "device": "cuda"}).generate(list(range(n)), 0, size)
            row["cuda_seconds"] = round(time.perf_counter() - t0, 2)
            row["cuda"] = image_stats(gpu)
            row["mean_abs_diff"] = float((gpu.float() - cpu.float()).abs().mean())
            # Tolerances: same images up to float summation order, so the batch statistics agree closely
            row["within_tolerance"] = all(abs(row["cuda"][k] - row["cpu"][k]) <= tol for k, tol in
                                          (("mean", 0.01), ("std", 0.01), ("high_freq_share", 0.02)))
        out.append(row)
        print(f"generator {name:20s} {json.dumps({k: v for k, v in row.items() if k != 'generator'})}", flush=True)


def export_probe_folder(folder: Path, per_class: int) -> str:
    """An image-folder (train/ and val/, one folder per class) from a real source: Fashion-MNIST or digits."""
    import numpy as np
    from PIL import Image

    from seebench.plugins.manager import load_registry

    registry = load_registry()
    for source in ("fashion-mnist", "digits"):
        try:
            src = registry.get("source", source).build()
            train, test = src.load("train"), src.load("test")
            break
        except Exception:  # its files are not on this machine: try the next
            continue
    else:
        raise SystemExit("gpu.py: no real source for the probe folder (neither Fashion-MNIST nor scikit-learn's digits)")
    for split, data in (("train", train), ("val", test)):
        counts: dict[int, int] = {}
        for img, label in zip(data.images, data.labels.tolist()):
            if counts.get(label, 0) >= per_class:
                continue
            counts[label] = counts.get(label, 0) + 1
            d = folder / split / f"class{label:02d}"
            d.mkdir(parents=True, exist_ok=True)
            arr = img.permute(1, 2, 0).numpy()
            Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr).save(d / f"{counts[label]:05d}.png")
    return source


def section_cell(tmp: Path, report: dict, smoke: bool, per_class: int) -> None:
    folder = tmp / "probe-folder"
    source = export_probe_folder(folder, per_class)
    size, crop, batch, images = (32, 16, 16, 64) if smoke else (128, 64, 768, 768 * 200)
    matrix = tmp / "paper-small-short.toml"
    matrix.write_text(f"""
[matrix]
name = "paper-small-short"
data = ["dead-leaves-shapes"]
encoders = ["alexnet-small{':width=0.125' if smoke else ''}"]
objectives = ["align-uniform"]
evaluators = [{{ name = "linear-probe", source = "image-folder", protocol = "fast", image_size = {32 if smoke else 64}, source_params = {{ root = "{folder}", size = {32 if smoke else 64} }} }}]
seeds = [0]
budgets = [{{ name = "short", image_size = {size}, images = {images}, batch_size = {batch}, schedule = "step" }}]

[params.align-uniform]
crop_size = {crop}
precision = "{'fp32' if smoke else 'bf16'}"
channels_last = {'false' if smoke else 'true'}
""")
    run_dir = tmp / "cell-run"
    exe = shutil.which("seebench") or str(Path(sys.executable).parent / "seebench")
    t0 = time.perf_counter()
    proc = subprocess.run([exe, "run", str(matrix), "--out", str(run_dir)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    results = sorted((run_dir / "results").glob("*.json")) if (run_dir / "results").is_dir() else []
    result = json.loads(results[0].read_text()) if results else None
    report["cell"] = {"returncode": proc.returncode, "wall_s": round(wall, 1), "probe_source": source,
                      "metrics": result and result.get("metrics"), "status": result and result.get("status"),
                      "stderr_tail": proc.stderr[-2000:]}
    print(f"cell paper-small-short: rc {proc.returncode}, {wall:.0f} s, metrics {result and result.get('metrics')}",
          flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.environ.get("OUT", "."), "gpu.json"))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes on the CPU: checks the script, measures nothing")
    ap.add_argument("--wheelhouse", default=None, help="folder of wheels for what the machine lacks (no network)")
    ap.add_argument("--steps", type=int, default=0, help="steps per measurement (default 30 on a GPU, 2 in --smoke)")
    ap.add_argument("--sections", default="pretrain,on-the-fly,generators,cell")
    args = ap.parse_args()
    ensure_installed(args.wheelhouse)
    import torch

    from seebench.plugins.manager import load_registry

    use_gpu = torch.cuda.is_available() and not args.smoke
    if not use_gpu and not args.smoke:
        raise SystemExit("gpu.py: torch sees no CUDA GPU; run with --smoke to check the script on the CPU")
    if args.smoke:
        os.environ["SEEBENCH_DEVICE"] = "cpu"
    steps = args.steps or (2 if args.smoke else 30)
    configs = SMOKE_CONFIGS if args.smoke else CONFIGS
    report = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0) if use_gpu else "cpu",
              "smoke": args.smoke, "steps": steps}
    registry = load_registry()
    sections = set(args.sections.split(","))
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for name, run in (("pretrain", lambda: section_pretrain(registry, tmp, configs, steps, report)),
                          ("on-the-fly", lambda: section_on_the_fly(registry, tmp, configs, steps, report, use_gpu)),
                          ("generators", lambda: section_generators(registry, report, 32 if args.smoke else 128,
                                                                    4 if args.smoke else 64, use_gpu)),
                          ("cell", lambda: section_cell(tmp, report, args.smoke, 20 if args.smoke else 300))):
            if name not in sections:
                continue
            t0 = time.perf_counter()
            try:
                run()
            except Exception as exc:  # one broken section must not cost the others' figures
                report.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
                print(f"{name}: FAILED {type(exc).__name__}: {exc}", flush=True)
            report.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 1)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(report, indent=1))  # after every section: a timeout keeps the rest
    print(f"wrote {args.out}")
    return 1 if report.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
