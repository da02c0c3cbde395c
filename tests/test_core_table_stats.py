"""Statistics on every table: CI cells, marks against random-init / white-noise, groups, ρ interval, CSV, chart."""

import io

import matplotlib
import pandas as pd
import pytest
from rich.console import Console

from seebench.leaderboard import table as leaderboard
from seebench.leaderboard import render
from seebench.leaderboard.chart import render_chart
from seebench.leaderboard.families import BASELINES, family_group

from test_core_leaderboard import result

ROWS = {  # row: (role, top1 per seed 0..2, paper reference)
    "random-init": ("random-init", [50.0, 51.0, 49.5], {}),
    "white-noise": ("synthetic", [55.0, 56.5, 54.0], {}),
    "dead-leaves-shapes": ("synthetic", [65.0, 66.0, 64.5], {"imagenet100-top1": 38.9}),  # clearly above both
    "spectrum": ("synthetic", [50.5, 52.5, 48.0], {"imagenet100-top1": 30.6}),  # indistinguishable from random-init
    "stylegan-oriented": ("synthetic", [60.0], {"imagenet100-top1": 43.4}),  # one seed
    "fractaldb": ("synthetic", [58.0, 59.5, 57.0], {"imagenet100-top1": 35.0}),
}


@pytest.fixture
def board():
    results = [result(row, role, seed, value, "x", ref=ref)
               for row, (role, values, ref) in ROWS.items() for seed, value in enumerate(values)]
    return leaderboard.build(results)


def key(board, row):
    return next(k for k in board.rows() if k[0] == row)


def test_cells_carry_the_95_percent_interval_and_one_seed_says_so(board):
    headers, rows = render.table_data(board)
    cells = {r[0]: dict(zip(headers, r)) for r in rows}
    # mean 65.17, std 0.764, t(0.975, 2) = 4.303: half-width 4.303 * 0.764 / sqrt(3) = 1.90
    assert cells["dead-leaves-shapes"]["knn top1"] == "65.17 ± 1.90"
    assert cells["stylegan-oriented"]["knn top1"] == "60.00 (1 seed)"
    md = render.to_markdown(board)
    assert "± 0.00" not in md and "nan" not in md
    assert "no interval exists for stylegan-oriented: one seed each" in md


def test_marks_against_random_init_and_white_noise(board):
    headers, rows = render.table_data(board)
    cells = {r[0]: dict(zip(headers, r)) for r in rows}
    assert cells["dead-leaves-shapes"]["vs random-init"] == "▲" and cells["dead-leaves-shapes"]["vs white-noise"] == "▲"
    assert cells["spectrum"]["vs random-init"] == "="  # within a point of random-init, spread of 2: no mark
    assert cells["spectrum"]["vs white-noise"] in ("▼", "=")
    assert cells["stylegan-oriented"]["vs random-init"] == ""  # one seed: nothing to test
    assert cells["random-init"]["vs random-init"] == ""  # the baseline itself
    tested = board.differs("random-init")
    comparison, p_holm, significant = tested[key(board, "dead-leaves-shapes")]
    assert comparison.test == "paired" and comparison.n == 3 and significant and p_holm < 0.05
    assert comparison.diff == pytest.approx(65.1667 - 50.1667, abs=1e-3)
    legend = "\n".join(render.legend(board))
    assert "paired t-test" in legend and "Holm-corrected" in legend and "alpha 0.05" in legend


def test_group_letters_put_indistinguishable_rows_together(board):
    letters = board.group_letters()
    assert letters.get(key(board, "stylegan-oriented"), "") == ""  # one seed: no letter
    top = letters[key(board, "dead-leaves-shapes")]
    assert top and not set(top) & set(letters[key(board, "random-init")])  # told apart: no shared letter
    assert set(letters[key(board, "spectrum")]) & set(letters[key(board, "random-init")])  # cannot be told apart


