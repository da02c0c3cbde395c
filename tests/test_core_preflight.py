"""Preflight: a probe or data set that is not there stops `seebench run` before any pretraining."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from seebench import ConfigError
from seebench.run import preflight
from seebench.matrix.config import load_matrix

from conftest import seebench

MATRIX = """
[matrix]
name = "preflight"
data = ["white-noise"]
encoders = [{{ name = "alexnet-small", width = 0.125 }}]
objectives = ["align-uniform"]
evaluators = [{{ name = "linear-probe", source = "image-folder", source_params = {{ root = "{root}"{extra} }} }}]
seeds = [0]
budgets = [{{ name = "t", image_size = 16, images = 64, batch_size = 32 }}]
"""


def make_folder(root, classes, per_class=1):
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.new("RGB", (12, 10), (i * 40, 0, 0)).save(root / c / f"{i}.png")


def write(tmp_path, root, extra=""):
    path = tmp_path / "m.toml"
    path.write_text(MATRIX.format(root=root, extra=extra))
    return path


def test_a_missing_probe_folder_fails_at_once_with_one_line_and_nothing_run(tmp_path):
    out = tmp_path / "run"
    t0 = time.perf_counter()
    proc = seebench("run", str(write(tmp_path, tmp_path / "no-such-folder")), "--out", str(out))
    took = time.perf_counter() - t0
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("seebench:")]
    assert len(lines) == 1 and "no-such-folder is not a folder" in lines[0] and "root=" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(out.rglob("*.safetensors")) and not list(out.rglob("*.json"))  # no encoder, no result
    assert took < 120  # imports dominate on a busy machine; pretraining never starts


def test_dry_run_reports_the_problem_as_a_line(tmp_path):
    proc = seebench("run", str(write(tmp_path, tmp_path / "no-such-folder")), "--dry-run", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert "preflight: 1 problem(s)" in proc.stdout and "no-such-folder is not a folder" in proc.stdout


def _cells(registry, tmp_path, root, extra=""):
    return load_matrix(str(write(tmp_path, root, extra)), registry, []).cells


def test_a_class_list_naming_a_missing_folder_names_that_class(registry, tmp_path):
    make_folder(tmp_path / "data", ["cat", "dog"])
    (tmp_path / "list.txt").write_text("cat\nzebra\n")
    cells = _cells(registry, tmp_path, tmp_path / "data", f', classes_file = "{tmp_path / "list.txt"}"')
    with pytest.raises(ConfigError, match="missing under .*: zebra"):
        preflight.check(cells, registry)


def test_an_empty_class_folder_is_reported(registry, tmp_path):
    make_folder(tmp_path / "data", ["cat"])
    (tmp_path / "data" / "dog").mkdir()
    with pytest.raises(ConfigError, match="dog holds no images"):
        preflight.check(_cells(registry, tmp_path, tmp_path / "data"), registry)


def test_a_present_folder_passes(registry, tmp_path):
    make_folder(tmp_path / "data", ["cat", "dog"])
    (tmp_path / "list.txt").write_text("dog\n")
    assert preflight.problems(_cells(registry, tmp_path, tmp_path / "data"), registry) == []
    assert preflight.problems(_cells(registry, tmp_path, tmp_path / "data",
                                     f', classes_file = "{tmp_path / "list.txt"}"'), registry) == []


def test_knn_fashion_mnist_and_torchvision_sources_are_checked(registry, tmp_path):
    pf = preflight.Preflight(registry)
    with pytest.raises(Exception, match="fashion-mnist: .*train-images-idx3-ubyte.gz is missing"):
        pf.build("evaluator", "knn", {"source": "fashion-mnist", "source_params": {"root": str(tmp_path)}}).preflight(pf)
    with pytest.raises(Exception, match=r"torchvision:CIFAR10.*not in .*CIFAR10.*download=true"):
        pf.build("evaluator", "knn", {"source": "torchvision:CIFAR10", "source_params": {"root": str(tmp_path)}}).preflight(pf)
    (tmp_path / "CIFAR10").mkdir()
    (tmp_path / "CIFAR10" / "junk").write_text("x")  # present but not CIFAR-10's files
    with pytest.raises(Exception, match="missing or corrupt"):
        pf.source("torchvision:CIFAR10", {"root": str(tmp_path)})
    pf.source("torchvision:CIFAR10", {"root": str(tmp_path / "elsewhere"), "download": True})  # would download


def test_only_cells_that_will_run_are_checked(registry, tmp_path, monkeypatch):
    from seebench.run import runner

    matrix = load_matrix(str(write(tmp_path, tmp_path / "no-such-folder")), registry, [])
    with pytest.raises(ConfigError, match="is not a folder"):
        runner.run_matrix(matrix, registry, tmp_path / "run", live=False)
    monkeypatch.setattr(runner.ResultStore, "is_finished", lambda self, key: True)  # every cell already done
    summary = runner.run_matrix(matrix, registry, tmp_path / "run", live=False)
    assert summary.skipped == 1 and summary.ran == 0
