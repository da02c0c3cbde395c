"""Leaderboard: merging run directories, mean ± std over seeds, every output format, chart, publish."""

import io
import json
import statistics
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from rich.console import Console

from conftest import seebench
from seebench import Cell
from seebench.leaderboard import table as leaderboard
from seebench.leaderboard import render
from seebench.leaderboard.chart import render_chart
from seebench.leaderboard.families import GROUP_COLOUR
from seebench.leaderboard.publish import publish
from seebench.results.schema import SCHEMA_VERSION
from seebench.results.store import ResultStore, load_results


def result(row, role, seed, top1, key_hint, evaluator="knn", ref=None, status="ok"):
    ref_cell = {"kind": "generator", "name": row, "params": {}, "version": "1", "label": row}
    cell = {"data": ref_cell if role != "random-init" else None,
            "encoder": {"kind": "encoder", "name": "resnet18", "params": {}, "version": "1"},
            "objective": {"kind": "objective", "name": "none", "params": {}, "version": "1"},
            "evaluator": {"kind": "evaluator", "name": evaluator, "params": {"hint": key_hint}, "version": "1"},
            "seed": seed, "budget": {"name": "small", "image_size": 32}}
    key = Cell.from_dict(cell).key  # a result's key is its cell's content key
    return {
        "schema_version": SCHEMA_VERSION, "key": key, "status": status,
        "cell": cell,
        "row": row, "role": role, "metrics": {"top1": top1, "top5": min(100.0, top1 + 30)} if status == "ok" else {},
        "metric_info": {"top1": {"higher_is_better": True}}, "reference": ref or {}, "seed": seed,
        "versions": {"seebench": "0.1.0"}, "hardware": {"cores": 2}, "wall_time_s": 1.5,
        "started": "2026-11-21T00:00:00+00:00", "finished": f"2026-11-21T00:00:0{seed}+00:00",
        "git_commit": None,
        "error": None if status == "ok" else {"type": "RuntimeError", "message": "boom", "traceback": "tb"},
    }


ROWS = {  # row: (role, top1 per seed, paper reference)
    "dead-leaves": ("synthetic", [61.0, 63.0, 65.0], {"imagenet100-top1": 38.9}),
    "white-noise": ("synthetic", [40.0, 42.0], {}),
    "fashion-mnist (real)": ("real", [80.0, 81.0], {}),
    "random-init": ("random-init", [50.0, 51.0], {}),
    "spectrum": ("synthetic", [30.0, 31.0], {"imagenet100-top1": 30.6}),
    "stylegan-oriented": ("synthetic", [70.0, 72.0], {"imagenet100-top1": 43.4}),
}


@pytest.fixture
def two_contributors(tmp_path):
    """Alice ran seeds 0 and 1, Bob ran seed 2 (and re-published Alice's seed 0 of dead-leaves)."""
    alice, bob = ResultStore(tmp_path / "alice"), ResultStore(tmp_path / "bob")
    for row, (role, values, ref) in ROWS.items():
        for seed, value in enumerate(values):
            store = alice if seed < 2 else bob
            store.write(result(row, role, seed, value, "x", ref=ref))
    bob.write(result("dead-leaves", "synthetic", 0, 61.0, "x", ref=ROWS["dead-leaves"][2]))
    bob.write(result("white-noise", "synthetic", 9, 0.0, "y", status="failed"))
    return [tmp_path / "alice", tmp_path / "bob"]


def test_mean_and_std_over_seeds_merged_across_directories(two_contributors):
    loaded = load_results(two_contributors)
    board = leaderboard.build(loaded.results)
    t = board.table
    dl = next(k for k in board.rows() if k[0] == "dead-leaves")
    assert t.loc[dl, ("knn top1", "mean")] == pytest.approx(63.0)
    assert t.loc[dl, ("knn top1", "std")] == pytest.approx(statistics.stdev([61.0, 63.0, 65.0]))
    assert t.loc[dl, ("knn top1", "n")] == 3  # the duplicate of seed 0 counts once
    assert t.loc[dl, ("paper imagenet100-top1", "mean")] == pytest.approx(38.9)
    assert [k[0] for k in board.rows()] == ["fashion-mnist (real)", "stylegan-oriented", "dead-leaves", "random-init",
                                            "white-noise", "spectrum"]
    # ours ranks spectrum < dead-leaves < stylegan-oriented, as the paper does: rho = +1 over those 3 rows
    assert board.correlations()[0] == ("knn top1", "paper imagenet100-top1", pytest.approx(1.0), 3)
    assert board.failed == 1
    assert board.roles[dl] == "synthetic"


