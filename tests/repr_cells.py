"""Helpers for the representation-track tests: build cells by hand, without the matrix runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import seebench
from seebench import Budget, Cell, CellContext, ComponentRef
from seebench.plugins.manager import load_registry

_REGISTRY = None


def registry():
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry()
    return _REGISTRY


def ref(kind: str | None, name: str, **params) -> ComponentRef:
    reg = registry()
    comp = reg.get_data(name) if kind is None else reg.get(kind, name)
    if comp.name.endswith(":*"):
        params.setdefault("variant", name.partition(":")[2])
    return ComponentRef(comp.kind, name, comp.resolve_params(params), label=name, version=comp.version)


def cell(data=("white-noise", {}), encoder=("alexnet-small", {"width": 0.125}), objective=("align-uniform", {}),
         evaluator=("linear-probe", {"source": "digits"}), seed=0, **budget) -> Cell:
    budget = {"name": "tiny", "image_size": 32, "images": 256, "batch_size": 32, **budget}
    enc = ref(seebench.ENCODER, encoder[0], **encoder[1])
    obj = ref(seebench.OBJECTIVE, objective[0], **objective[1]) if objective else None
    if registry().get(seebench.ENCODER, encoder[0]).uses == ():
        obj = None
    dat = ref(None, data[0], **data[1]) if obj is not None and registry().get(seebench.OBJECTIVE, objective[0]).uses != () else None
    return Cell(evaluator=ref(seebench.EVALUATOR, evaluator[0], **evaluator[1]), data=dat, encoder=enc,
                objective=obj, seed=seed, budget=Budget.from_dict(budget))


def context(c: Cell, run_dir: Path, **kw) -> CellContext:
    return CellContext(c, registry(), Path(run_dir), device=seebench.default_device(), **kw)


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread for these tests: on a shared, oversubscribed CPU two spinning OpenMP
    threads made small matmuls ~100x slower (measured 136 ms vs 1.1 ms median)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
