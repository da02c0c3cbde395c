"""The budget study's report: learning curves, every point with its interval, margins over white noise, rho per budget.

Reads leaderboard/study/results/*.json (benchmarks/budget_study.py collects them) and writes
leaderboard/study/README.md, curves.png and summary.json. The statistics are seebench's own
(seebench.leaderboard.stats): 95 % t-intervals over seeds, paired tests against white noise with
Holm's correction per budget, Spearman's rho against the paper with a bootstrap interval over seeds.
A family "beats white noise by k pooled seed std" when (its mean - white noise's mean) / pooled std
>= k, the pooled std being the root mean of every pretrained row's seed variance at that budget.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from seebench.leaderboard import stats as st
from seebench.leaderboard.families import BASELINES, GROUP_COLOUR, family_group

BASELINE_ROWS = ("random-init", "raw-pixels", "white-noise", "fashion-mnist (real)")
MARGIN = 2.0  # the presets' rule: every family ahead of white noise by this many pooled seed stds


def arm_of(result: dict) -> str:
    """'32 px' or '64 px': the crop the encoder was pretrained and probed at."""
    crop = result["cell"]["objective"]["params"].get("crop_size") if result["cell"].get("objective") else 0
    probe = result["cell"]["evaluator"]["params"].get("image_size", 0)
    size = crop or probe or result["cell"]["budget"]["image_size"]
    return f"{size} px"


def load_points(folder: Path) -> dict:
    """{(arm, images seen): {row: {seed: top1}}} and the paper's number and group of each row."""
    points: dict = defaultdict(lambda: defaultdict(dict))
    paper, group, budget_name = {}, {}, {}
    for path in sorted(folder.glob("*.json")):
        r = json.loads(path.read_text())
        if r.get("status") != "ok" or "top1" not in r.get("metrics", {}):
            continue
        key = (arm_of(r), int(r["cell"]["budget"]["images"]))
        points[key][r["row"]][int(r["seed"])] = float(r["metrics"]["top1"])
        budget_name[key] = r["cell"]["budget"]["name"]
        ref = (r.get("reference") or {}).get("imagenet100-top1")
        if ref is not None:
            paper[r["row"]] = float(ref)
        data = r["cell"].get("data") or {}
        group[r["row"]] = family_group(r["role"], (data.get("kind", ""), data.get("name", r["row"])))
    return points, paper, group, budget_name


def pooled_std(rows: dict) -> float | None:
    """Root mean of the seed variances of the rows that were pretrained (raw pixels and random init have none)."""
    var = [np.var(list(v.values()), ddof=1) for name, v in rows.items()
           if len(v) >= 2 and name not in ("raw-pixels", "random-init")]
    return float(math.sqrt(np.mean(var))) if var else None


