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
from test_fault_kill import own_ray_workers

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


def test_ray_results_equal_the_local_executor_at_the_same_thread_count(tmp_path):
    """Local with --threads 1 and Ray with one CPU (so one thread) per cell: the same numbers, bit for bit."""
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(size=16, train=200))
    local = seebench("run", str(matrix), "--out", str(tmp_path / "local"), "--threads", "1")
    ray = seebench("run", str(matrix), "--out", str(tmp_path / "ray"), "--executor", "ray", "--cpus-per-cell", "1")
    assert local.returncode == 0, local.stderr
    assert ray.returncode == 0, ray.stderr
    assert "2 shared pretraining" in ray.stderr  # two evaluators share each seed's encoder
    assert "1 torch thread(s) per cell" in ray.stderr
    a, b = results(tmp_path / "local"), results(tmp_path / "ray")
    assert a.keys() == b.keys() and len(a) == 4
    for key in a:
        assert b[key]["metrics"] == a[key]["metrics"]  # exactly
        assert a[key]["hardware"]["torch_threads"] == b[key]["hardware"]["torch_threads"] == 1


def test_ray_sets_the_thread_count_in_the_worker_not_from_its_cpus(tmp_path):
    """--threads 2 with one CPU per cell: Ray's OMP_NUM_THREADS=1 would give 1; the worker sets 2 itself."""
    matrix = tmp_path / "m.toml"
    one_cell = MATRIX.format(size=16, train=200).replace("seeds = [0, 1]", "seeds = [0]")
    matrix.write_text(one_cell.replace('"knn", { name = "knn", label = "knn5", k = 5 }', '"knn"'))
    proc = seebench("run", str(matrix), "--out", str(tmp_path / "ray"), "--executor", "ray", "--cpus-per-cell", "1",
                    "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    done = results(tmp_path / "ray")
    assert len(done) == 1 and [r["hardware"]["torch_threads"] for r in done.values()] == [2]


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
        for p in own_ray_workers(proc.pid, "ray::seebench_cell"):  # this run's, never another run's on the machine
            time.sleep(1.0)  # let it get into the cell
            os.kill(p.pid, signal.SIGKILL)
            killed = p.pid
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
