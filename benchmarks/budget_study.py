"""Issue 14's budget study: placed-probe top-1 against pretraining budget (images seen) and image size.

    python benchmarks/budget_study.py run [--only b82k,b20k-64] [--jobs 2]   # resumable, one budget at a time
    python benchmarks/budget_study.py collect                              # finished results -> leaderboard/study/results/
    python benchmarks/budget_study.py report                               # leaderboard/study/README.md + curves.png

The study is two matrices (benchmarks/budget_study/study-32.toml, study-64.toml): quick's encoder,
objective and placed probe on random-init, raw pixels, white noise, real Fashion-MNIST and six of the
paper's families, 3 seeds, at budgets of 10k to 164k images seen (always 5 epochs of as many distinct
images) at 32 px, and at 20k and 41k images seen with the paper's small-scale crops (64 px crops of
128 px images, probed at 64 px). `run` runs one budget after another in the priority order below into
seebench-runs/budget-study-<size>/ (`seebench run`, so a killed study resumes where it stopped);
finished results that `leaderboard/results/` already holds for the same cell key (quick's own budget)
are copied in first instead of being re-run. `collect` copies the finished results (small JSON) into
leaderboard/study/results/, so a study that outlives one session goes on in the next. `report` reads
them and writes the learning curves (top-1 per row against images seen, 95 % intervals over seeds
shaded), the table of every point, each family's difference from white noise in pooled seed stds,
and Spearman's rho against the paper per budget with its bootstrap interval.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "benchmarks" / "budget_study"
PUBLISHED = ROOT / "leaderboard" / "results"
OUT = ROOT / "leaderboard" / "study"
ARMS = {"32": STUDY / "study-32.toml", "64": STUDY / "study-64.toml"}
# what to learn first: quick's budget (mostly copied), 4x quick's, half of it (a third point for the curve, cheap),
# the paper's crops, then the rest
PRIORITY = ["quick2", "b82k", "b10k", "b20k-64", "b41k", "b164k", "b41k-64"]


def load(arm: str, budget: str | None = None):
    """The arm's matrix (only `budget`'s cells when given) and the registry."""
    from seebench.matrix.config import load_matrix
    from seebench.plugins.manager import load_registry

    registry = load_registry()
    matrix = load_matrix(str(ARMS[arm]), registry)
    if budget is not None:
        matrix.cells = [c for c in matrix.cells if c.budget.name == budget]
    return matrix, registry


def run_dir(arm: str) -> Path:
    return ROOT / "seebench-runs" / f"budget-study-{arm}"


def budgets_of(arm: str) -> list[str]:
    import tomllib

    return [b["name"] for b in tomllib.loads(ARMS[arm].read_text())["matrix"]["budgets"]]


def reuse_published(arm: str, budget: str) -> int:
    """Copy leaderboard/results/<key>.json for every cell of the budget that is already published."""
    matrix, _ = load(arm, budget)
    results = run_dir(arm) / "results"
    results.mkdir(parents=True, exist_ok=True)
    copied = 0
    for cell in matrix.cells:
        src, dst = PUBLISHED / f"{cell.key}.json", results / f"{cell.key}.json"
        if src.exists() and not dst.exists():
            shutil.copy2(src, dst)
            copied += 1
    return copied


def run(args) -> None:
    order = [b for b in PRIORITY if not args.only or b in args.only.split(",")]
    for budget in order:
        arm = next(a for a in ARMS if budget in budgets_of(a))
        copied = reuse_published(arm, budget)
        print(f"budget-study: {budget} ({arm} px arm), {copied} result(s) reused from leaderboard/results", flush=True)
        line = next(b for b in _budget_lines(arm) if f'"{budget}"' in b)
        cmd = ["seebench", "run", str(ARMS[arm]), "--out", str(run_dir(arm)), "--set", f"matrix.budgets=[{line}]",
               *args.executor]
        subprocess.run(cmd, check=True)
        collect(None)


def _budget_lines(arm: str) -> list[str]:
    """The inline tables of the arm's budgets, as written in its TOML."""
    return [ln.strip().rstrip(",") for ln in ARMS[arm].read_text().splitlines() if ln.strip().startswith("{ name =")]


def collect(_args) -> None:
    """Finished results of both arms into leaderboard/study/results/ (small JSON, committed)."""
    dest = OUT / "results"
    dest.mkdir(parents=True, exist_ok=True)
    n = 0
    for arm in ARMS:
        for f in sorted((run_dir(arm) / "results").glob("*.json")):
            target = dest / f.name
            if not target.exists() or target.read_bytes() != f.read_bytes():
                shutil.copy2(f, target)
                n += 1
    print(f"budget-study: {n} new or changed result(s) in {dest.relative_to(ROOT)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the study's budgets in priority order (resumable)")
    r.add_argument("--only", default="", help="comma-separated budget names")
    r.add_argument("executor", nargs=argparse.REMAINDER,
                   help="executor flags for seebench run, after --, e.g. -- --executor ray --threads 1")
    sub.add_parser("collect", help="copy finished results into leaderboard/study/results/")
    sub.add_parser("report", help="write leaderboard/study/README.md and curves.png")
    args = ap.parse_args()
    if args.cmd == "run":
        args.executor = [a for a in args.executor if a != "--"]
        run(args)
    elif args.cmd == "collect":
        collect(args)
    else:
        from budget_study_report import report  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

        report(OUT)


if __name__ == "__main__":
    sys.exit(main())