def test_rho_has_a_bootstrap_interval_and_the_rows_it_rests_on(board):
    (metric, ref, rho), = board.rhos()
    # ours rank dead-leaves > stylegan (1 seed) > fractaldb > spectrum; the paper swaps the first two: 1 - 6*2/60
    assert rho.rows == 4 and rho.rho == pytest.approx(0.8) and rho.low is not None and rho.low <= rho.rho <= rho.high
    line = render.rho_lines(board)[0]
    assert line.startswith("Spearman ρ(knn top1, paper imagenet100-top1) = +0.80, 95 % bootstrap interval [")
    assert line.endswith("over 4 rows")
    buf = io.StringIO()
    render.to_terminal(board, Console(file=buf, width=220, force_terminal=False))
    text = buf.getvalue()
    assert "bootstrap interval" in text and "▲" in text and "60.00 (1 seed)" in text


def test_csv_and_json_columns(board):
    csv = pd.read_csv(io.StringIO(render.to_csv(board)))
    for column in ("knn top1 ci_low", "knn top1 ci_high", "knn top1 n", "p vs random-init", "vs random-init",
                   "p vs white-noise", "vs white-noise", "group"):
        assert column in csv.columns, column
    dl = csv[csv["row"] == "dead-leaves-shapes"].iloc[0]
    assert dl["knn top1 ci_low"] == pytest.approx(65.1667 - 1.8977, abs=1e-3)
    assert dl["knn top1 ci_high"] == pytest.approx(65.1667 + 1.8977, abs=1e-3)
    assert dl["vs random-init"] == "▲" and dl["p vs random-init"] < 0.05
    one = csv[csv["row"] == "stylegan-oriented"].iloc[0]
    assert pd.isna(one["knn top1 ci_low"]) and one["knn top1 n"] == 1


def test_chart_error_bars_are_the_intervals(board, tmp_path, monkeypatch):
    import matplotlib.axes

    matplotlib.use("Agg")
    drawn = {}
    original = matplotlib.axes.Axes.bar

    def spy(self, x, height, *args, **kwargs):
        drawn.update(height=list(height), yerr=kwargs.get("yerr"))
        return original(self, x, height, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "bar", spy)
    render_chart(board, tmp_path / "chart.png", registry=None)
    heights, (below, above) = drawn["height"], drawn["yerr"]
    i = heights.index(pytest.approx(65.1667, abs=1e-3))
    assert below[i] == pytest.approx(1.8977, abs=1e-3) and above[i] == pytest.approx(1.8977, abs=1e-3)
    j = heights.index(60.0)
    assert below[j] == 0.0 and above[j] == 0.0  # one seed: no bar drawn, the bar is hatched instead


def test_family_groups_from_tags_else_name():
    class Registry:
        def find(self, kind, name):
            return type("C", (), {"tags": ("fractal",)})() if name == "my-ifs" else None

    assert family_group("synthetic", ("generator", "my-ifs"), Registry()) == "FractalDB"  # by its tag
    assert family_group("synthetic", ("generator", "dead-leaves-squares"), None) == "dead leaves"
    assert family_group("synthetic", ("generator", "spectrum-color-wmm"), None) == "statistical"
    assert family_group("synthetic", ("generator", "white-noise"), None) == BASELINES
    assert family_group("random-init", None, None) == BASELINES


def test_a_one_seed_board_says_no_interval_exists_anywhere():
    results = [result(row, role, 0, values[0], "x", ref=ref) for row, (role, values, ref) in ROWS.items()]
    board = leaderboard.build(results)
    headers, rows = render.table_data(board)
    cells = {r[0]: dict(zip(headers, r)) for r in rows}
    assert cells["dead-leaves-shapes"]["knn top1"] == "65.00 (1 seed)"
    assert all(c["vs random-init"] == "" and c["group"] == "" for c in cells.values())  # nothing can be tested
    md = render.to_markdown(board)
    assert "= +0.80, no interval (every row has one seed), over 4 rows" in md
    assert "± " not in md.split("\n\n")[0]  # the table itself: no ± anywhere
