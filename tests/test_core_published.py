"""The published leaderboard in the repository: every result valid, README and CSV current."""

import shutil
from pathlib import Path

import numpy as np

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


def test_a_study_panel_with_one_budget_draws_each_rows_interval_as_an_error_bar():
    """A single budget has nothing to shade between: every row's 95 % interval must show as a bar of its own."""
    import sys

    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    from seebench.leaderboard import stats as st

    sys.path.insert(0, str(BOARD.parent / "benchmarks"))
    try:
        from budget_study_report import figure
    finally:
        sys.path.pop(0)
    seeds = {"white-noise": {0: 64.7, 1: 56.4, 2: 67.2}, "fractaldb": {0: 69.2, 1: 70.1, 2: 69.6},
             "spectrum": {0: 64.4, 1: 64.5, 2: 66.8}, "raw-pixels": {0: 30.5, 1: 30.5, 2: 30.5}}
    points = {("64 px", 20480): seeds, ("32 px", 20480): seeds, ("32 px", 81920): seeds}
    group = {"white-noise": "baselines", "fractaldb": "FractalDB", "spectrum": "statistical"}
    fig = figure(points, group)
    try:
        panels = {ax.get_title().rsplit(", ", 1)[-1]: ax for ax in fig.axes}
        bars = {c.get_label(): c for c in panels["64 px"].containers if isinstance(c, ErrorbarContainer)}
        assert set(bars) == {"white-noise", "fractaldb", "spectrum"}  # raw pixels is off the axis, said in a note
        for name, bar in bars.items():
            ci = st.interval(list(seeds[name].values()))
            (segment,) = bar.lines[2][0].get_segments()
            assert np.allclose(sorted(segment[:, 1]), [ci.low, ci.high])
        xs = sorted(float(b.lines[0].get_xdata()[0]) for b in bars.values())
        assert len(set(xs)) == 3 and xs[0] > 20480 / 1.1 and xs[-1] < 20480 * 1.1  # spread apart, near the budget
        assert not [c for c in panels["32 px"].containers if isinstance(c, ErrorbarContainer)]  # shaded there
    finally:
        plt.close(fig)
