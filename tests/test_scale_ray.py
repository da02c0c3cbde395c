"""The Ray executor on a real local Ray instance: same results as local, survives a killed worker."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import seebench

MATRIX = """
[matrix]
name = "ray-tiny"
data = ["white-noise"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["knn", {{ name = "knn", label = "knn5", k = 5 }}]
seeds = [0, 1]
budgets = [{{ name = "t", image_size = {size}, images = 64, batch_size = 32 }}]

[params.knn]
train_size = {train}
test_size = 100
"""


def results(run_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "results").glob("*.json")}


def test_ray_results_equal_the_local_executor(tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(size=16, train=200))
    local = seebench("run", str(matrix), "--out", str(tmp_path / "local"))
    ray = seebench("run", str(matrix), "--out", str(tmp_path / "ray"), "--executor", "ray")
    assert local.returncode == 0, local.stderr
    assert ray.returncode == 0, ray.stderr
    assert "2 shared pretraining" in ray.stderr  # two evaluators share each seed's encoder
    a, b = results(tmp_path / "local"), results(tmp_path / "ray")
    assert a.keys() == b.keys() and len(a) == 4
    for key in a:
        assert b[key]["metrics"] == pytest.approx(a[key]["metrics"], abs=1.0)  # 1 of 100 test images at most


def test_a_killed_worker_is_retried_and_every_cell_finishes_once(tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(size=32, train=3000))
    out = tmp_path / "run"
    exe = os.path.join(os.path.dirname(sys.executable), "seebench")
    proc = subprocess.Popen([exe, "run", str(matrix), "--out", str(out), "--executor", "ray"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and proc.poll() is None:
        for p in psutil.process_iter(["pid", "cmdline"]):
            cmd = " ".join(p.info["cmdline"] or [])
            if cmd.startswith("ray::seebench_cell"):
                time.sleep(1.0)  # let it get into the cell
                os.kill(p.info["pid"], signal.SIGKILL)
                killed = p.info["pid"]
                break
        time.sleep(0.1)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed is not None, "no Ray cell worker was seen running"
    assert proc.returncode == 0, stderr
    done = results(out)
    assert len(done) == 4 and all(r["status"] == "ok" for r in done.values())
    assert not list((out / "results").glob(".*.tmp"))


def test_without_ray_the_message_says_how_to_install_it(tmp_path):
    shadow = tmp_path / "shadow" / "ray"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(size=16, train=200))
    proc = seebench("run", str(matrix), "--out", str(tmp_path / "r"), "--executor", "ray",
                    env={"PYTHONPATH": str(tmp_path / "shadow")})
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("seebench: the ray executor needs Ray: pip install 'seebench[ray]' (or pip install "
                                   "ray), or run with --executor local")
