"""Faults around results: a plugin that raises or returns junk, a failing --force re-run, a full disk or an
unwritable folder while writing, and contributed result files that must not count. Each test says what must
hold afterwards: no good result lost, every cell finished or failed with one line, the re-run completes."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import seebench.results.store
from fault_plugin import registry as fault_registry, write_matrix
from seebench import ResultFileError
from seebench.primitives import atomic
from seebench.leaderboard.table import build
from seebench.matrix.config import load_matrix
from seebench.leaderboard.publish import publish
from seebench.run.runner import run_matrix
from seebench.results.store import ResultStore, load_results

PUBLISHED = Path(__file__).resolve().parent.parent / "leaderboard" / "results"


@pytest.fixture(scope="module")
def reg():
    return fault_registry()


def run(reg, tmp_path, out, seeds=(0, 1, 2), force=False):
    """In this process (--jobs 1): the faults below are injected by patching this process's code."""
    matrix = load_matrix(write_matrix(tmp_path, seeds), reg, [])
    return run_matrix(matrix, reg, out, force=force, live=False, executor_options={"jobs": 1})


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "results").glob("*.json")}


def test_a_plugin_that_raises_fails_its_cell_with_one_line_and_the_rerun_completes(reg, tmp_path, monkeypatch):
    out = tmp_path / "run"
    monkeypatch.setenv("SEEBENCH_TEST_FAULT", "raise")
    monkeypatch.setenv("SEEBENCH_TEST_FAULT_SEEDS", "1")
    summary = run(reg, tmp_path, out)
    assert summary.ran == 3 and len(summary.failed) == 1
    (failed,) = summary.failed
    assert failed["seed"] == 1 and failed["error"]["message"] == "injected failure in seed 1"
    assert "\n" not in failed["error"]["message"]
    assert sorted(r["metrics"].get("score") for r in load_results([out]).results if r["status"] == "ok") == [40, 42]
    monkeypatch.delenv("SEEBENCH_TEST_FAULT")
    again = run(reg, tmp_path, out)
    assert (again.ran, again.skipped, again.failed) == (1, 2, [])
    assert sorted(r["metrics"]["score"] for r in load_results([out]).results) == [40, 41, 42]


