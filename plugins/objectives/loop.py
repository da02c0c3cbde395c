"""The pretraining loop every objective shares: sampling, augmentation, SGD + schedule, checkpoints, NaN stop, DDP."""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from seebench import CellFailed, EpochOrder, content_key, content_seed

from seebench_plugins.objectives import checkpoint
from seebench_plugins.objectives.augment import TwoViews
from seebench_plugins.objectives.distributed import World
from seebench_plugins.objectives.prefetch import Batches, prefetch_depth
from seebench_plugins.objectives.schedule import lr_factor, set_lr

CURVE = "pretrain/loss"  # the loss of every step, in the result's curves (averaged to a few hundred points)


def epoch_order(seed: int, n: int) -> EpochOrder:
    """The data order of a cell: per-epoch permutations seeded by (seed, epoch), the same for a resumed cell."""
    return EpochOrder(n, lambda epoch: content_seed(seed, "epoch", epoch))


def mlp_head(dim_in: int, dim_out: int = 128, hidden: int = 0) -> nn.Module:
    hidden = hidden or dim_in
    return nn.Sequential(nn.Linear(dim_in, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, dim_out))


class Pretrainer:
    """Base class of an objective: subclasses set `name`, implement `setup` and `loss`.

    Hyperparameters live in `self.hp` (the component's resolved params). The encoder's `embed`
    (when it has one, e.g. alexnet-small) is the output the loss sees; otherwise the objective
    puts its own `head` on the encoder's features. Heads are dropped after pretraining.

    Under torch.distributed (several ranks, see distributed.py) each rank augments and embeds its slice
    of the global batch; `loss` should pass embeddings through `self.world.gather` so that it sees the
    whole global batch, as the built-in objectives do. A loss that does not gather is computed per rank
    and its gradients are averaged, as plain DDP would.
    """

    name = "objective"
    blur = False

    def __init__(self, **hp: Any):
        self.hp = hp
        self.heads = nn.ModuleDict()
        self.world = World()

    # -- to override -----------------------------------------------------------------------
    def setup(self, encoder: nn.Module, device: torch.device) -> None:
        """Build heads (in self.heads) and any extra state before training."""

    def loss(self, encoder: nn.Module, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def after_step(self, encoder: nn.Module) -> None:
        """Called after each optimiser step (MoCo's momentum update)."""

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        pass

    # -- shared ----------------------------------------------------------------------------
    def embed(self, encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """L2-normalised pretraining output: encoder.embed if it exists, else head(encoder(x)).

        Always float32, so the losses (pdist, logits over a queue) are computed in full precision
        also when the forward pass runs under bf16 autocast (`precision = "bf16"`).
        """
        if hasattr(encoder, "embed"):
            return nn.functional.normalize(encoder.embed(x).float(), dim=1)
        return nn.functional.normalize(self.heads["proj"](encoder(x)).float(), dim=1)

    def projection(self, encoder: nn.Module, kind: str, dim: int) -> None:
        if not hasattr(encoder, "embed"):
            f = encoder.feature_dim
            self.heads["proj"] = mlp_head(f, dim) if kind == "mlp" else nn.Linear(f, dim)

    def pretrain(self, encoder: nn.Module, data, ctx) -> nn.Module:
        with torch.inference_mode(False), torch.enable_grad():
            return self._pretrain(encoder, data, ctx)

    def _pretrain(self, encoder: nn.Module, data, ctx) -> nn.Module:
        if data is None or len(data) == 0:
            raise CellFailed(f"objective {self.name}: no pretraining data")
        budget = ctx.budget
        device = ctx.device
        steps = budget.steps(len(data))
        world = self.world = World.current()
        if budget.batch_size < world.size:
            raise CellFailed(f"objective {self.name}: batch_size {budget.batch_size} is smaller than the {world.size} "
                             f"processes sharing it; raise batch_size or use fewer processes")
        part = world.share(budget.batch_size)
        rows = slice(part.start, part.stop) if world.distributed else None
        crop = self.hp.get("crop_size") or budget.image_size
        views = TwoViews(crop, blur=self.blur, scale_min=self.hp.get("scale_min", 0.08))
        world.broadcast_(encoder)  # ranks start from rank 0's weights (they agree already when seeded alike)
        bf16 = self.hp.get("precision", "fp32") == "bf16"
        memory = torch.channels_last if self.hp.get("channels_last", False) else None
        if memory is not None:  # before setup(), so copies of the encoder (MoCo's key encoder) share it
            encoder.to(memory_format=memory)
        torch.manual_seed(content_seed(ctx.seed, "heads"))
        self.setup(encoder, device)
        self.heads.to(device)
        params = [p for p in list(encoder.parameters()) + list(self.heads.parameters()) if p.requires_grad]
        base_lr = self.hp["lr"] * budget.batch_size / 256  # linear scaling rule (global batch)
        opt = torch.optim.SGD(params, lr=base_lr, momentum=self.hp.get("momentum", 0.9),
                              weight_decay=self.hp.get("weight_decay", 1e-4))

        hp = {k: v for k, v in self.hp.items() if not k.startswith("checkpoint_")}
        key = content_key({"cell": ctx.cell.pretrained_key, "objective": self.name, "hp": hp, "steps": steps})
        path = ctx.checkpoint_dir / "pretrain.pt"
        start = 0
        blob = checkpoint.load(path, key)  # every rank reads the same file: ranks stay identical
        if blob is not None:
            encoder.load_state_dict(blob["encoder"])
            self.heads.load_state_dict(blob["heads"])
            opt.load_state_dict(blob["optimizer"])
            self.load_extra_state(blob["extra"])
            ctx.curves.load_state(blob.get("curves"))  # the curve goes on where it stopped
            start = int(blob["step"])
            if world.main:
                ctx.log(f"{self.name}: resuming from step {start} of {steps} ({path})")

        every = int(self.hp.get("checkpoint_every", 0))
        seconds = float(self.hp.get("checkpoint_seconds", 300.0))
        last_save = time.monotonic()
        order = epoch_order(ctx.seed, len(data))
        self.losses: list[float] = []
        encoder.train()
        self.heads.train()
        # Each rank makes only its rows of the global batch (images are deterministic per index).
        def make(i: int) -> torch.Tensor:
            return data.batch(order.indices(i, budget.batch_size)[part.start:part.stop])
        batches = Batches(make, start, steps, prefetch_depth(getattr(data, "kind", "source")))
        stream = iter(batches)
        try:
            with world.batchnorm(encoder, self.heads) as per_rank:
                if per_rank and world.main:
                    ctx.log(f"{self.name}: {len(per_rank)} BatchNorm layer(s) of their own kind keep per-rank "
                            f"statistics under DDP: {', '.join(per_rank[:3])}")
                for step, images in zip(range(start, steps), stream):
                    set_lr(opt, base_lr * lr_factor(budget.schedule, step, steps, self.hp.get("warmup_steps", 0)))
                    # Augmentation randomness is seeded per step, so a resumed run repeats it exactly
                    # (and every rank draws the global batch's parameters, then applies its rows').
                    torch.manual_seed(content_seed(ctx.seed, "step", step))
                    x1, x2 = views(images, device, rows, budget.batch_size)
                    if memory is not None:
                        x1, x2 = x1.contiguous(memory_format=memory), x2.contiguous(memory_format=memory)
                    # bf16 autocast: matmuls and convolutions in bfloat16, the weights and SGD stay float32
                    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                        loss = self.loss(encoder, x1, x2)
                    value = world.mean(loss)  # the same on every rank, so a NaN stops them all
                    if not math.isfinite(value):
                        raise CellFailed(f"objective {self.name}: loss became {value} at step {step + 1} of {steps} "
                                         f"(lr {opt.param_groups[0]['lr']:.4g}); lower lr or check the data")
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    world.average_gradients(params)
                    opt.step()
                    self.after_step(encoder)
                    self.losses.append(value)
                    done = step + 1
                    if not world.main:
                        continue
                    ctx.progress(done, steps, "pretrain")
                    ctx.record_step(step, {CURVE: value})
                    due = (every and done % every == 0) or (not every and time.monotonic() - last_save > seconds)
                    if due and done < steps:
                        checkpoint.save(path, key, done, {
                            "encoder": encoder.state_dict(), "heads": self.heads.state_dict(),
                            "optimizer": opt.state_dict(), "extra": self.extra_state(),
                            "curves": ctx.curves.state([CURVE])})
                        last_save = time.monotonic()
        finally:
            stream.close()  # stops the prefetch thread, also when the cell fails
        self.data_seconds = batches.wait_seconds  # time the loop waited for images
        if memory is not None:  # the cached encoder is saved (safetensors) and probed in the standard layout
            encoder.to(memory_format=torch.contiguous_format)
        if world.main and path.exists():
            path.unlink()  # the finished encoder is cached by the harness; the checkpoint is spent
        return encoder


def common_params(Param, lr: float, head: str) -> tuple:
    """Parameters every objective accepts (Param is passed in to keep this module harness-light)."""
    return (
        Param("lr", lr, "base learning rate for batch 256 (scaled linearly with the batch)", minimum=0.0),
        Param("momentum", 0.9, "SGD momentum", minimum=0.0, maximum=1.0),
        Param("weight_decay", 1e-4, "SGD weight decay", minimum=0.0),
        Param("warmup_steps", 0, "linear warm-up steps before the schedule", minimum=0),
        Param("head", head, "projection head for encoders without their own embed()", choices=("mlp", "linear")),
        Param("embed_dim", 128, "dimension of the normalised embedding the loss sees", minimum=2),
        Param("crop_size", 0, "size of the augmented crops (0: the budget's image_size)", minimum=0),
        Param("scale_min", 0.08, "RandomResizedCrop's smallest area fraction", minimum=0.0, maximum=1.0),
        Param("precision", "fp32", "fp32, or bf16: autocast of the forward pass and loss to bfloat16 (GPUs since "
              "Ampere; also runs on CPU)", choices=("fp32", "bf16"), omit_at_default=True),
        Param("channels_last", False, "train in the channels-last memory layout (faster convolutions on tensor-core "
              "GPUs; the same numbers up to float rounding)", omit_at_default=True),
        Param("checkpoint_every", 0, "save a checkpoint every N steps (0: every checkpoint_seconds)", minimum=0),
        Param("checkpoint_seconds", 300.0, "seconds between checkpoints when checkpoint_every is 0", minimum=0.0),
    )
