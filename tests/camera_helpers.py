"""Helpers for the camera-track tests: build a cell and its context by hand (no runner needed)."""

from __future__ import annotations

from pathlib import Path

from seebench import Budget, Cell, CellContext, ComponentRef
from seebench.plugins.manager import load_registry

_REGISTRY = None


def registry():
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


def ref(kind: str, name: str, **params) -> ComponentRef:
    comp = registry().get(kind, name)
    return ComponentRef(kind, name, comp.resolve_params(params), name, comp.version)


def make_ctx(run_dir: Path, evaluator: tuple[str, dict], data: tuple[str, str, dict] | None,
             encoder: str | None = "resnet18", seed: int = 0, logs: list | None = None, **budget) -> CellContext:
    b = Budget(**{"name": "tiny", "image_size": 32, "images": 64, "batch_size": 16, **budget})
    cell = Cell(
        evaluator=ref("evaluator", evaluator[0], **evaluator[1]),
        data=ref(data[0], data[1], **data[2]) if data else None,
        encoder=ref("encoder", encoder) if encoder else None,
        objective=None,
        seed=seed,
        budget=b,
    )
    sink = logs if logs is not None else []
    return CellContext(cell, registry(), run_dir, log=sink.append)