def test_markdown_csv_json_and_terminal(two_contributors):
    board = leaderboard.build(load_results(two_contributors).results)
    md = render.to_markdown(board)
    assert "| dead-leaves" in md and "63.00 ± 4.97" in md and "38.90" in md  # ± the 95 % CI's half-width
    assert "Spearman ρ(knn top1, paper imagenet100-top1) = +1.00, 95 % bootstrap interval [+1.00, +1.00]" in md
    assert "over 3 rows" in md
    csv = pd.read_csv(io.StringIO(render.to_csv(board)))
    row = csv[csv["row"] == "white-noise"].iloc[0]
    assert row["knn top1 mean"] == pytest.approx(41.0) and row["knn top1 n"] == 2
    records = json.loads(render.to_json(board))
    assert {r["row"] for r in records} == set(ROWS)
    buf = io.StringIO()
    render.to_terminal(board, Console(file=buf, width=200, force_terminal=False))
    text = buf.getvalue()
    assert "63.00 ±5" in text and "█" in text and "1 failed cell(s) not shown" in text
    assert "bars: knn top1, higher is better" in text  # the bar column says what it draws


def camera_result(row, seed, evaluator, metrics, info):
    r = result(row, "synthetic", seed, 0.0, "cam", evaluator=evaluator)
    r.update(table="camera", metrics=metrics, metric_info=info)
    return r


def test_the_camera_table_fits_160_columns_and_keeps_every_column_in_markdown():
    kid = {"kid": {"higher_is_better": False, "primary": True}, "kid_std": {"higher_is_better": False}}
    fp = {m: {"higher_is_better": True} for m in ("pce_gen_pooled", "pce_gen_median", "carries_fingerprint",
                                                  "spectrum_distance")}
    results = []
    for row, value in (("dcgan", 0.0123), ("dcgan+diffaugment", 0.00871)):
        for seed in (0, 1):
            results += [camera_result(row, seed, "kid", {"kid": value + seed / 1000, "kid_std": 3.1e-16}, kid),
                        camera_result(row, seed, "fd", {"fd": 12.34 + seed}, {"fd": {"higher_is_better": False}}),
                        camera_result(row, seed, "fingerprint", {"pce_gen_pooled": 123.4, "pce_gen_median": 45.6,
                                                                 "carries_fingerprint": 1.0,
                                                                 "spectrum_distance": 0.123}, fp),
                        camera_result(row, seed, "precision-recall", {"precision": 0.71, "recall": 0.33 + seed / 10},
                                      {"precision": {}, "recall": {}})]
    board = leaderboard.build(results)
    buf = io.StringIO()
    render.to_terminal(board, Console(file=buf, width=160, force_terminal=False))
    text = buf.getvalue()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 160
    assert sum("│ dcgan" in line for line in lines) == 2  # one line per row: nothing wrapped
    assert "bars: kid kid, lower is better" in text and "0.00921 ±0.0064" in text
    assert "3.1e-16" not in text and "kid_std" in text  # the spread over identical subsets: named, not shown
    md = render.to_markdown(board)
    for column in ("kid kid_std", "fingerprint carries_fingerprint", "precision-recall recall"):
        assert column in md
    assert "3.1e-16" not in md and "| 0.00 ± 0.00 " in md  # rounding noise is 0