def test_a_failing_forced_rerun_keeps_every_good_result_and_says_so(reg, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert run(reg, tmp_path, out).failed == []
    good = snapshot(out)
    monkeypatch.setenv("SEEBENCH_TEST_FAULT", "raise")
    forced = run(reg, tmp_path, out, force=True)
    assert (forced.ran, len(forced.failed), forced.forced_good, forced.kept_good) == (3, 3, 3, 3)
    assert "--force re-ran 3 cell(s) that had a good result: 0 replaced, 3 kept because the re-run failed" \
        in capsys.readouterr().err
    assert snapshot(out) == good  # byte for byte
    records = sorted((out / "results" / "failed").glob("*.json"))
    assert [p.name for p in records] == sorted(good)
    assert all(json.loads(p.read_text())["status"] == "failed" for p in records)
    loaded = load_results([out])
    board = build(loaded.results)
    assert loaded.problems == [] and board.failed == 0
    assert list(board.table[("fault-probe score", "mean")]) == [41.0]
    assert list(board.table[("fault-probe score", "n")]) == [3]
    # one seed's re-run succeeds: it replaces that result and clears its failure record
    monkeypatch.setenv("SEEBENCH_TEST_FAULT_SEEDS", "0,2")
    again = run(reg, tmp_path, out, force=True)
    assert (again.forced_good, again.kept_good) == (3, 2)
    assert len(list((out / "results" / "failed").glob("*.json"))) == 2


@pytest.mark.parametrize("fault, unit_check", [("150", "is outside 0-100"), ("nan", None)])
def test_an_evaluator_returning_an_impossible_number_is_a_failed_cell_not_a_result(reg, tmp_path, monkeypatch,
                                                                                   fault, unit_check):
    out = tmp_path / "run"
    monkeypatch.setenv("SEEBENCH_TEST_FAULT", fault)
    monkeypatch.setenv("SEEBENCH_TEST_FAULT_SEEDS", "0")
    summary = run(reg, tmp_path, out, seeds=(0, 1))
    loaded = load_results([out])
    assert loaded.problems == []  # nothing the store wrote is rejected when read back
    by_seed = {r["seed"]: r for r in loaded.results}
    assert by_seed[1]["status"] == "ok" and by_seed[1]["metrics"] == {"score": 41.0}
    if unit_check:  # 150 %: recorded as a failure naming the metric
        assert [r["seed"] for r in summary.failed] == [0]
        assert by_seed[0]["error"]["type"] == "InvalidResult" and unit_check in by_seed[0]["error"]["message"]
    else:  # NaN: kept as a missing number (null), so the leaderboard's seed count says 1, not 2
        assert by_seed[0]["status"] == "ok" and by_seed[0]["metrics"] == {"score": None}
        assert list(build(loaded.results).table[("fault-probe score", "n")]) == [1]


def _failing_atomic_path(error: int):
    """An atomic_path whose writer gets half its bytes into the unique temp file, then hits `error`."""
    real = atomic.atomic_path

    @contextlib.contextmanager
    def failing(path, fsync=True):
        with real(path, fsync) as tmp:
            yield tmp
            tmp.write_bytes(b"{half")
            raise OSError(error, os.strerror(error))

    return failing


def _fail_result_writes(error: int, monkeypatch) -> None:
    failing = _failing_atomic_path(error)

    def write_text(path, text):
        with failing(path) as tmp:
            tmp.write_text(text)

    monkeypatch.setattr(seebench.results.store, "atomic_write_text", write_text)


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_full_disk_or_unwritable_folder_while_storing_is_one_line_and_loses_nothing(reg, tmp_path, monkeypatch,
                                                                                     error):
    out = tmp_path / "run"
    assert run(reg, tmp_path, out, seeds=(0, 1)).failed == []
    good = snapshot(out)
    _fail_result_writes(error, monkeypatch)
    with pytest.raises(ResultFileError) as info:
        run(reg, tmp_path, out, seeds=(0, 1, 2), force=True)
    line = str(info.value)
    assert "\n" not in line and "cannot write the result" in line and os.strerror(error) in line
    assert "finished cells are kept" in line
    monkeypatch.undo()
    assert snapshot(out) == good and not list((out / "results").glob(".*"))  # intact, no temp file left
    again = run(reg, tmp_path, out, seeds=(0, 1, 2))
    assert (again.ran, again.skipped, again.failed) == (1, 2, [])


def test_a_full_disk_while_caching_fails_the_cell_with_one_line_and_the_rerun_completes(tiny_matrix, tmp_path,
                                                                                       monkeypatch, registry):
    import seebench.primitives.cache_files

    out = tmp_path / "run"
    monkeypatch.setattr(seebench.primitives.cache_files, "atomic_path", _failing_atomic_path(errno.ENOSPC))
    summary = run_matrix(load_matrix(tiny_matrix(), registry, []), registry, out, live=False)
    (failed,) = summary.failed
    assert failed["error"]["type"] == "OSError" and "No space left on device" in failed["error"]["message"]
    assert not [p for p in (out / "cache").rglob("*") if p.is_file()]  # no torn cache file, no temp file
    monkeypatch.undo()
    again = run_matrix(load_matrix(tiny_matrix(), registry, []), registry, out, live=False)
    assert again.ran == 1 and again.failed == [] and load_results([out]).results[0]["status"] == "ok"


# -- contributed results ------------------------------------------------------------------------------------
def _tamper(src: Path, dest: Path, edit) -> Path:
    text = src.read_text()
    dest.write_text(edit(text, json.loads(text)))
    return dest


def test_published_results_all_pass_the_checks():
    loaded = load_results([PUBLISHED])
    assert loaded.problems == [] and len(loaded.results) == len(list(PUBLISHED.glob("*.json"))) >= 20


def test_contributed_results_are_checked_one_line_each_and_publish_leaves_them_out(tmp_path):
    originals = sorted(PUBLISHED.glob("*.json"))
    topone = [p for p in originals if "top1" in json.loads(p.read_text())["metrics"]]
    run_dir = tmp_path / "contrib"
    (run_dir / "results").mkdir(parents=True)

    def dumped(r):
        return json.dumps(r, indent=1)

    def edited_cell(text, r):
        r["cell"]["budget"]["images"] = 999999
        return dumped(r)

    def over_100(text, r):
        r["metrics"]["top1"] = 150.0
        return dumped(r)

    def nan_metric(text, r):
        r["metrics"]["top1"] = float("nan")
        return json.dumps(r)  # Python writes the non-standard NaN literal

    def infinite(text, r):
        return text.replace(f'"top5": {json.dumps(r["metrics"]["top5"])}', '"top5": Infinity', 1)

    def twice(text, r):
        return text.replace('"key":', '"seed": 99, "key":', 1)

    edits = {"edited_cell": (edited_cell, "is not the key of its recorded cell"),
             "over_100": (over_100, "metric top1 = 150 % is outside 0-100"),
             "nan_metric": (nan_metric, "NaN is not valid JSON"),
             "infinite": (infinite, "Infinity is not valid JSON"),
             "twice": (twice, "key 'seed' appears twice")}
    bad = {}
    for (name, (edit, why)), src in zip(edits.items(), topone):
        bad[_tamper(src, run_dir / "results" / src.name, edit)] = why
    good = topone[len(edits)]
    shutil.copy(good, run_dir / "results" / good.name)

    loaded = load_results([run_dir])
    assert [r["key"] for r in loaded.results] == [good.stem]
    assert len(loaded.problems) == len(bad)
    for path, why in bad.items():
        (line,) = [p for p in loaded.problems if p.startswith(f"{path}:")]
        assert why in line and "\n" not in line, line

    target = tmp_path / "board"
    report = publish(run_dir, target)
    assert report.copied == [good.name] and len(report.skipped) == len(bad)
    assert sorted(p.name for p in (target / "results").glob("*.json")) == [good.name]
    # a bad file planted straight into a published folder is named on the page and not counted
    planted = target / "results" / next(iter(bad)).name
    shutil.copy(next(iter(bad)), planted)
    publish(run_dir, target)
    page = (target / "README.md").read_text()
    assert f"{planted}: rejected" in page
    assert load_results([target]).results == load_results([run_dir]).results
    assert ResultStore(target).get(planted.stem) is None


def test_stale_temp_files_of_dead_writers_go_and_a_live_writers_stay(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = atomic._HOST
    files = {"mine": folder / f".a.json.{host}-{os.getpid()}.x1.tmp",
             "dead": folder / f".b.json.{host}-{dead.pid}.x2.tmp",
             "legacy": folder / ".c.json.abc123.tmp",
             "other-host": folder / ".d.json.elsewhere-1.x3.tmp"}
    for path in files.values():
        path.write_text("partial")
    ResultStore(tmp_path).prepare()
    assert {k for k, p in files.items() if p.exists()} == {"mine", "other-host"}
    assert seebench.results.store.FAILED == "failed"
