"""Fitting `featvis-dead-leaves`: its network pretrained on dead leaves by a nested cell, cached."""

from __future__ import annotations

from typing import Any

import torch

from seebench import ENCODER, GENERATOR, OBJECTIVE, Budget, Cell, CellContext, ComponentRef, ConfigError
from seebench import component_ref as matrix_component_ref

FIT_EVALUATOR = ComponentRef("evaluator", "featvis-fit")  # a nested cell has no evaluator; fixes its key


def component_ref(registry: Any, kind: str, spec: str, where: str) -> ComponentRef:
    """`NAME[:k=v,...]` -> the ComponentRef a matrix would make of it (same parameters and version,
    so the nested cell's encoder key is the one of a matrix cell with the same components)."""
    return matrix_component_ref(registry, kind, spec, where=where)


def fit_budget(ctx: Any, images: int, batch_size: int) -> Budget:
    """The cell's budget itself when nothing is overridden (so a matrix cell pretraining the same
    encoder on the same data with the same objective shares the cached encoder), else a copy."""
    budget = ctx.budget
    if not images and not batch_size:
        return budget
    return Budget(name=f"{budget.name}/featvis-fit", image_size=budget.image_size, images=images or budget.images,
                  epochs=0.0 if images else budget.epochs, batch_size=batch_size or budget.batch_size,
                  dataset_size=budget.dataset_size, schedule=budget.schedule)


def pretrained_network(ctx: Any, data: str, encoder: str, objective: str, images: int = 0,
                       batch_size: int = 0, who: str = "featvis-dead-leaves") -> torch.nn.Module:
    """`encoder` pretrained with `objective` on generator `data` under the cell's seed, through the
    harness: a nested cell whose CellContext trains it once and caches it under
    cache/encoders/<key>.safetensors, resuming from its checkpoints like any cell. The module maps
    ImageNet-normalised images to pooled features (N, feature_dim), on the CPU, in eval mode."""
    where = f"{who}: pretrain"
    refs = {}
    for what, kind, spec in (("pretrain_data", GENERATOR, data), ("pretrain_encoder", ENCODER, encoder),
                             ("pretrain_objective", OBJECTIVE, objective)):
        if not isinstance(spec, str) or not spec:
            raise ConfigError(f"{who}: parameter '{what}' must name a registered {kind}, got {spec!r}")
        refs[what] = component_ref(ctx.registry, kind, spec, f"{who}: parameter '{what}'")
    cell = Cell(evaluator=FIT_EVALUATOR, data=refs["pretrain_data"], encoder=refs["pretrain_encoder"],
                objective=refs["pretrain_objective"], seed=ctx.seed, budget=fit_budget(ctx, images, batch_size),
                row=ctx.cell.row, role=ctx.cell.role)

    def progress(done: int, total: int, what: str = "") -> None:
        ctx.progress(done, total, f"featvis fit {what}".strip())

    nested = CellContext(cell, ctx.registry, ctx.run_dir, device=ctx.device, progress=progress,
                         log=lambda message: ctx.log(f"{where}: {message}"))
    model = nested.pretrained_encoder()
    for name, seconds in nested.timings.items():  # the fit's time is part of this cell's
        ctx.add_time(f"featvis_fit_{name}", seconds)
    if not hasattr(model, "feature_dim"):
        raise ConfigError(f"{who}: encoder {encoder!r} has no feature_dim; pick one with pooled features (resnet50)")
    return model.cpu().eval().requires_grad_(False)
