"""The GPU code paths on the CPU: bf16 autocast, channels-last, device selection, and benchmarks/gpu.py itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import seebench
from repr_cells import cell, context, one_thread  # noqa: F401 (autouse fixture)
from seebench_plugins.generators.noise.device import resolve_device

REPO = Path(__file__).resolve().parent.parent
TINY_ENCODER = ("alexnet-small", {"width": 0.0625})
DATA = ("white-noise", {})


def train(tmp_path, objective="align-uniform", steps=6, **hp):
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=(objective, {"lr": 0.3, **hp}), images=steps * 32,
             batch_size=32, image_size=16)
    ctx = context(c, tmp_path)
    model = ctx.encoder()
    obj = ctx.build_ref(c.objective)
    obj.pretrain(model, ctx.pretraining_data(), ctx)
    return c, model, obj


def test_bf16_autocast_runs_on_cpu_and_changes_the_arithmetic(tmp_path):
    _, ref_model, ref_obj = train(tmp_path / "fp32")
    c, model, obj = train(tmp_path / "bf16", precision="bf16")
    assert all(torch.isfinite(torch.tensor(obj.losses)))
    assert obj.losses != ref_obj.losses  # autocast really ran the forward pass in bfloat16...
    # ...the first step (same weights, only the arithmetic differs) agrees to bf16's precision, and it trains
    assert obj.losses[0] == pytest.approx(ref_obj.losses[0], abs=0.01)
    assert obj.losses[-1] < obj.losses[0] - 0.2, obj.losses
    assert all(p.dtype == torch.float32 for p in model.parameters())  # weights and SGD stay float32


def test_channels_last_is_the_same_training_and_saves_in_the_standard_layout(tmp_path):
    _, ref_model, ref_obj = train(tmp_path / "nchw")
    _, model, obj = train(tmp_path / "cl", channels_last=True)
    assert obj.losses[0] == pytest.approx(ref_obj.losses[0], abs=1e-5)  # the same math, other summation order
    assert obj.losses == pytest.approx(ref_obj.losses, abs=0.03)  # (six SGD steps amplify the rounding)
    assert all(p.is_contiguous() for p in model.parameters())  # safetensors needs it; the probe sees NCHW


def test_precision_params_leave_cell_keys_alone_at_their_defaults(tmp_path):
    plain = cell(data=DATA, encoder=TINY_ENCODER, objective=("moco-v2", {}))
    explicit = cell(data=DATA, encoder=TINY_ENCODER, objective=("moco-v2", {"precision": "fp32", "channels_last": False}))
    bf16 = cell(data=DATA, encoder=TINY_ENCODER, objective=("moco-v2", {"precision": "bf16"}))
    assert plain.key == explicit.key != bf16.key


def test_moco_key_encoder_trains_under_bf16_and_channels_last(tmp_path):
    _, _, obj = train(tmp_path, "moco-v2", steps=4, queue_size=32, precision="bf16", channels_last=True)
    assert len(obj.losses) == 4 and all(torch.isfinite(torch.tensor(obj.losses)))


def test_device_selection(monkeypatch):
    monkeypatch.setenv("SEEBENCH_DEVICE", "cpu")
    assert seebench.default_device() == torch.device("cpu")
    monkeypatch.delenv("SEEBENCH_DEVICE")
    assert seebench.default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("stylegan-random", "cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA GPU; use 'auto' or 'cpu'"):
            resolve_device("stylegan-random", "cuda")
        assert resolve_device("stylegan-random", "auto") == torch.device("cpu")


@pytest.mark.slow
def test_gpu_benchmark_script_runs_its_sections_on_the_cpu(tmp_path):
    out = tmp_path / "gpu.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--smoke", "--out", str(out),
                           "--sections", "pretrain,generators,cell"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert {(r["precision"], r["channels_last"]) for r in report["pretrain"]} == {
        ("fp32", False), ("fp32", True), ("bf16", False), ("bf16", True)}
    assert all(r["seebench_steps_s"] > 0 and r["bare_steps_s"] > 0 for r in report["pretrain"])
    assert {r["generator"] for r in report["generators"]} >= {"stylegan-random", "featvis-random"}
    assert report["cell"]["returncode"] == 0 and report["cell"]["status"] == "ok"
    assert 0 <= report["cell"]["metrics"]["top1"] <= 100