def summarise(points: dict, paper: dict) -> list[dict]:
    """One record per (arm, budget): rows with mean and interval, tests and margins vs white noise, rho."""
    out = []
    for (arm, images), rows in sorted(points.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        pooled = pooled_std(rows)
        tested = st.differs(rows, "white-noise")
        white = np.mean(list(rows["white-noise"].values())) if "white-noise" in rows else None
        rho = st.spearman_interval({n: v for n, v in rows.items() if n in paper}, paper)
        record = {"arm": arm, "images_seen": images, "pooled_std": pooled, "rows": {}}
        for name, seeds in sorted(rows.items(), key=lambda kv: -np.mean(list(kv[1].values()))):
            ci = st.interval(list(seeds.values()))
            mean = float(np.mean(list(seeds.values())))
            row = {"mean": mean, "seeds": len(seeds), "ci_low": ci.low if ci else None,
                   "ci_high": ci.high if ci else None, "values": {str(s): v for s, v in sorted(seeds.items())}}
            if name in tested:
                comp, p_holm, sig = tested[name]
                row.update(vs_white_noise="▲" if sig and comp.diff > 0 else "▼" if sig else "=", p_holm=p_holm)
            if white is not None and pooled and name != "white-noise":
                row["margin_pooled_std"] = (mean - white) / pooled
            record["rows"][name] = row
        record["rho"] = None if rho is None else {"rho": rho.rho, "low": rho.low, "high": rho.high, "rows": rho.rows}
        families = [n for n in record["rows"] if n in paper]
        margins = [record["rows"][n].get("margin_pooled_std") for n in families]
        # one seed per row: no seed std, so no margin can be claimed either way (None, said as such)
        record["families_beating_white_noise"] = (sum(1 for m in margins if m is not None and m >= MARGIN)
                                                  if pooled else None)
        record["families"] = len(families)
        record["every_family_beats_white_noise"] = bool(families) and all(m is not None and m >= MARGIN for m in margins)
        out.append(record)
    return out


def draw(points: dict, group: dict, path: Path) -> None:
    """curves.png: one panel per arm (see `figure`)."""
    import matplotlib.pyplot as plt

    fig = figure(points, group)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure(points: dict, group: dict):
    """One panel per arm, one line per row against images seen, its 95 % interval over seeds shaded.

    A panel with a single budget has nothing to shade between: each row is a point with the interval as
    an error bar, the rows spread sideways a little so their bars do not hide each other. Rows of one
    group share a colour and tell themselves apart by line style and marker.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = sorted({a for a, _ in points})
    fig, axes = plt.subplots(1, len(arms), figsize=(max(8.0, 6.5 * len(arms)), 5.6), squeeze=False, sharey=True)
    off_axis = {}  # rows far below the others (raw pixels on the placed probe): said in a note, not drawn
    styles, markers = ["-", "--", "-.", ":"], ["o", "s", "^", "D"]
    for ax, arm in zip(axes[0], arms):
        budgets = sorted(i for a, i in points if a == arm)
        names = sorted({n for i in budgets for n in points[(arm, i)]})
        drawn = [n for n in names if n != "raw-pixels"]
        seen_in_group: dict[str, int] = defaultdict(int)
        for name in names:
            if name == "raw-pixels":
                off_axis[f"{name} ({arm})"] = sorted({round(float(np.mean(list(points[(arm, i)][name].values()))), 1)
                                                      for i in budgets if name in points[(arm, i)]})
                continue
            xs, means, lows, highs = [], [], [], []
            for i in budgets:
                seeds = points[(arm, i)].get(name)
                if not seeds:
                    continue
                ci = st.interval(list(seeds.values()))
                m = float(np.mean(list(seeds.values())))
                xs.append(i); means.append(m)
                lows.append(ci.low if ci else m); highs.append(ci.high if ci else m)
            g = group.get(name, BASELINES)
            colour = "black" if name == "white-noise" else GROUP_COLOUR.get(g, "#333333")
            k = 0 if name == "white-noise" else seen_in_group[g] % len(styles)
            seen_in_group[g] += name != "white-noise"
            lw = 2.8 if name == "white-noise" else 1.6
            if len(budgets) == 1:  # one budget: error bars, rows spread over +-4 % of x (2 ** +-0.06, log axis)
                spread = 2 ** (0.12 * (drawn.index(name) / max(1, len(drawn) - 1) - 0.5))
                ax.errorbar([x * spread for x in xs], means, yerr=[np.subtract(means, lows), np.subtract(highs, means)],
                            fmt=markers[k], color=colour, ms=5, capsize=3, lw=lw / 1.4, label=name)
            else:
                ax.plot(xs, means, styles[k], color=colour, lw=lw, marker=markers[k], ms=4, label=name)
                ax.fill_between(xs, lows, highs, color=colour, alpha=0.08, lw=0)
        ax.set_xscale("log", base=2)
        if len(budgets) == 1:
            ax.margins(x=0.1)
        ax.set_xticks(budgets, [f"{i / 1000:.0f}k" for i in budgets])
        ax.set_xlabel(f"images seen in pretraining ({arm} crops)")
        ax.grid(alpha=0.3)
        fewest = min(len(v) for i in budgets for n, v in points[(arm, i)].items() if n != "raw-pixels")
        short = "" if fewest >= 3 else f" ({fewest} seed{'s' if fewest > 1 else ''} so far: {'no interval' if fewest < 2 else 'wide intervals'})"
        ax.set_title(f"placed linear probe on Fashion-MNIST, {arm}{short}", fontsize=10 if short else 12)
    axes[0][0].set_ylabel("top-1 (%), mean over seeds, 95 % interval shaded or as bars")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4 if len(arms) == 1 else 5, fontsize=8, frameon=False)
    if off_axis:
        fig.text(0.01, 0.005, "not drawn: " + "; ".join(f"{n} {'/'.join(map(str, v))} % at every budget"
                                                         for n, v in off_axis.items()), fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig


def fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def markdown(summary: list[dict], budget_name: dict) -> str:
    lines = ["# Budget study (issue 14): top-1 against pretraining budget", "",
             "Written by `python benchmarks/budget_study.py report` from the results in `results/` (one JSON per "
             "cell, the same format as the leaderboard's). quick's encoder (alexnet-small, width 1/4), objective "
             "(align-uniform) and placed linear probe (5,000 Fashion-MNIST train images, all 10,000 test images, "
             "objects at a random size and place), 5 epochs of as many distinct images as a fifth of the images "
             "seen; `32 px`: images rendered at 32 px; `64 px`: rendered at 128 px, pretrained on random 64 px "
             "crops and probed at 64 px, as the paper's small scale crops.", "",
             "![learning curves](curves.png)", "",
             f"Margin: (row mean − white noise mean) / pooled seed std of the pretrained rows at that budget; "
             f"the presets' rule asks ≥ {MARGIN:g} for every family. vs white noise: paired t-test over seeds, "
             "Holm-corrected per budget, ▲ / ▼ / = (cannot be told apart).", ""]
    lines += ["| size | images seen | budget | families ≥ 2 std over white noise | pooled std | ρ vs paper [95 % interval], rows |",
              "|---|---|---|---|---|---|"]
    for rec in summary:
        rho = rec["rho"]
        rho_s = "—" if rho is None else (f"{rho['rho']:+.2f} [{fmt(rho['low'])}, {fmt(rho['high'])}], {rho['rows']}")
        lines.append(f"| {rec['arm']} | {rec['images_seen']:,} | {budget_name[(rec['arm'], rec['images_seen'])]} | "
                     f"{beating(rec)} | {fmt(rec['pooled_std'])} | {rho_s} |")
    for rec in summary:
        lines += ["", f"## {rec['arm']}, {rec['images_seen']:,} images seen", "",
                  "| row | top-1 mean | 95 % interval | seeds | vs white noise | margin (pooled std) |",
                  "|---|---|---|---|---|---|"]
        for name, row in rec["rows"].items():
            ci = "(1 seed)" if row["ci_low"] is None else f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
            lines.append(f"| {name} | {row['mean']:.2f} | {ci} | {row['seeds']} | {row.get('vs_white_noise', '')} | "
                         f"{fmt(row.get('margin_pooled_std'), 1)} |")
    return "\n".join(lines) + "\n"


def beating(rec: dict) -> str:
    """'2 of 6', or why no count exists (one seed per row: no seed std to measure a margin in)."""
    if rec["families_beating_white_noise"] is None:
        return f"— of {rec['families']} (1 seed: no std)"
    return f"{rec['families_beating_white_noise']} of {rec['families']}"


def report(out: Path) -> None:
    points, paper, group, budget_name = load_points(out / "results")
    if not points:
        print(f"budget-study: no finished results in {out / 'results'}")
        return
    summary = summarise(points, paper)
    draw(points, group, out / "curves.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(markdown(summary, budget_name))
    for rec in summary:
        rho = rec["rho"]
        print(f"{rec['arm']:>6} {rec['images_seen']:>8,}: {beating(rec)} "
              f"families >= {MARGIN:g} pooled std over white noise; rho "
              f"{'—' if rho is None else format(rho['rho'], '+.2f')}")
    print(f"budget-study: {out / 'README.md'}, {out / 'curves.png'}, {out / 'summary.json'}")
