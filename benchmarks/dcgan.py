"""Camera-track speed: seebench's DCGAN training img/s vs a plain pytorch/examples loop, and the
fingerprint evaluator on 350 960x720 photos.

    python benchmarks/dcgan.py [--steps 6] [--batch 64] [--photos 350] [--skip-fingerprint]

Both DCGAN loops train the same nets (64 px, nz 100, ngf = ndf = 64, Adam 2e-4 / 0.5) on the same
in-memory images; they alternate, each timed over the same number of steps after one warm-up step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.optim as optim

from seebench import Budget, Cell, CellContext, ComponentRef
from seebench.plugins.manager import load_registry
from seebench_plugins.generators.dcgan import DCGAN, Trainer


# ---- the plain loop: pytorch/examples/dcgan/main.py, data already in memory ----------------------
class PlainG(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, x):
        return self.main(x)


class PlainD(nn.Module):
    def __init__(self, ndf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())

    def forward(self, x):
        return self.main(x).view(-1, 1).squeeze(1)


def weights_init(m):
    name = m.__class__.__name__
    if name.find("Conv") != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif name.find("BatchNorm") != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class PlainLoop:
    def __init__(self, images: torch.Tensor, batch: int):
        self.loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images), batch_size=batch,
                                                  shuffle=True, drop_last=True)
        self.netG, self.netD = PlainG(), PlainD()
        self.netG.apply(weights_init)
        self.netD.apply(weights_init)
        self.crit = nn.BCELoss()
        self.optD = optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optG = optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.it = iter(self.loader)

    def step(self):
        try:
            (data,) = next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            (data,) = next(self.it)
        real = data.float() / 127.5 - 1  # ToTensor + Normalize(0.5, 0.5)
        b = real.size(0)
        self.netD.zero_grad()
        label = torch.full((b,), 1.0)
        err_real = self.crit(self.netD(real), label)
        err_real.backward()
        noise = torch.randn(b, 100, 1, 1)
        fake = self.netG(noise)
        label.fill_(0.0)
        err_fake = self.crit(self.netD(fake.detach()), label)
        err_fake.backward()
        self.optD.step()
        self.netG.zero_grad()
        label.fill_(1.0)
        err_g = self.crit(self.netD(fake), label)
        err_g.backward()
        self.optG.step()


def make_ctx(run_dir: Path, registry, budget_images: int, batch: int, source: str, **dcgan) -> CellContext:
    def ref(kind, name, **params):
        comp = registry.get(kind, name)
        return ComponentRef(kind, name, comp.resolve_params(params), name, comp.version)

    cell = Cell(evaluator=ref("evaluator", "fingerprint", source=source), data=ref("generator", "dcgan", source=source, **dcgan),
                encoder=None, objective=None, seed=0,
                budget=Budget(name="bench", image_size=64, images=budget_images, batch_size=batch))
    return CellContext(cell, registry, run_dir, device=torch.device("cpu"), log=lambda m: print("  log:", m[:300]))


def bench_dcgan(registry, steps: int, batch: int, rounds: int) -> None:
    run = Path(tempfile.mkdtemp(prefix="bench-dcgan-"))
    source = "camera-sim:count=100"
    ctx = make_ctx(run, registry, steps * batch * 100, batch, source, sample_every=0, checkpoint_every=0)
    gan: DCGAN = ctx.build_ref(ctx.cell.data)
    ident = gan.fit_identity(ctx)
    path = ctx.cache_path("dcgan", ident, ".safetensors")
    gan.cache_file, gan.sample_dir = path, path.with_suffix("")
    images = ctx.load_source(ident["source"], ident["source_params"], "train").images
    ours = Trainer(gan, ident, images, ctx)
    torch.manual_seed(0)
    plain = PlainLoop(images, batch)
    ours.train_until(1)  # warm-up; train_until is the loop alone (no grids or checkpoints configured here)
    plain.step()
    t_ours = t_plain = 0.0
    def time_ours() -> float:
        t0 = time.perf_counter()
        ours.train_until(ours.step + steps)
        return time.perf_counter() - t0

    def time_plain() -> float:
        t0 = time.perf_counter()
        for _ in range(steps):
            plain.step()
        return time.perf_counter() - t0

    for r in range(rounds):  # alternate, and alternate who goes first, so both see the same machine state
        if r % 2 == 0:
            t_ours += time_ours()
            t_plain += time_plain()
        else:
            t_plain += time_plain()
            t_ours += time_ours()
    n = rounds * steps * batch
    ips_ours, ips_plain = n / t_ours, n / t_plain
    print(f"DCGAN 64px, batch {batch}, {rounds}x{steps} steps each, {torch.get_num_threads()} threads")
    print(f"  seebench dcgan : {ips_ours:7.1f} img/s")
    print(f"  plain loop     : {ips_plain:7.1f} img/s")
    print(f"  ratio seebench/plain = {ips_ours / ips_plain:.2f} (target >= 1.0)")


def bench_fingerprint(registry, photos: int, crop: int) -> None:
    from seebench_plugins.sources.camera_sim import CameraSim

    run = Path(tempfile.mkdtemp(prefix="bench-fp-"))
    folder = run / "photos"
    t0 = time.perf_counter()
    CameraSim(device=0, count=photos).write_folder(folder, photos)  # 960x720 JPEGs with EXIF
    CameraSim(device=1, count=photos).write_folder(run / "other", max(8, photos // 5))
    print(f"wrote {photos} simulated 960x720 JPEGs in {time.perf_counter() - t0:.0f}s (not part of the timing)")
    source = f"photos:path={folder},camera=iPod touch 4"
    ctx = make_ctx(run, registry, 64, 64, source, mode="crops", resolution=64, images=64, batch_size=32,
                   ngf=16, ndf=16, sample_every=0, checkpoint_every=0)
    ctx.generator()  # a tiny fit, not timed: the timing is the evaluator's
    ev = ctx.build("evaluator", "fingerprint", {"source": source, "crop_size": crop,
                                                "other_source": f"photos:path={run / 'other'},min_images=1,held_out=0.99,reference=0"})
    from seebench_plugins.sources import photos as photos_module

    ctx._memo.clear()  # time reading and decoding the photos too, not only the maths
    photos_module._CACHE.clear()
    t0 = time.perf_counter()
    metrics = ev.evaluate(ctx)  # reads + decodes the 350 photos, K, residuals, PCE, spectra
    dt = time.perf_counter() - t0
    print(f"fingerprint evaluator on {photos} photos ({crop}px crops x 4 positions): {dt:.1f}s (target < 120 s)")
    print(f"  pooled PCE real {metrics['pce_real_pooled']:.0f}, other device {metrics['pce_other_pooled']:.1f}, "
          f"samples {metrics['pce_gen_pooled']:.1f}; controls_ok={metrics['controls_ok']:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--photos", type=int, default=350)
    ap.add_argument("--crop", type=int, default=64)
    ap.add_argument("--skip-fingerprint", action="store_true")
    ap.add_argument("--skip-dcgan", action="store_true")
    args = ap.parse_args()
    registry = load_registry()
    if not args.skip_dcgan:
        bench_dcgan(registry, args.steps, args.batch, args.rounds)
    if not args.skip_fingerprint:
        bench_fingerprint(registry, args.photos, args.crop)


if __name__ == "__main__":
    main()
