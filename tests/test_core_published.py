"""The published leaderboard in the repository: every result valid, README and CSV current."""

import shutil
from pathlib import Path

from seebench.leaderboard.publish import regenerate
from seebench.results.store import load_results

BOARD = Path(__file__).resolve().parent.parent / "leaderboard"


def test_published_results_are_valid_and_the_rendered_files_are_current(tmp_path):
    loaded = load_results([BOARD / "results"])
    assert loaded.problems == [] and len(loaded.results) >= 8
    assert all(r["status"] == "ok" for r in loaded.results)
    copy = tmp_path / "leaderboard"
    shutil.copytree(BOARD / "results", copy / "results")
    if (BOARD / "artifacts").is_dir():  # sample grids the README shows beside each row
        shutil.copytree(BOARD / "artifacts", copy / "artifacts")
    regenerate(copy)
    assert (copy / "README.md").read_text() == (BOARD / "README.md").read_text(), "run `seebench publish` again"
    assert (copy / "leaderboard.csv").read_text() == (BOARD / "leaderboard.csv").read_text()
    assert (BOARD / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_published_budget_study_is_current_with_its_results(tmp_path):
    """leaderboard/study/: every result valid, and README.md / summary.json what the report makes of them."""
    import sys

    study = BOARD / "study"
    loaded = load_results([study / "results"])
    assert loaded.problems == [] and len(loaded.results) >= 30
    sys.path.insert(0, str(BOARD.parent / "benchmarks"))
    try:
        from budget_study_report import report
    finally:
        sys.path.pop(0)
    shutil.copytree(study / "results", tmp_path / "results")
    report(tmp_path)
    for name in ("README.md", "summary.json"):
        assert (tmp_path / name).read_text() == (study / name).read_text(), \
            "run `python benchmarks/budget_study.py report` again"


def test_the_study_claims_no_margin_count_for_a_budget_of_one_seed():
    """One seed per row has no seed std: the report says so instead of counting 0 families over white noise."""
    import sys

    sys.path.insert(0, str(BOARD.parent / "benchmarks"))
    try:
        from budget_study_report import beating, summarise
    finally:
        sys.path.pop(0)
    paper = {"fractaldb": 33.4, "dead-leaves-shapes": 38.9}
    one = {("64 px", 20480): {"white-noise": {0: 60.0}, "fractaldb": {0: 69.0}, "dead-leaves-shapes": {0: 65.0}}}
    (rec,) = summarise(one, paper)
    assert rec["families_beating_white_noise"] is None and "1 seed: no std" in beating(rec)
    two = {("64 px", 20480): {"white-noise": {0: 60.0, 1: 61.0}, "fractaldb": {0: 69.0, 1: 70.0},
                              "dead-leaves-shapes": {0: 60.5, 1: 61.5}}}
    (rec,) = summarise(two, paper)
    assert beating(rec) == "1 of 2"  # fractaldb +9 pooled stds; dead-leaves-shapes +0.5 of one
