"""The Ray executor on a real local Ray instance: same results as local, threads set in the worker (a killed
worker: tests/test_fault_kill.py)."""

import json
from pathlib import Path

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
