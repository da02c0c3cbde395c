"""Cell identity: keys from component names, parameters and component versions only; published results keep
their keys; results of an older schema are read (and migrated) at the current one."""

import difflib
import importlib.metadata as md
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

from seebench.leaderboard.table import dedupe
from seebench.matrix.cell import Cell
from seebench.matrix.config import build_matrix
from seebench.plugins.manager import load_registry
from seebench.results.schema import SCHEMA_VERSION
from seebench.results.store import ResultStore, load_results, read_result
from seebench.results.migrate import migrate_results
from seebench.results.validate import parse_strict

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "leaderboard" / "results"
# leaderboard/results/05e0adacf918f251d73b.json as published at a1e062a (schema 1, before the key change)
OLD = REPO / "tests" / "data" / "schema-v1" / "05e0adacf918f251d73b.json"
OLD_KEY, NEW_KEY = "05e0adacf918f251d73b", "5766a06d2a648ea90c8c"
AXES = ("data", "encoder", "objective", "evaluator")

MATRIX = {"matrix": {
    "name": "identity", "data": ["white-noise", "dead-leaves-squares"], "encoders": ["alexnet-small"],
    "objectives": ["align-uniform"], "evaluators": ["linear-probe"], "seeds": [0, 1],
    "budgets": [{"name": "a", "image_size": 16}]}}


def test_every_published_result_is_filed_under_the_key_of_its_recorded_cell():
    """The golden key test: each published file's key is recomputed from the cell it records, and must be both
    its `key` field and its file name. It fails when the key function, ComponentRef.identity or Budget's record
    changes, i.e. whenever keys would change silently; a deliberate change bumps SCHEMA_VERSION, adds an
    upgrade (harness/results/upgrade.py) and migrates these files.

    Keys are recomputed from the recorded cell (the component versions as recorded), not from the live
    registry: a key says which computation produced the numbers, and that is fixed when the result is
    written. When a plugin later bumps a component's version, the published result is stale (it answers for
    the old version), not mis-keyed; "is this result current" compares the recorded versions with the
    registry's, a separate question, and must not make this test fail."""
    paths = sorted(PUBLISHED.glob("*.json"))
    assert len(paths) >= 50
    for path in paths:
        raw = parse_strict(path.read_text(encoding="utf-8"))  # as stored, without the reader's upgrade
        assert raw["schema_version"] == SCHEMA_VERSION, path
        assert Cell.from_dict(raw["cell"]).key == raw["key"] == path.stem, path
        for axis in AXES:
            ref = raw["cell"][axis]
            if ref is not None:  # the distribution's release is provenance beside the version, not in it
                assert re.fullmatch(r"\d+", ref["version"]), (path, axis, ref["version"])
                assert re.fullmatch(r"[a-z0-9-]+==\d+\.\d+\.\d+.*", ref["plugin"]), (path, axis, ref["plugin"])


def test_keys_ignore_the_distributions_release_and_follow_component_versions_and_parameters(monkeypatch):
    keys = lambda registry, cfg=MATRIX: [c.key for c in build_matrix(cfg, registry, "m.toml").cells]  # noqa: E731
    registry = load_registry()
    before = keys(registry)
    assert len(set(before)) == 4

    monkeypatch.setattr(md.Distribution, "version", property(lambda self: "9.9.9"))  # every distribution
    released = load_registry()
    assert released.components["generator"]["white-noise"].plugin_version == "9.9.9"  # the patch took effect
    cells = build_matrix(MATRIX, released, "m.toml").cells
    assert [c.key for c in cells] == before  # same cells, same keys, whatever the release
    assert cells[0].evaluator.plugin.endswith("==9.9.9")  # ... and the release is still recorded
    assert [c.pretrained_key for c in cells] == [c.pretrained_key for c in build_matrix(MATRIX, registry, "m").cells]
    monkeypatch.undo()

    white = registry.components["generator"]["white-noise"]
    monkeypatch.setitem(registry.components["generator"], "white-noise", replace(white, version="99"))
    bumped = keys(registry)
    rows = [c.row for c in build_matrix(MATRIX, registry, "m.toml").cells]
    assert [k != b for k, b in zip(bumped, before)] == [r == "white-noise" for r in rows]  # only its cells move
    monkeypatch.undo()

    changed = keys(registry, {**MATRIX, "params": {"linear-probe": {"l2": 0.01}}})
    assert set(changed).isdisjoint(before)
    assert keys(registry) == before  # and nothing else moved them


