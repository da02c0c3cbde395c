"""Camera track: KID/FD and precision-recall behave on real-vs-real and noise-vs-real."""

from __future__ import annotations

import pytest
import torch

from camera_helpers import make_ctx
from seebench_plugins.evaluators.kid_fd import fd_score, kid_score
from seebench_plugins.evaluators.precision_recall import precision_recall

SIM = {"count": 100, "held_out": 0.5, "reference": 0.0, "size": 32}  # no fingerprint here: no reference split


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    run = tmp_path_factory.mktemp("metrics")
    out = {}
    for row, data in (("real", ("source", "camera-sim", SIM)), ("noise", ("generator", "white-noise", {}))):
        for ev in ("kid", "fd", "precision-recall"):
            ctx = make_ctx(run, (ev, {"source": "camera-sim:count=100,held_out=0.5,reference=0,size=32"}), data)
            out[(row, ev)] = ctx.build_ref(ctx.cell.evaluator).evaluate(ctx)
    return out


def test_kid_real_vs_real_is_near_zero_and_below_noise(scores):
    real, noise = scores[("real", "kid")]["kid"], scores[("noise", "kid")]["kid"]
    print("KID real vs held-out real:", real, " white noise vs real:", noise)
    assert abs(real) < 0.25 * noise
    kid = scores[("real", "kid")]
    assert 40 <= kid["n_real"] <= 60  # about half of 100 photos held out (by a hash of each index)
    assert kid["kid_subset_size"] == min(kid["n_real"], kid["n_fake"])  # adapted to the smaller set


def test_fd_and_precision_recall_order(scores):
    assert scores[("real", "fd")]["fd"] < scores[("noise", "fd")]["fd"]
    real, noise = scores[("real", "precision-recall")], scores[("noise", "precision-recall")]
    print("precision/recall real:", real, " noise:", noise)
    assert real["recall"] > 0.5 > noise["recall"]


def test_metric_functions_on_gaussians():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(300, 16, generator=g), torch.randn(300, 16, generator=g)
    kid_same, _, m = kid_score(a, b, subset_size=1000)
    assert m == 300 and abs(kid_same) < 0.01
    assert kid_score(a, b + 2)[0] > 0.5
    assert fd_score(a, b) < fd_score(a, b + 1)
    p, r = precision_recall(a, b)
    assert p > 0.7 and r > 0.7
    p2, r2 = precision_recall(a, b * 0.1)  # collapsed samples: precise, but cover little
    assert p2 > 0.9 and r2 < p2
