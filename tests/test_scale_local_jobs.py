"""The local executor's worker processes (--jobs): the same numbers as one process, shared encoders made
once, a killed worker survived, plugins a worker cannot import kept in-process."""

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import psutil
import pytest

from conftest import seebench
from seebench import PluginError, hookimpl
from seebench.executors.select import build_executor
from seebench.plugins.manager import load_registry

MATRIX = """
[matrix]
name = "jobs-tiny"
data = ["white-noise", "spectrum"]
encoders = ["alexnet-small"]
objectives = ["align-uniform"]
evaluators = ["knn", {{ name = "knn", label = "knn5", k = 5 }}]
seeds = [0, 1]
budgets = [{{ name = "t", image_size = 32, images = {images}, batch_size = 32 }}]

[params.alexnet-small]
width = 0.25

[params.knn]
train_size = 300
test_size = 100
"""


def results(run_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "results").glob("*.json")}


def test_two_jobs_give_one_process_numbers_and_make_each_encoder_once(tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(images=256))
    one = seebench("run", str(matrix), "--out", str(tmp_path / "one"), "--jobs", "1", "--threads", "1")
    two = seebench("run", str(matrix), "--out", str(tmp_path / "two"), "--jobs", "2")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    assert "8 cell(s) in 2 worker processes, 1 torch thread(s) per cell" in two.stderr
    a, b = results(tmp_path / "one"), results(tmp_path / "two")
    assert a.keys() == b.keys() and len(a) == 8
    for key in a:
        assert b[key]["status"] == "ok" and b[key]["metrics"] == a[key]["metrics"]  # bit for bit
        assert b[key]["hardware"]["torch_threads"] == 1
    # two evaluators share each (data, seed)'s encoder: 4 pretrainings, each once (the second reads the cache)
    encoders = list((tmp_path / "two" / "cache" / "encoders").glob("*.safetensors"))
    assert len(encoders) == 4, encoders


def test_a_killed_worker_is_replaced_and_every_cell_finishes(tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(images=2048))
    out = tmp_path / "run"
    exe = os.path.join(os.path.dirname(sys.executable), "seebench")
    proc = subprocess.Popen([exe, "run", str(matrix), "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed, deadline = None, time.time() + 240
    while killed is None and time.time() < deadline and proc.poll() is None:
        workers = [c for c in psutil.Process(proc.pid).children() if "spawn" in " ".join(c.cmdline())]
        if len(workers) == 2 and all(w.cpu_percent(interval=0.2) > 20 for w in workers):  # both inside cells
            os.kill(workers[0].pid, signal.SIGKILL)
            killed = workers[0].pid
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=600)
    assert killed is not None, "no busy worker process was seen"
    assert proc.returncode == 0, stderr
    done = results(out)
    assert len(done) == 8 and all(r["status"] == "ok" for r in done.values())
    assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == psutil.STATUS_ZOMBIE


def test_the_workers_die_with_a_killed_run(tmp_path):
    matrix = tmp_path / "m.toml"
    matrix.write_text(MATRIX.format(images=4096))
    exe = os.path.join(os.path.dirname(sys.executable), "seebench")
    proc = subprocess.Popen([exe, "run", str(matrix), "--out", str(tmp_path / "run"), "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers, deadline = [], time.time() + 120
    while len(workers) < 2 and time.time() < deadline:
        workers = [c for c in psutil.Process(proc.pid).children() if "spawn" in " ".join(c.cmdline())]
        time.sleep(0.2)
    assert len(workers) == 2
    proc.kill()
    proc.wait()
    gone, alive = psutil.wait_procs(workers, timeout=30)  # a worker still importing ends when it starts
    assert not alive, [w.pid for w in alive]


@pytest.fixture
def in_process_registry():
    """A registry with a plugin that lives only in this process (no module a worker could import)."""
    mod = types.ModuleType("only-here")
    mod.seebench_register_evaluators = hookimpl(lambda: [])
    return load_registry(extra=[("only-here", mod)])


def test_plugins_a_worker_cannot_import_stay_in_process_or_get_one_line(in_process_registry, tiny_matrix):
    auto = build_executor(in_process_registry, "local", {})
    assert auto.plan(8, in_process_registry)[0] == 1  # jobs 0 chooses: one process
    two = build_executor(in_process_registry, "local", {"jobs": 2})
    with pytest.raises(PluginError) as err:
        two.plan(8, in_process_registry)
    assert "\n" not in str(err.value) and "only-here" in str(err.value) and "--jobs 1" in str(err.value)


def test_jobs_default_is_one_per_core_with_threads_shared(registry, monkeypatch):
    from seebench_plugins.executors import local

    monkeypatch.setattr(local, "cores", lambda: 8)
    monkeypatch.setattr(local, "memory_jobs", lambda: 3)
    monkeypatch.setattr(local, "on_gpu", lambda: False)
    assert build_executor(registry, "local", {}).plan(20, registry)[:2] == (3, 2)  # memory caps 8 cores at 3 jobs
    assert build_executor(registry, "local", {}).plan(2, registry)[:2] == (2, 4)  # no more jobs than cells
    assert build_executor(registry, "local", {"threads": 4}).plan(20, registry)[:2] == (2, 4)
    assert build_executor(registry, "local", {"procs_per_cell": 2}).plan(20, registry)[:2] == (1, None)
    monkeypatch.setattr(local, "on_gpu", lambda: True)
    assert build_executor(registry, "local", {}).plan(20, registry)[:2] == (1, None)