def test_a_schema_1_result_is_read_at_the_current_schema_under_its_new_key(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(OLD, folder / OLD.name)
    old = json.loads(OLD.read_text())
    result = read_result(folder / OLD.name)
    assert result["schema_version"] == SCHEMA_VERSION and old["schema_version"] == 1
    assert result["key"] == NEW_KEY == Cell.from_dict(result["cell"]).key
    assert result["cell"]["data"]["version"] == "2" and result["cell"]["data"]["plugin"] == "noise-dead-leaves==0.1.0"
    assert result["metrics"] == old["metrics"] == {"top1": 65.4000015258789, "top5": 97.38999938964844}
    # the same cell's migrated file in leaderboard/ merges with it: one result on a board, not two seeds
    published = read_result(PUBLISHED / f"{NEW_KEY}.json")
    assert len(dedupe([result, published])) == 1 and published["metrics"] == result["metrics"]


def test_a_result_of_a_newer_schema_or_an_edited_old_cell_is_one_line_naming_the_file(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    old = json.loads(OLD.read_text())
    newer = folder / f"{'a' * 20}.json"
    newer.write_text(json.dumps({**old, "schema_version": SCHEMA_VERSION + 1, "key": "a" * 20}))
    edited = folder / OLD.name
    old["cell"]["budget"]["images"] = 999999
    edited.write_text(json.dumps(old))
    loaded = load_results([folder])
    assert loaded.results == [] and len(loaded.problems) == 2
    (line,) = [p for p in loaded.problems if p.startswith(f"{newer}:")]
    assert f"result schema version {SCHEMA_VERSION + 1}, this seebench reads up to {SCHEMA_VERSION}" in line
    assert "upgrade seebench" in line and "\n" not in line
    (line,) = [p for p in loaded.problems if p.startswith(f"{edited}:")]
    assert f"its key {OLD_KEY} is not the key of its recorded cell" in line and "\n" not in line
    assert migrate_results(folder).migrated == []  # neither is rewritten
    assert sorted(p.name for p in folder.iterdir()) == sorted([newer.name, edited.name])


def test_migration_renames_file_and_artifact_and_keeps_every_other_byte(tmp_path):
    board = tmp_path / "leaderboard"
    (board / "results").mkdir(parents=True)
    (board / "artifacts").mkdir()
    shutil.copy(OLD, board / "results" / OLD.name)
    grid = (REPO / "leaderboard" / "artifacts" / f"{NEW_KEY}-data.png").read_bytes()
    (board / "artifacts" / f"{OLD_KEY}-data.png").write_bytes(grid)

    report = migrate_results(board / "results")
    assert report.migrated == [(OLD_KEY, NEW_KEY)] and report.kept == []
    assert [p.name for p in (board / "results").iterdir()] == [f"{NEW_KEY}.json"]
    assert [p.name for p in (board / "artifacts").iterdir()] == [f"{NEW_KEY}-data.png"]
    assert (board / "artifacts" / f"{NEW_KEY}-data.png").read_bytes() == grid
    text = (board / "results" / f"{NEW_KEY}.json").read_text()
    # exactly the file committed in leaderboard/results/ by this migration
    assert text == (PUBLISHED / f"{NEW_KEY}.json").read_text()
    removed = [line for line in difflib.ndiff(OLD.read_text().splitlines(), text.splitlines()) if line[0] == "-"]
    assert len(removed) == 7  # key, schema_version, the artifact path, four component versions
    assert all(re.match(r'- +"(key|schema_version|data|version)": ', line) for line in removed), removed
    assert migrate_results(board / "results").migrated == []  # a second run has nothing to do


def test_an_old_run_directory_resumes_without_rerunning_and_an_interrupted_migration_finishes(tmp_path):
    run = tmp_path / "run"
    (run / "results").mkdir(parents=True)
    (run / "artifacts").mkdir()
    shutil.copy(OLD, run / "results" / OLD.name)
    # interrupted after the new file was written, before the old one was removed: both on disk, and the
    # artifact under both names (it is copied first)
    shutil.copy(PUBLISHED / f"{NEW_KEY}.json", run / "results" / f"{NEW_KEY}.json")
    for key in (OLD_KEY, NEW_KEY):
        shutil.copy(REPO / "leaderboard" / "artifacts" / f"{NEW_KEY}-data.png", run / "artifacts" / f"{key}-data.png")
    both = load_results([run])
    assert [r["key"] for r in both.results] == [NEW_KEY, NEW_KEY] and len(dedupe(both.results)) == 1
    store = ResultStore(run)
    store.prepare()  # what `seebench run` does first
    assert sorted(p.name for p in (run / "results").glob("*.json")) == [f"{NEW_KEY}.json"]
    assert store.is_finished(NEW_KEY)
    assert [p.name for p in (run / "artifacts").iterdir()] == [f"{NEW_KEY}-data.png"]


def test_seebench_run_counts_an_old_run_directory_s_results_as_finished(tmp_path):
    """Through the runner, not only the store: the old file is migrated before finished cells are counted, so
    the first run after the key change re-runs nothing (it once re-ran every cell of an old run folder)."""
    from types import SimpleNamespace

    from seebench.run.runner import run_matrix

    run = tmp_path / "run"
    (run / "results").mkdir(parents=True)
    shutil.copy(OLD, run / "results" / OLD.name)
    cell = Cell.from_dict(read_result(OLD)["cell"])
    assert cell.key == NEW_KEY
    given = []

    class Recorder:  # an executor that records what it was asked to run
        def run(self, cells, *args):
            given.extend(cells)

    matrix = SimpleNamespace(name="old", origin="test", config={}, cells=[cell])
    summary = run_matrix(matrix, load_registry(), run, executor=Recorder(), live=False)
    assert given == [] and summary.skipped == 1 and summary.ran == 0
    assert (run / "results" / f"{NEW_KEY}.json").is_file() and not (run / "results" / OLD.name).exists()
