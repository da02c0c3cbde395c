"""Representation track: the linear probe beats chance on real Fashion-MNIST; a whole cell pretrains then probes."""

from __future__ import annotations

import pytest
import torch

from repr_cells import cell, context, one_thread  # noqa: F401 (autouse fixture)

FMNIST = {"source": "fashion-mnist", "train_size": 1000, "test_size": 500}


@pytest.mark.parametrize("encoder,protocol", [
    (("raw-pixels", {}), "fast"),
    (("alexnet-small", {"width": 0.0625}), "fast"),
    (("alexnet-small", {"width": 0.0625}), "paper"),
])
def test_probe_beats_chance_on_real_fashion_mnist(tmp_path, encoder, protocol):
    extra = {"epochs": 10} if protocol == "paper" else {}
    c = cell(encoder=encoder, objective=("none", {}), evaluator=("linear-probe", {**FMNIST, "protocol": protocol, **extra}),
             image_size=16)
    metrics = context(c, tmp_path).build_ref(c.evaluator).evaluate(context(c, tmp_path))
    assert metrics["top1"] > 50.0, metrics  # chance is 10 %
    assert metrics["top5"] >= metrics["top1"]


def test_a_cell_pretrains_caches_and_probes(tmp_path):
    c = cell(data=("white-noise", {}), encoder=("alexnet-small", {"width": 0.0625}),
             objective=("align-uniform", {}), evaluator=("linear-probe", FMNIST), image_size=16, images=64, batch_size=32)
    ctx = context(c, tmp_path)
    metrics = ctx.build_ref(c.evaluator).evaluate(ctx)
    assert metrics["top1"] > 30.0, metrics
    assert list((tmp_path / "cache" / "encoders").glob("*.safetensors"))
    assert len(list((tmp_path / "cache" / "features").glob("*.safetensors"))) == 2


def test_probe_on_digits(tmp_path):
    c = cell(encoder=("raw-pixels", {"size": 8}), evaluator=("linear-probe", {"source": "digits"}), image_size=16)
    ctx = context(c, tmp_path)
    assert ctx.build_ref(c.evaluator).evaluate(ctx)["top1"] > 90.0




def test_fast_probe_matches_the_paper_protocol_within_half_a_point(tmp_path):
    """The fast default (L-BFGS, l2 1e-3) against Wang & Isola's Adam protocol on the same cached
    features of all 10k Fashion-MNIST test images. Seed 1 had the largest gap measured by
    benchmarks/probe.py: +0.32 with l2 1e-3, +1.36 with the former l2 3e-3."""
    sizes = {"source": "fashion-mnist", "train_size": 10000, "test_size": 10000}
    top1 = {}
    for protocol in ("fast", "paper"):
        c = cell(encoder=("alexnet-small", {"width": 0.25}), objective=("none", {}),
                 evaluator=("linear-probe", {**sizes, "protocol": protocol}), seed=1, image_size=32)
        ctx = context(c, tmp_path)
        top1[protocol] = ctx.build_ref(c.evaluator).evaluate(ctx)["top1"]
    assert top1["paper"] > 75.0, top1
    assert abs(top1["fast"] - top1["paper"]) <= 0.5, top1
