"""Training curves: bounded and averaged, resumable, in every result of a training (cached or not), streamed
through seebench_step (a TensorBoard plugin's events read back with TensorBoard's own reader), drawn."""

import json

import pytest
from PIL import Image

from conftest import seebench
from seebench import hookimpl
from seebench.run.curves import MAX_POINTS, Curve, CurveRecorder
from seebench.matrix.config import load_matrix
from seebench.plugins.manager import load_registry
from seebench.run.runner import run_matrix


def test_a_curve_keeps_at_most_max_points_each_the_mean_of_its_records_and_resumes_exactly():
    curve = Curve()
    for step in range(10_000):
        curve.add(step, float(step))
    points = curve.to_dict()
    assert MAX_POINTS // 2 <= len(points["step"]) <= MAX_POINTS
    span = curve.span  # records per point: 64 for 10,000 records into 256 points
    assert span == 64 and points["step"][0] == span - 1 and points["value"][0] == pytest.approx((span - 1) / 2)
    assert points["step"][-1] == 9_999  # the last record is always there
    assert all(b > a for a, b in zip(points["step"], points["step"][1:]))
    # stopped at step 3,333 and resumed from its state: the same points as one uninterrupted run
    first = Curve()
    for step in range(3_333):
        first.add(step, float(step))
    resumed = Curve.from_state(json.loads(json.dumps(first.state())))
    for step in range(3_333, 10_000):
        resumed.add(step, float(step))
    assert resumed.to_dict() == points
    few = CurveRecorder()
    few.add(0, {"a": 1.0})
    few.add(1, {"a": float("nan")})  # a non-finite record is skipped
    few.add(2, {"a": 2.0})
    assert few.to_dict() == {"a": {"step": [0, 2], "value": [1.0, 2.0]}}


class Recorder:
    """A third-party plugin that listens to seebench_step (and one that breaks)."""

    def __init__(self, fail: bool = False):
        self.calls, self.fail = [], fail

    @hookimpl
    def seebench_step(self, cell, step, metrics):
        if self.fail:
            raise RuntimeError("no disk")
        self.calls.append((cell.row, step, dict(metrics)))


MATRIX = """
[matrix]
name = "curves"
data = ["white-noise"]
encoders = ["alexnet-small"]
objectives = ["align-uniform"]
evaluators = ["knn", "linear-probe"]
budgets = [{ name = "c", image_size = 16, images = 640, batch_size = 32 }]

[params.alexnet-small]
width = 0.125

[params.knn]
train_size = 200
test_size = 100

[params.linear-probe]
train_size = 200
test_size = 100
epochs = 2
"""

GAN = """
[matrix]
name = "gan-curves"
data = ["dcgan"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["kid"]
budgets = [{ name = "g", image_size = 32, images = 96, batch_size = 16 }]

[params.dcgan]
source = "camera-sim:count=24"
resolution = 32
ngf = 8
ndf = 8
checkpoint_every = 0
sample_every = 0

[params.kid]
source = "camera-sim:count=24"
subsets = 5
"""


def test_every_result_of_a_training_carries_its_curve_and_plugins_see_each_step(tmp_path):
    listener, broken = Recorder(), Recorder(fail=True)
    registry = load_registry(extra=[("listener", listener), ("broken", broken)])
    (tmp_path / "m.toml").write_text(MATRIX)
    run = tmp_path / "run"
    summary = run_matrix(load_matrix(str(tmp_path / "m.toml"), registry), registry, run, live=False)
    assert not summary.failed
    results = [json.loads(p.read_text()) for p in sorted((run / "results").glob("*.json"))]
    assert len(results) == 2 and all(r["status"] == "ok" for r in results)
    steps = 640 // 32
    curves = [r["curves"]["pretrain/loss"] for r in results]
    assert curves[0] == curves[1]  # the probe that reused the cached encoder shows the curve that made it
    assert curves[0]["step"] == list(range(steps))
    streamed = [c for c in listener.calls if "pretrain/loss" in c[2]]
    assert [c[1] for c in streamed] == list(range(steps))  # every step, once: the second cell trained nothing
    assert [c[2]["pretrain/loss"] for c in streamed] == pytest.approx(curves[0]["value"], rel=1e-5)
    assert curves[0]["value"][-1] < curves[0]["value"][0]  # the InfoNCE-style loss went down
    grids = {r["artifacts"]["data"] for r in results}  # the images it pretrained on, drawn once beside the encoder
    assert len(grids) == 1 and Image.open(run / grids.pop()).size == (8 * 18 + 2, 2 * 18 + 2)  # 16 at 16 px
    # the broken listener is reported once per cell, and the cells finished anyway
    assert sum("raised in seebench_step" in w for w in registry.warnings) == 1

    (tmp_path / "g.toml").write_text(GAN)
    gan = run_matrix(load_matrix(str(tmp_path / "g.toml"), registry), registry, tmp_path / "gan", live=False)
    assert not gan.failed
    result = json.loads(next((tmp_path / "gan" / "results").glob("*.json")).read_text())
    assert set(result["curves"]) == {"dcgan/loss_d", "dcgan/loss_g", "dcgan/d_real", "dcgan/d_fake"}
    assert result["curves"]["dcgan/loss_g"]["step"] == [0, 5]  # every 10th step and the last of 6
    assert [c[1] for c in listener.calls if "dcgan/loss_g" in c[2]] == [0, 5]


def test_curves_cli_and_tensorboard_events_read_back(tmp_path):
    pytest.importorskip("tensorboard", reason="the tensorboard plugin needs the extra seebench[tensorboard]")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (tmp_path / "m.toml").write_text(MATRIX.replace('evaluators = ["knn", "linear-probe"]', 'evaluators = ["knn"]'))
    run = tmp_path / "run"
    proc = seebench("run", str(tmp_path / "m.toml"), "--out", str(run))
    assert proc.returncode == 0, proc.stderr
    last = proc.stderr.strip().splitlines()[-4:]  # the run ends by naming what to look at
    assert [line.split(":")[0] for line in last] == ["seebench"] * 4
    assert [line.split(": ")[1] for line in last] == ["markdown", "chart", "curves", "page"]
    assert (run / "curves.png").stat().st_size > 10_000 and "curves" in (run / "index.html").read_text()
    result = json.loads(next((run / "results").glob("*.json")).read_text())
    events = sorted((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert len(events) == 1 and events[0].parent.parent.name == "white-noise"
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    scalars = acc.Scalars("pretrain/loss")
    assert [s.step for s in scalars] == result["curves"]["pretrain/loss"]["step"]
    assert [s.value for s in scalars] == pytest.approx(result["curves"]["pretrain/loss"]["value"], rel=1e-5)
    out = tmp_path / "again.png"
    proc = seebench("curves", str(run), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size[0] > 600
    empty = tmp_path / "empty"
    (empty / "results").mkdir(parents=True)
    proc = seebench("curves", str(empty))
    assert proc.returncode == 2 and "no training curves" in proc.stderr
