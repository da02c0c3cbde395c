"""`seebench run` for real: results on disk, skipping, --force, failures, SIGKILL and resume."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import seebench
from seebench.results.schema import validation_error


def results(run_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (run_dir / "results").glob("*.json")}


def test_run_writes_one_valid_result_per_cell_and_skips_on_rerun(tiny_matrix, tmp_path):
    matrix, out = tiny_matrix(seeds=(0, 1)), tmp_path / "run"
    proc = seebench("run", str(matrix), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "all 2 cells finished (2 ran, 0 already finished)" in proc.stderr
    assert "random-init" in proc.stdout and "knn top1" in proc.stdout  # the leaderboard is printed
    first = results(out)
    assert len(first) == 2
    for key, r in first.items():
        assert validation_error(r) is None and r["key"] == key and r["status"] == "ok"
        assert 10.0 < r["metrics"]["top1"] <= 100.0  # 10 classes: chance is 10 %
        assert r["metrics"]["top5"] >= r["metrics"]["top1"]
        assert r["versions"]["seebench"] and r["versions"]["torch"] and r["versions"]["python"]
        assert r["hardware"]["cores"] == os.cpu_count() and r["hardware"]["cpu"]
        assert r["wall_time_s"] > 0 and r["started"] <= r["finished"]
        assert r["cell"]["evaluator"]["params"]["train_size"] == 200
        # the suite runs in a source checkout, so provenance names its commit (None only outside git)
        repo_is_git = (Path(__file__).resolve().parents[1] / ".git").exists()
        assert (len(r["git_commit"] or "") >= 40) if repo_is_git else r["git_commit"] is None
    assert {r["seed"] for r in first.values()} == {0, 1}

    again = seebench("run", str(matrix), "--out", str(out))
    assert again.returncode == 0 and "0 ran, 2 already finished" in again.stderr
    assert results(out) == first  # untouched

    forced = seebench("run", str(matrix), "--out", str(out), "--force")
    assert forced.returncode == 0 and "2 ran" in forced.stderr
    assert all(results(out)[k]["finished"] >= first[k]["finished"] for k in first)


def test_a_failing_cell_is_recorded_and_the_matrix_goes_on(tiny_matrix, tmp_path):
    # Files that are there (so the preflight lets the run start) but are not IDX data: the cell fails
    # when it reads them. (A missing folder is refused before anything runs: test_core_preflight.py.)
    broken = tmp_path / "broken-fmnist"
    broken.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (broken / name).write_bytes(gzip.compress(b"<html>not found</html>"))
    matrix = tiny_matrix(seeds=(0,))
    bad = f'{{ name = "knn", label = "knn-broken", source_params = {{ root = "{broken}" }} }}'
    matrix.write_text(matrix.read_text().replace('evaluators = ["knn"]', f'evaluators = ["knn", {bad}]'))
    out = tmp_path / "run"
    proc = seebench("run", str(matrix), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "1 of 2 cell(s) failed" in proc.stderr
    by_status = {r["status"]: r for r in results(out).values()}
    failed = by_status["failed"]
    assert failed["error"]["type"] == "DataMissingError"
    assert "not an unsigned-byte IDX file; reinstall dataset-fashion-mnist" in failed["error"]["message"]
    assert "Traceback" in failed["error"]["traceback"]
    assert by_status["ok"]["metrics"]["top1"] > 10
    # a re-run retries only the failed cell
    again = seebench("run", str(matrix), "--out", str(out))
    assert again.returncode == 1 and "1 ran, 1 already finished" in again.stderr


def test_unwritable_output_directory_is_one_clear_line(tiny_matrix, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = seebench("run", str(tiny_matrix()), "--out", str(blocker / "run"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "output directory is not writable" in proc.stderr and "--out" in proc.stderr


def test_a_hand_edited_result_is_reported_and_rerun(tiny_matrix, tmp_path):
    matrix, out = tiny_matrix(), tmp_path / "run"
    assert seebench("run", str(matrix), "--out", str(out)).returncode == 0
    (path,) = (out / "results").glob("*.json")
    path.write_text(path.read_text()[:200])  # truncated
    board = seebench("leaderboard", str(out))
    assert board.returncode == 0 and f"skipped {path}: not valid JSON" in board.stderr
    proc = seebench("run", str(matrix), "--out", str(out))
    assert proc.returncode == 0 and "will be re-run" in proc.stderr and "1 ran" in proc.stderr
    assert validation_error(json.loads(path.read_text())) is None


def test_sigkill_mid_matrix_then_rerun_finishes_every_cell_exactly_once(tiny_matrix, tmp_path):
    seeds = (0, 1, 2, 3)
    matrix, out = tiny_matrix(seeds=seeds), tmp_path / "run"
    exe = os.path.join(os.path.dirname(sys.executable), "seebench")
    proc = subprocess.Popen([exe, "run", str(matrix), "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "results").glob("*.json"))) < 1:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = results(out)
    assert 1 <= len(before) < len(seeds), "the kill should land mid-matrix"
    rerun = seebench("run", str(matrix), "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    after = results(out)
    assert len(after) == len(seeds)
    assert f"{len(seeds) - len(before)} ran, {len(before)} already finished" in rerun.stderr
    for key, r in before.items():  # finished cells were not run again
        assert after[key] == r
    assert not list((out / "results").glob(".*.tmp"))  # no torn or stale temporary file
