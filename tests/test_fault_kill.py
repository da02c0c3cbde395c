"""Processes that die or collide: two runs on one folder, SIGKILL at a random point, a hanging plugin
interrupted, a killed Ray worker, a killed DDP rank. Afterwards no good result is lost, no temporary or
damaged file is left, every cell finished or failed with one line, and the same command completes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from fault_plugin import write_matrix
from seebench.primitives.cache_files import check_tensors
from seebench.run.run_lock import LOCK_NAME

HERE = Path(__file__).resolve().parent
EXE = os.path.join(os.path.dirname(sys.executable), "seebench")
RNG = random.Random(16)  # the kill moments are random but the same on every run of the suite


def faults(*args, env=None, **kw) -> subprocess.Popen:
    """`seebench` with the fault plugin, started in the background."""
    return subprocess.Popen([sys.executable, str(HERE / "fault_plugin.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200", **(env or {})},
                            preexec_fn=_default_sigint, **kw)


def _default_sigint() -> None:
    """Ctrl-C as a terminal gives it, also when the suite runs in the background (which ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def rerun(argv: list[str], capsys, monkeypatch=None, with_faults: bool = False) -> tuple[int, str]:
    """The same `seebench` command again, in this process (same code path, without a second interpreter start)."""
    from seebench.cli import main as cli

    if with_faults:
        import fault_plugin
        import seebench.plugins.manager as pm

        plain = pm.load_registry
        monkeypatch.setattr(pm, "load_registry", lambda allow=None, block=(), extra=(): plain(
            allow, block, [*extra, ("fault-plugin", fault_plugin)]))
    capsys.readouterr()
    code = cli.main(argv)
    return code, capsys.readouterr().err


def results(run_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "results").glob("*.json")}