def test_a_verdict_flag_reads_yes_or_no_and_counts_the_seeds_that_said_yes(tmp_path):
    """A metric declared unit "flag" (the fingerprint's verdict) is written as a verdict, not as 1.00 ± 0.00;
    CSV and JSON keep the numbers."""
    info = {"pce_gen_pooled": {"higher_is_better": True, "primary": True},
            "carries_fingerprint": {"higher_is_better": True, "unit": "flag"},
            "fingerprint_on_novel": {"higher_is_better": True, "unit": "flag"}}
    verdicts = {"replay": [(1.0, 0.0)] * 3, "dcgan": [(1.0, 1.0), (0.0, 0.0), (1.0, 1.0)], "noise": [(0.0, 0.0)] * 3}
    results = [camera_result(row, seed, "fingerprint", {"pce_gen_pooled": 100.0 + seed, "carries_fingerprint": c,
                                                        "fingerprint_on_novel": n}, info)
               for row, flags in verdicts.items() for seed, (c, n) in enumerate(flags)]
    board = leaderboard.build(results)
    md = render.to_markdown(board)
    line = {row: next(x for x in md.splitlines() if x.startswith(f"| {row} ")) for row in verdicts}
    cells = {row: [c.strip() for c in text.split("|")[1:-1]] for row, text in line.items()}
    header = [c.strip() for c in md.splitlines()[0].split("|")[1:-1]]
    carries, novel = header.index("fingerprint carries_fingerprint"), header.index("fingerprint fingerprint_on_novel")
    assert (cells["replay"][carries], cells["replay"][novel]) == ("yes", "no")
    assert cells["dcgan"][carries] == cells["dcgan"][novel] == "yes in 2 of 3 seeds"
    assert (cells["noise"][carries], cells["noise"][novel]) == ("no", "no")
    assert "0.67" not in md and "1.00 ± 0.00" not in md
    buf = io.StringIO()
    render.to_terminal(board, Console(file=buf, width=200, force_terminal=False))
    assert "yes in 2 of 3 seeds" in buf.getvalue()
    csv = render.to_csv(board)
    assert "0.666" in csv  # the numbers stay in the CSV


def test_chart_is_a_bar_chart_coloured_by_family_group(two_contributors, tmp_path):
    board = leaderboard.build(load_results(two_contributors).results)
    path = render_chart(board, tmp_path / "chart.png")
    img = Image.open(path).convert("RGB")
    assert img.width >= 600 and img.height >= 500
    colours = {c for _, c in img.getcolors(maxcolors=1 << 20)}
    for group in ("dead leaves", "statistical", "StyleGAN", "baselines / real"):  # the paper figure's groups
        hexcol = GROUP_COLOUR[group].lstrip("#")
        rgb = tuple(int(hexcol[i:i + 2], 16) for i in (0, 2, 4))
        assert rgb in colours, f"no {group} bar drawn"


def test_leaderboard_cli_formats_and_bad_files(two_contributors, tmp_path):
    bad = two_contributors[1] / "results" / ("0" * 20 + ".json")
    bad.write_text('{"schema_version": 1, "key": "' + "0" * 20 + '", "status": "maybe"}')
    proc = seebench("leaderboard", *map(str, two_contributors), "--format", "markdown",
                    "--chart", str(tmp_path / "c.png"))
    assert proc.returncode == 0, proc.stderr
    assert f"skipped {bad}: does not match the result schema" in proc.stderr
    assert "63.00 ± 4.97" in proc.stdout and (tmp_path / "c.png").stat().st_size > 10_000
    proc = seebench("leaderboard", *map(str, two_contributors), "--format", "csv")
    assert pd.read_csv(io.StringIO(proc.stdout)).shape[0] == len(ROWS)


def test_publish_copies_valid_results_and_regenerates(two_contributors, tmp_path):
    target = tmp_path / "leaderboard"
    report = publish(two_contributors[0], target)
    assert len(report.copied) == 12 and not report.skipped
    report = publish(two_contributors[1], target)
    assert len(report.copied) == 1 and len(report.unchanged) == 1  # seed 2, and Alice's seed 0 again
    assert any("status failed" in s for s in report.skipped)
    readme = (target / "README.md").read_text()
    assert "63.00 ± 4.97" in readme and "![chart](chart.png)" in readme
    assert Image.open(target / "chart.png").format == "PNG"
    again = publish(two_contributors[0], target)
    assert again.copied == [] and len(again.unchanged) == 12
    # the same cell with other numbers is kept, not overwritten, unless --replace
    path = next((two_contributors[0] / "results").glob("*.json"))
    data = json.loads(path.read_text())
    data["metrics"]["top1"] = 1.0
    path.write_text(json.dumps(data))
    kept = publish(two_contributors[0], target)
    assert len(kept.kept_existing) == 1 and json.loads((target / "results" / path.name).read_text())["metrics"]["top1"] != 1.0
