"""Probes at their own image size (paper-small probes at 64 px on a 128 px budget); the default keeps every key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import seebench
from seebench import Cell
from seebench.matrix.config import load_matrix
from repr_cells import cell, context, one_thread, registry  # noqa: F401 (autouse fixture)

LEADERBOARD = Path(__file__).resolve().parent.parent / "leaderboard" / "results"


@pytest.mark.parametrize("probe", ["linear-probe", "knn"])
def test_the_default_image_size_leaves_keys_unchanged(probe):
    comp = registry().get(seebench.EVALUATOR, probe)
    assert "image_size" not in comp.resolve_params({})  # 0, the default, is not part of the key
    assert comp.resolve_params({"image_size": 0}) == comp.resolve_params({})
    assert comp.resolve_params({"image_size": 64})["image_size"] == 64
    plain = cell(evaluator=(probe, {"source": "digits"}))
    assert cell(evaluator=(probe, {"source": "digits", "image_size": 0})).key == plain.key
    assert cell(evaluator=(probe, {"source": "digits", "image_size": 16})).key != plain.key


def test_published_probe_results_keep_their_keys():
    checked = 0
    for path in sorted(LEADERBOARD.glob("*.json")):
        result = json.loads(path.read_text())
        ev = result["cell"]["evaluator"]
        if ev["name"] not in ("linear-probe", "knn"):
            continue
        resolved = registry().get(seebench.EVALUATOR, ev["name"]).resolve_params(ev["params"])
        assert resolved == ev["params"], path.name
        assert Cell.from_dict(result["cell"]).key == result["key"]
        checked += 1
    assert checked


@pytest.mark.parametrize("probe", ["linear-probe", "knn"])
def test_a_probe_embeds_at_its_own_image_size(probe, tmp_path, monkeypatch):
    import seebench.run.features as hc

    seen = []
    original = hc.extract_features

    def spy(encoder, images, size, device, **kw):
        hook = encoder.register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape[-2:])))
        try:
            return original(encoder, images, size, device, **kw)
        finally:
            hook.remove()

    monkeypatch.setattr(hc, "extract_features", spy)
    c = cell(encoder=("raw-pixels", {"size": 8}), evaluator=(probe, {"source": "digits", "image_size": 16}),
             image_size=32)
    ctx = context(c, tmp_path)
    metrics = ctx.build_ref(c.evaluator).evaluate(ctx)
    assert seen and set(seen) == {(16, 16)} and metrics["top1"] > 20
    seen.clear()
    c32 = cell(encoder=("raw-pixels", {"size": 8}), evaluator=(probe, {"source": "digits"}), image_size=32)
    ctx = context(c32, tmp_path)
    ctx.build_ref(c32.evaluator).evaluate(ctx)
    assert set(seen) == {(32, 32)}  # the default: the budget's size, a separate feature cache


def test_paper_small_probes_at_64_px(tmp_path):
    matrix = load_matrix("paper-small", registry(), ["imagenet100=/data/in100"])
    assert matrix.cells and all(c.budget.image_size == 128 for c in matrix.cells)
    assert all(c.evaluator.params["image_size"] == 64 for c in matrix.cells)