def assert_clean(run_dir: Path, temps: bool = True) -> None:
    """Every cache file whole; with `temps`, no temporary file anywhere (a killed writer's goes at the next run)."""
    if temps:
        assert not [p for p in run_dir.rglob(".*.tmp")], "a temporary file was left behind"
    for path in run_dir.glob("cache/*/*.safetensors"):
        check_tensors(path)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_two_runs_started_together_on_one_folder_one_runs_the_other_refuses_naming_it(tmp_path):
    matrix, out, flag = write_matrix(tmp_path, seeds=(0, 1)), tmp_path / "run", tmp_path / "go"
    env = {"SEEBENCH_TEST_FAULT": "wait", "SEEBENCH_TEST_FAULT_FLAG": str(flag)}
    procs = [faults("run", str(matrix), "--out", str(out), env=env) for _ in range(2)]
    wait_for(lambda: any(p.poll() is not None for p in procs), 120, "the second run to refuse")
    loser = next(p for p in procs if p.poll() is not None)
    winner = next(p for p in procs if p is not loser)
    _, err = loser.communicate()
    assert loser.returncode == 2, err
    (line,) = [ln for ln in err.splitlines() if ln.startswith("seebench:")]
    assert f"{out} is in use by another run: pid {winner.pid} on " in line and "fault_plugin.py run" in line, line
    flag.touch()
    _, err = winner.communicate(timeout=120)
    assert winner.returncode == 0, err
    assert sorted(r["metrics"]["score"] for r in results(out).values()) == [40, 41]
    assert (out / LOCK_NAME).read_text() == ""  # released
    assert_clean(out)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigkill_at_a_random_moment_loses_nothing_and_the_lock_recovers(tiny_matrix, tmp_path, capsys, jobs):
    """In this process (--jobs 1) and with two worker processes, which die with the run (--jobs 2)."""
    seeds = (0, 1, 2, 3) if jobs == "1" else tuple(range(10))
    matrix, out = tiny_matrix(seeds=seeds), tmp_path / "run"
    proc = subprocess.Popen([EXE, "run", str(matrix), "--out", str(out), "--jobs", jobs], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_for(lambda: list((out / "results").glob("*.json")) or proc.poll() is not None, 300, "a first result")
    time.sleep(RNG.uniform(0.0, 0.8))  # somewhere in the next cells: features, probe, result write
    workers = psutil.Process(proc.pid).children()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not psutil.wait_procs(workers, timeout=30)[1], "a worker outlived the killed run"
    before = results(out)
    assert 1 <= len(before) < len(seeds), "the kill should land mid-matrix"
    assert json.loads((out / LOCK_NAME).read_text())["pid"] == proc.pid  # the dead run's note stays
    assert_clean(out, temps=False)
    code, err = rerun(["run", str(matrix), "--out", str(out)], capsys)
    assert code == 0, err  # the killed run's lock did not block it
    after = results(out)
    assert len(after) == len(seeds) and all(r["status"] == "ok" for r in after.values())
    assert all(after[k] == r for k, r in before.items())  # finished cells untouched
    assert_clean(out)


def test_a_hanging_plugin_interrupted_keeps_finished_cells_and_the_rerun_completes(tmp_path, capsys, monkeypatch):
    matrix, out, flag = write_matrix(tmp_path, seeds=(0, 1, 2)), tmp_path / "run", tmp_path / "hung"
    env = {"SEEBENCH_TEST_FAULT": "hang", "SEEBENCH_TEST_FAULT_SEEDS": "1", "SEEBENCH_TEST_FAULT_FLAG": str(flag)}
    proc = faults("run", str(matrix), "--out", str(out), "--jobs", "1", env=env)
    wait_for(flag.exists, 120, "the plugin to hang")
    before = results(out)
    assert [r["seed"] for r in before.values()] == [0]
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; finished cells are saved" in err and "Traceback" not in err
    assert results(out) == before
    code, err = rerun(["run", str(matrix), "--out", str(out)], capsys, monkeypatch, with_faults=True)
    assert code == 0 and "all 3 cells finished (2 ran, 1 already finished)" in err, err
    assert_clean(out)


def test_ctrl_c_with_two_jobs_stops_the_workers_and_keeps_what_they_finished(tmp_path, capsys, monkeypatch):
    """One worker hangs in seed 1 while the other finishes seeds 0 and 2; Ctrl-C ends the run and both workers,
    keeps those two results, and the same command then completes."""
    matrix, out, flag = write_matrix(tmp_path, seeds=(0, 1, 2)), tmp_path / "run", tmp_path / "hung"
    env = {"SEEBENCH_TEST_FAULT": "hang", "SEEBENCH_TEST_FAULT_SEEDS": "1", "SEEBENCH_TEST_FAULT_FLAG": str(flag)}
    proc = faults("run", str(matrix), "--out", str(out), "--jobs", "2", env=env)
    wait_for(lambda: flag.exists() and len(results(out)) == 2, 180, "seeds 0 and 2 beside the hanging seed 1")
    workers = psutil.Process(proc.pid).children()
    before = results(out)
    assert sorted(r["seed"] for r in before.values()) == [0, 2]
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; finished cells are saved" in err and "Traceback" not in err, err
    assert not psutil.wait_procs(workers, timeout=30)[1], "a worker outlived the interrupted run"
    assert results(out) == before
    code, err = rerun(["run", str(matrix), "--out", str(out), "--jobs", "1"], capsys, monkeypatch, with_faults=True)
    assert code == 0 and "all 3 cells finished (1 ran, 2 already finished)" in err, err
    assert_clean(out)


RAY_MATRIX = """
[matrix]
name = "ray-kill"
data = ["white-noise"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["knn"]
seeds = [0]
budgets = [{ name = "t", image_size = 32, images = 64, batch_size = 32 }]

[params.knn]
train_size = 2000
test_size = 100
"""


def own_ray_workers(pid: int, prefix: str = "ray::seebench_") -> list[psutil.Process]:
    """The Ray workers running seebench tasks that this run started (its raylet's children)."""
    try:
        found = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for p in found:
        try:
            if " ".join(p.cmdline()).startswith(prefix):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def test_a_killed_ray_worker_is_retried_and_nothing_is_torn(tmp_path):
    pytest.importorskip("ray")
    matrix, out = tmp_path / "m.toml", tmp_path / "run"
    matrix.write_text(RAY_MATRIX)
    proc = subprocess.Popen([EXE, "run", str(matrix), "--out", str(out), "--executor", "ray"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = None
    deadline = time.time() + 240
    while killed is None and time.time() < deadline and proc.poll() is None:
        for p in own_ray_workers(proc.pid):  # never another run's (a study beside the suite)
            time.sleep(RNG.uniform(0.2, 1.0))
            os.kill(p.pid, signal.SIGKILL)
            killed = p.pid
            break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=600)
    assert killed is not None, "no Ray worker was seen running a seebench task"
    assert proc.returncode == 0, err
    done = results(out)
    assert len(done) == 1 and all(r["status"] == "ok" for r in done.values())
    assert_clean(out)


DDP_MATRIX = """
[matrix]
name = "ddp-kill"
data = ["white-noise"]
encoders = [{ name = "alexnet-small", width = 0.0625 }]
objectives = [{ name = "simclr", checkpoint_every = 4 }]
evaluators = ["knn"]
seeds = [0]
budgets = [{ name = "t", image_size = 16, images = 2048, batch_size = 32 }]

[params.knn]
train_size = 200
test_size = 100
"""


def test_a_killed_ddp_rank_fails_its_cell_with_one_line_and_the_rerun_resumes(tmp_path, capsys, monkeypatch):
    matrix, out = tmp_path / "m.toml", tmp_path / "run"
    matrix.write_text(DDP_MATRIX)
    args = [EXE, "run", str(matrix), "--out", str(out), "--procs-per-cell", "2", "--threads", "2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SEEBENCH_DEVICE": "cpu"})
    # once training is under way (its first checkpoint is written), kill one rank at a random moment
    wait_for(lambda: list(out.glob("checkpoints/*/pretrain.pt")) or proc.poll() is not None, 300, "a checkpoint")
    time.sleep(RNG.uniform(0.0, 0.3))
    ranks = [c for c in psutil.Process(proc.pid).children(recursive=True)
             if "spawn_main" in " ".join(c.cmdline())]
    assert len(ranks) == 2, "the two DDP ranks should be running"
    victim = RNG.choice(ranks)
    victim.kill()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    (failed,) = results(out).values()
    assert failed["status"] == "failed" and failed["error"]["type"] == "CellFailed"
    assert "\n" not in failed["error"]["message"] and "of 2" in failed["error"]["message"]
    assert not list(out.glob("cache/encoders/*.safetensors"))  # no encoder from a broken training
    assert_clean(out, temps=False)
    monkeypatch.setenv("SEEBENCH_DEVICE", "cpu")
    code, err = rerun(args[1:], capsys)
    assert code == 0, err
    assert "simclr: resuming from step" in err
    (done,) = results(out).values()
    assert done["status"] == "ok" and done["metrics"]["top1"] > 10
    assert_clean(out)
