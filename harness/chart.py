"""The paper-style bar chart: one sorted bar per pretraining dataset, baselines as dashed lines."""

from __future__ import annotations

import math
from pathlib import Path

from .atomic import atomic_path
from .leaderboard import Leaderboard

ROLE_COLOUR = {"real": "#2e7d32", "synthetic": "#1f77b4", "random-init": "#757575", "baseline": "#ef6c00"}


def render_chart(board: Leaderboard, path: Path, title: str = "") -> Path:
    """Write a PNG; bars sorted by the primary metric, std error bars, paper numbers as markers."""
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
    stds = [float(board.table.loc[k, (metric, "std")]) for k in keys]
    colours = [ROLE_COLOUR.get(board.roles[k], "#1f77b4") for k in keys]

    fig, ax = plt.subplots(figsize=(max(7.0, 0.55 * len(keys) + 4.0), 4.8), dpi=120)
    xs = range(len(keys))
    ax.bar(xs, means, yerr=stds, color=colours, capsize=3, edgecolor="black", linewidth=0.4)
    handles = [Patch(color=c, label=r) for r, c in ROLE_COLOUR.items() if r in {board.roles[k] for k in keys}]
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
    low = min(m - s for m, s in zip(means, stds))
    high = max(m + s for m, s in zip(means, stds))
    floor = max(0.0, low - 0.5 * max(high - low, 1.0))
    floor = 10 * math.floor(floor / 10) if floor >= 10 else 0.0
    ax.set_ylim(bottom=floor)
    ax.set_ylabel(metric + (f" (axis from {floor:g})" if floor > 0 else ""))
    ax.set_title(title or f"seebench: {metric} by pretraining data (mean ± std over seeds)", fontsize=10)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.12 if ref_axis else 1.01, 1.0),
              borderaxespad=0)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # a unique temp name, then a rename (harness/atomic.py)
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
