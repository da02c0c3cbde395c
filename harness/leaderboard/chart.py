"""The paper-style bar chart: one sorted bar per pretraining dataset, 95 % CI error bars, colours by the paper's family groups."""

from __future__ import annotations

import math
from pathlib import Path

from seebench.primitives.atomic import atomic_path
from seebench.leaderboard.families import GROUP_COLOUR, row_groups
from seebench.leaderboard.table import Leaderboard



def render_chart(board: Leaderboard, path: Path, title: str = "", registry=None) -> Path:
    """Write a PNG; bars sorted by the primary metric, error bars the 95 % CI over seeds (none for a row of
    one seed, hatched), coloured by family group (tags via `registry`, loaded when None), paper numbers as markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if board.table.empty or not board.primary:
        raise ValueError("no finished results to chart")
    metric = board.primary
    keys = [k for k in board.rows() if not math.isnan(float(board.table.loc[k, (metric, "mean")]))]
    keys.sort(key=lambda k: float(board.table.loc[k, (metric, "mean")]))
    # the row label alone when it identifies the bar; else with the parts that vary
    unique = len({k[0] for k in keys}) == len(keys)
    labels = [k[0] if unique else " / ".join([k[0]] + [dict(zip(("encoder", "objective", "budget"), k[1:]))[c]
                                                         for c in board.varying]) for k in keys]
    means = [float(board.table.loc[k, (metric, "mean")]) for k in keys]
    cis = [board.interval(k, metric) for k in keys]
    errors = [[m - c.low if c else 0.0 for m, c in zip(means, cis)], [c.high - m if c else 0.0 for m, c in zip(means, cis)]]
    group_of = row_groups(board, registry)
    groups = [group_of[k] for k in keys]
    colours = [GROUP_COLOUR[g] for g in groups]

    fig, ax = plt.subplots(figsize=(max(7.0, 0.55 * len(keys) + 4.0), 4.8), dpi=120)
    xs = range(len(keys))
    bars = ax.bar(xs, means, yerr=errors, color=colours, capsize=3, edgecolor="black", linewidth=0.4)
    for patch, ci in zip(bars, cis):
        if ci is None:  # one seed: no interval exists, the bar says so by its hatching
            patch.set_hatch("//")
    handles = [Patch(color=c, label=g) for g, c in GROUP_COLOUR.items() if g in set(groups)]
    if any(c is None for c in cis):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="//", label="one seed: no interval"))
    for role, style in (("random-init", "#757575"), ("real", "#2e7d32")):
        bound = [m for k, m in zip(keys, means) if board.roles[k] == role]
        if bound:
            ax.axhline(max(bound), linestyle="--", color=style, linewidth=1.2)
            handles.append(Line2D([], [], linestyle="--", color=style, label=f"{role} bound"))
    ref_axis = None
    for ref_col in board.reference_columns:  # another scale (e.g. ImageNet-100): its own right-hand axis
        refs = [float(board.table.loc[k, (ref_col, "mean")]) if (ref_col, "mean") in board.table.columns else math.nan
                for k in keys]
        pts = [(x, r) for x, r in zip(xs, refs) if not math.isnan(r)]
        if pts:
            ref_axis = ref_axis or ax.twinx()
            ref_axis.scatter([p[0] for p in pts], [p[1] for p in pts], marker="D", color="black", s=22, zorder=3)
            ref_axis.set_ylabel(ref_col, fontsize=8)
            handles.append(Line2D([], [], marker="D", linestyle="", color="black", label=f"{ref_col} (right axis)"))
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=40, ha="right", fontsize=8)
    low = min(m - e for m, e in zip(means, errors[0]))
    high = max(m + e for m, e in zip(means, errors[1]))
    floor = max(0.0, low - 0.5 * max(high - low, 1.0))
    floor = 10 * math.floor(floor / 10) if floor >= 10 else 0.0
    ax.set_ylim(bottom=floor)
    ax.set_ylabel(metric + (f" (axis from {floor:g})" if floor > 0 else ""))
    ax.set_title(title or f"seebench: {metric} by pretraining data (mean, 95 % CI over seeds)", fontsize=10)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.12 if ref_axis else 1.01, 1.0),
              borderaxespad=0)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # a unique temp name, then a rename (harness/primitives/atomic.py)
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
