"""Generator `dcgan`: a DCGAN fitted to a source inside a cell, cached by content key, resumable."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from seebench import (GENERATOR, CellFailed, Component, EpochOrder, Param, atomic_write_text, hookimpl, keyed_generator,
                     keyed_seed, load_tensors, load_torch, param_defaults, read_or_set_aside, save_tensors, save_torch,
                     to_rgb, to_uint8)

from seebench_plugins.generators.dcgan_nets import Discriminator, Generator, weights_init
from seebench_plugins.generators.diffaugment import diff_augment, parse_policy
from seebench_plugins.sources.source_spec import resolve_source

VERSION = "2"  # 2: optional position conditioning, KID-tracked best step


def latents(indices: Sequence[int], seed: int, nz: int) -> torch.Tensor:
    """z of image i under seed s, drawn from an RNG keyed by (s, i): batch- and order-independent."""
    zs = [torch.randn(nz, generator=keyed_generator("dcgan-z", seed, int(i)))
          for i in indices]
    return torch.stack(zs).view(len(zs), nz, 1, 1)


PARAMS = (
    Param("source", "camera-sim", "source to fit, a spec string like photos:path=DIR,camera=iPod touch 4"),
    Param("source_params", None, "extra parameters of that source", type=dict),
    Param("mode", "resize", "camera sources: resize (whole frames) or crops (native sensor crops)",
          choices=("resize", "crops")),
    Param("resolution", 64, "64 (pytorch/examples), 128 (one more up/down-sampling stage) or 32 (one fewer, quick demos)",
          choices=(32, 64, 128)),
    Param("nz", 100, "latent size", minimum=1),
    Param("ngf", 64, "generator width", minimum=1),
    Param("ndf", 64, "discriminator width", minimum=1),
    Param("lr", 2e-4, "Adam learning rate (both nets)", minimum=0.0),
    Param("beta1", 0.5, "Adam beta1", minimum=0.0, maximum=1.0),
    Param("diffaugment", "", "DiffAugment policy for few images, e.g. color,translation,cutout (empty: off)"),
    Param("images", 0, "images seen while fitting (0: the cell budget's images/epochs)", minimum=0),
    Param("batch_size", 0, "fitting batch size (0: the cell budget's)", minimum=0),
    Param("sample_every", 200, "write a sample grid PNG every N steps (0: only at the end)", minimum=0),
    Param("checkpoint_every", 50, "checkpoint every N steps so a killed cell resumes (0: never)", minimum=0),
    Param("conditional", False, "crops: condition G and D on the sensor position; sample i belongs to "
          "position i mod positions and is tested against that position's fingerprint"),
    Param("kid_every", 0, "every N steps: KID of samples vs held-out photos; the generator at the best "
          "KID is kept (0: off, keep the last)", minimum=0),
    Param("kid_samples", 256, "samples per tracked KID", minimum=2),
    Param("patience", 0, "stop when KID has not improved for this many evaluations (0: train the whole budget)",
          minimum=0),
)


@param_defaults(PARAMS)
class DCGAN:
    """A DCGAN (pytorch/examples defaults) fitted once per (source, parameters, seed, budget)."""

    def __init__(self, *, source: str, source_params: dict | None, mode: str, resolution: int, nz: int, ngf: int,
                 ndf: int, lr: float, beta1: float, diffaugment: str, images: int, batch_size: int,
                 sample_every: int, checkpoint_every: int, conditional: bool, kid_every: int, kid_samples: int,
                 patience: int):
        self.source, self.source_params, self.mode = source, dict(source_params or {}), mode
        self.resolution, self.nz, self.ngf, self.ndf = resolution, nz, ngf, ndf
        self.lr, self.beta1 = lr, beta1
        self.policy = parse_policy(diffaugment)
        self.images, self.batch_size = images, batch_size
        self.sample_every, self.checkpoint_every = sample_every, checkpoint_every
        self.conditional, self.kid_every, self.kid_samples, self.patience = conditional, kid_every, kid_samples, patience
        self.classes = 0  # sensor positions the generator is conditioned on (set by the fit)
        self.netG: Generator | None = None
        self.info: dict[str, Any] = {}

    # -- what identifies a fit -------------------------------------------------------------------
    def fit_identity(self, ctx) -> dict[str, Any]:
        name, params = resolve_source(ctx, self.source, self.source_params, mode=self.mode, size=self.resolution)
        budget = ctx.budget
        batch = self.batch_size or budget.batch_size
        return {"component": "dcgan", "version": VERSION, "source": name, "source_params": params,
                "resolution": self.resolution, "nz": self.nz, "ngf": self.ngf, "ndf": self.ndf, "lr": self.lr,
                "beta1": self.beta1, "diffaugment": list(self.policy), "seed": ctx.seed, "batch_size": batch,
                "images": self.images or budget.images, "epochs": 0.0 if (self.images or budget.images) else budget.epochs,
                **({"conditional": True} if self.conditional else {}),
                **({"kid_every": self.kid_every, "kid_samples": self.kid_samples, "patience": self.patience}
                   if self.kid_every else {})}

    def fit(self, ctx) -> None:
        ident = self.fit_identity(ctx)
        path = ctx.cache_path("dcgan", ident, ".safetensors")
        self.cache_file, self.sample_dir = path, path.with_suffix("")
        if path.exists():  # checked by cache_path: a damaged file was set aside (and is refitted)
            meta = path.with_suffix(".json")
            self.info = json.loads(meta.read_text()) if meta.exists() else {}
            self.classes = int(self.info.get("classes", 0))
            self.netG = Generator(self.nz, self.ngf, 3, self.resolution, self.classes)
            self.netG.load_state_dict(load_tensors(path))
            ctx.log(f"dcgan: reusing fitted generator {path.name}")
        else:
            train = ctx.load_source(ident["source"], ident["source_params"], "train")
            skipped = getattr(train, "skipped", None)
            if skipped:
                ctx.log(f"dcgan: source skipped {len(skipped)} unreadable files, e.g. {skipped[0][0]}: {skipped[0][1]}")
            held_out = ctx.load_source(ident["source"], ident["source_params"], "test").images if self.kid_every else None
            trainer = Trainer(self, ident, train.images, ctx, train.labels if self.conditional else None, held_out)
            trainer.run()
            self.netG = trainer.netG
            self.info = trainer.info
            self.classes = trainer.classes
            self._save(path)
        self.netG.eval()
        # shown beside the numbers on the leaderboard (the harness records a data object's artifacts)
        self.artifacts = {name: self.sample_dir / f"{name}.png" for name in ("samples", "real", "curves")
                          if (self.sample_dir / f"{name}.png").exists()}
        hist = self.info.get("history") or []  # the fit's losses as curves in the result, also when it was cached
        self.curves = {f"dcgan/{c}": {"step": [int(h[0]) for h in hist], "value": [h[i] for h in hist]}
                       for i, c in enumerate(self.info.get("history_columns", [])[1:], start=1)}

    def _save(self, path: Path) -> None:
        atomic_write_text(path.with_suffix(".json"), json.dumps(self.info, indent=1, default=str))
        save_tensors(path, self.netG.state_dict())  # atomic, with a digest checked when it is read

    # -- sampling ----------------------------------------------------------------------------------
    def sensor_positions(self, indices: Sequence[int]) -> torch.Tensor | None:
        """Conditional fits: sample i belongs to sensor position i mod positions (None otherwise)."""
        if not self.classes:
            return None
        return torch.as_tensor([int(i) % self.classes for i in indices], dtype=torch.long)

    def generate(self, indices: Sequence[int], seed: int, size: int) -> torch.Tensor:
        if self.netG is None:
            raise RuntimeError("dcgan: generate() before fit(ctx); the harness fits generators first")
        z = latents(indices, seed, self.nz)
        pos = self.sensor_positions(indices)
        device = next(self.netG.parameters()).device
        self.netG.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(z), 256):
                lab = pos[start:start + 256].to(device) if pos is not None else None
                x = self.netG(z[start:start + 256].to(device), lab).float().cpu()
                x = (x + 1) / 2
                if size != self.resolution:
                    x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
                out.append(to_uint8(x))
        return torch.cat(out) if out else torch.empty(0, 3, size, size, dtype=torch.uint8)


class Trainer:
    """The pytorch/examples training loop with a budget, checkpoints, DiffAugment and sample grids."""

    def __init__(self, gan: DCGAN, ident: dict[str, Any], images: torch.Tensor, ctx,
                 labels: torch.Tensor | None = None, held_out: torch.Tensor | None = None):
        self.gan, self.ident, self.ctx = gan, ident, ctx
        if gan.conditional and labels is None:
            raise CellFailed(f"dcgan: conditional=true needs sensor positions; the source '{ident['source']}' gave "
                             "none (use mode=crops)")
        self.labels = labels.to(ctx.device) if labels is not None else None
        self.classes = int(labels.max()) + 1 if labels is not None else 0
        self.device = ctx.device
        x = to_rgb(images).float().div_(127.5).sub_(1.0)
        if x.shape[-1] != gan.resolution or x.shape[-2] != gan.resolution:
            x = F.interpolate(x, size=(gan.resolution,) * 2, mode="bilinear", antialias=True, align_corners=False)
        self.data = x.contiguous().to(self.device)
        self.n = len(self.data)
        if self.n < 2:
            raise CellFailed(f"dcgan: the source '{ident['source']}' gave {self.n} training images; need at least 2")
        self.batch = ident["batch_size"]
        seen = ident["images"] or int(math.ceil(ident["epochs"] * self.n))
        if seen <= 0:
            raise CellFailed("dcgan: the budget gives 0 images to train on; set images= (or epochs=) in the budget")
        self.steps = int(math.ceil(seen / self.batch))
        self.seed = ident["seed"]
        torch.manual_seed(self.seed)
        self.netG = Generator(gan.nz, gan.ngf, 3, gan.resolution, self.classes).to(self.device)
        self.netD = Discriminator(gan.ndf, 3, gan.resolution, self.classes).to(self.device)
        self.netG.apply(weights_init)
        self.netD.apply(weights_init)
        self.tracker = None
        if gan.kid_every and held_out is not None:
            from seebench_plugins.generators.dcgan_tracking import KidTracker

            self.tracker = KidTracker(ctx, held_out, gan.kid_every, gan.kid_samples, gan.patience, self.seed)
        self.optG = torch.optim.Adam(self.netG.parameters(), lr=gan.lr, betas=(gan.beta1, 0.999))
        self.optD = torch.optim.Adam(self.netD.parameters(), lr=gan.lr, betas=(gan.beta1, 0.999))
        key = Path(str(gan.cache_file)).stem
        self.ckpt = ctx.checkpoint_dir / f"dcgan-{key}.pt"
        self.sample_dir = gan.sample_dir
        self.history: list[list[float]] = []
        self.step = 0
        self.order = EpochOrder(self.n, lambda epoch: keyed_seed("dcgan-perm", self.seed, epoch))
        self.info: dict[str, Any] = {}

    # -- deterministic data order: step s always sees the same images, resumed or not -------------
    def _indices(self, step: int) -> torch.Tensor:
        return self.order.indices(step, self.batch)

    def _resume(self) -> None:
        state = read_or_set_aside(self.ckpt, lambda p: load_torch(p, self.device), self.ctx.log)
        if state is None:  # none yet, or damaged (set aside with one line): start from step 0
            return
        self.netG.load_state_dict(state["G"])
        self.netD.load_state_dict(state["D"])
        self.optG.load_state_dict(state["optG"])
        self.optD.load_state_dict(state["optD"])
        self.step = int(state["step"])
        self.history = state["history"].tolist()
        if self.tracker is not None and "kid_history" in state:
            self.tracker.load_state(state)
        self.ctx.log(f"dcgan: resumed from {self.ckpt.name} at step {self.step}/{self.steps}")

    def _checkpoint(self) -> None:
        state = {"G": self.netG.state_dict(), "D": self.netD.state_dict(), "optG": self.optG.state_dict(),
                 "optD": self.optD.state_dict(), "step": torch.tensor(self.step),
                 "history": torch.tensor(self.history, dtype=torch.float64).reshape(-1, 5),
                 **(self.tracker.state() if self.tracker is not None else {})}
        save_torch(self.ckpt, state)  # atomic, with a digest

    def _positions(self, n: int) -> torch.Tensor | None:
        return torch.arange(n, device=self.device) % self.classes if self.classes else None

    def _kid_samples(self) -> torch.Tensor:
        """uint8 samples for the KID tracker: fixed latents, eval-mode batch norm as sampling uses."""
        was = self.netG.training
        self.netG.eval()
        n = self.gan.kid_samples
        with torch.inference_mode():
            x = self.netG(latents(range(10_000, 10_000 + n), self.seed, self.gan.nz).to(self.device),
                          self._positions(n)).cpu()
        self.netG.train(was)
        return to_uint8((x + 1) / 2)

    def _grid(self, name: str) -> None:
        from torchvision.utils import save_image

        self.sample_dir.mkdir(parents=True, exist_ok=True)
        was = self.netG.training
        self.netG.eval()
        with torch.inference_mode():
            x = self.netG(latents(range(64), self.seed, self.gan.nz).to(self.device), self._positions(64)).cpu()
        self.netG.train(was)
        save_image((x + 1) / 2, self.sample_dir / name, nrow=8)

    def run(self, stop_after: int | None = None) -> None:
        """Train to the budget (or only up to step `stop_after`, for tests of resuming)."""
        from torchvision.utils import save_image

        self._resume()
        self.sample_dir.mkdir(parents=True, exist_ok=True)
        real_png = self.sample_dir / "real.png"
        if not real_png.exists():
            save_image((self.data[:64].cpu() + 1) / 2, real_png, nrow=8)
        t0, start_step = time.perf_counter(), self.step
        last = min(self.steps, stop_after) if stop_after is not None else self.steps
        self.train_until(last)
        wall = time.perf_counter() - t0
        if stop_after is not None and self.step < self.steps:
            self._checkpoint()
            return
        chosen = self.step
        if self.tracker is not None and self.tracker.best_state is not None:
            self.netG.load_state_dict(self.tracker.best_state)  # the generator at its best KID
            chosen = self.tracker.best_step
        self._recalibrate_bn()
        self._grid("samples.png")
        done = self.step - start_step
        from seebench_plugins.generators.dcgan_tracking import plot_curves

        plot_curves(self.sample_dir / "curves.png", self.history, self.tracker.history if self.tracker else [],
                    chosen if self.tracker else None)
        self.info = {"identity": self.ident, "steps": self.steps, "images_seen": self.steps * self.batch,
                     "train_images": self.n, "wall_s": wall,
                     "img_per_s": done * self.batch / wall if wall > 0 else None,
                     "history_columns": ["step", "loss_d", "loss_g", "d_real", "d_fake"], "history": self.history,
                     "sample_grid": str(self.sample_dir / "samples.png"), "real_grid": str(real_png),
                     "classes": self.classes, "chosen_step": chosen,
                     "stopped_at": getattr(self, "stopped_at", None),
                     "kid_history": self.tracker.history if self.tracker is not None else [],
                     "best_kid": self.tracker.best_kid if self.tracker is not None else None}
        self.ctx.log(f"dcgan: {self.steps} steps on {self.n} images in {wall:.0f}s; samples in {self.sample_dir}")
        self.ckpt.unlink(missing_ok=True)

    def train_until(self, last: int) -> None:
        """The training steps themselves, up to step `last` (grids and checkpoints as configured)."""
        policy = self.gan.policy
        bce = torch.nn.BCEWithLogitsLoss()
        ones = torch.ones(self.batch, device=self.device)
        zeros = torch.zeros(self.batch, device=self.device)
        self.netG.train()
        self.netD.train()
        while self.step < last:
            s = self.step
            g = keyed_generator("dcgan-step", self.seed, s)
            idx = self._indices(s).to(self.device)
            real = self.data[idx]
            z = torch.randn(self.batch, self.gan.nz, 1, 1, generator=g).to(self.device)
            # conditional: D sees each real crop with its sensor position, G makes crops for drawn positions
            lab_real = self.labels[idx] if self.classes else None
            lab_fake = torch.randint(self.classes, (self.batch,), generator=g).to(self.device) if self.classes else None
            aug = (lambda x: diff_augment(x, policy, g)) if policy else (lambda x: x)  # noqa: E731
            # (1) D: maximise log D(x) + log(1 - D(G(z)))
            self.optD.zero_grad(set_to_none=True)
            out_real = self.netD(aug(real), lab_real)
            err_real = bce(out_real, ones)
            err_real.backward()  # as pytorch/examples: free the real graph before the fake one (less memory)
            fake = self.netG(z, lab_fake)
            out_fake = self.netD(aug(fake.detach()), lab_fake)
            err_fake = bce(out_fake, zeros)
            err_fake.backward()
            err_d = err_real.detach() + err_fake.detach()
            self.optD.step()
            # (2) G: maximise log D(G(z))
            self.optG.zero_grad(set_to_none=True)
            self.netD.requires_grad_(False)  # D's weight gradients here would be discarded anyway
            out = self.netD(aug(fake), lab_fake)
            err_g = bce(out, ones)
            err_g.backward()
            self.netD.requires_grad_(True)
            self.optG.step()
            self.step += 1
            if s % 10 == 0 or self.step == last:
                d, gl = err_d.item(), err_g.item()
                if not (math.isfinite(d) and math.isfinite(gl)):
                    raise CellFailed(f"dcgan: loss became NaN/inf at step {s} (D {d}, G {gl}); lower lr or change the seed")
                self.history.append([s, d, gl, torch.sigmoid(out_real).mean().item(), torch.sigmoid(out_fake).mean().item()])
                self.ctx.record_step(s, dict(zip(("dcgan/loss_d", "dcgan/loss_g", "dcgan/d_real", "dcgan/d_fake"),
                                                 self.history[-1][1:])))  # streamed to plugins (TensorBoard)
            self.ctx.progress(self.step, self.steps, "dcgan")
            if self.gan.sample_every and self.step % self.gan.sample_every == 0:
                self._grid(f"samples_step{self.step:06d}.png")
            if self.tracker is not None and self.tracker.due(self.step):
                kid = self.tracker.evaluate(self.step, self.netG, self._kid_samples)
                self.ctx.log(f"dcgan: step {self.step}: KID {kid:.4f} (best {self.tracker.best_kid:.4f} at "
                             f"step {self.tracker.best_step})")
                self.ctx.record_step(self.step, {"dcgan/kid": kid})
                if self.tracker.stop:
                    self.ctx.log(f"dcgan: KID has not improved for {self.gan.patience} evaluations; stopping at "
                                 f"step {self.step}, keeping step {self.tracker.best_step}")
                    self.stopped_at = self.step
                    self.step = last = self.steps
                    break
            if self.gan.checkpoint_every and self.step % self.gan.checkpoint_every == 0 and self.step < self.steps:
                self._checkpoint()

    def _recalibrate_bn(self, batches: int = 8, size: int = 128) -> None:
        """Population batch-norm statistics for eval-mode sampling (so image i never depends on its
        batch): a cumulative average over fixed latents, replacing the momentum running averages."""
        for m in self.netG.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None
        self.netG.train()
        with torch.no_grad():
            for b in range(batches):
                z = latents(range(b * size, (b + 1) * size), keyed_seed("dcgan-bn", self.seed), self.gan.nz)
                self.netG(z.to(self.device), self._positions(size))
        for m in self.netG.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = 0.1
        self.netG.eval()


@hookimpl
def seebench_register_generators():
    return [
        Component(
            kind=GENERATOR,
            name="dcgan",
            factory=DCGAN,
            description="DCGAN (Radford et al., pytorch/examples defaults) fitted to a source in the cell, cached",
            params=PARAMS,
            tags=("gan",),
            metadata={"role": "synthetic", "family": "GAN fitted to real photos",
                      "reference": {"paper": "Radford, Metz, Chintala 2016 (DCGAN)"}},
            version=VERSION,
        )
    ]
