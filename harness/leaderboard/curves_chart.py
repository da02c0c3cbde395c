"""`seebench curves`: the training curves of results drawn as one line per row (mean over seeds), a panel per curve."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from seebench.primitives.atomic import atomic_path
from seebench.run.curves import result_curves
from seebench.leaderboard.table import dedupe

AXES = ("encoder", "objective", "budget")


def _label(ref: dict | None) -> str:
    return "-" if not ref else ref.get("label") or ref["name"]


def _parts(result: dict[str, Any]) -> dict[str, str]:
    cell = result["cell"]
    return {"encoder": _label(cell.get("encoder")), "objective": _label(cell.get("objective")),
            "budget": (cell.get("budget") or {}).get("name", "default")}


def collect(results: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[np.ndarray, np.ndarray]]]]:
    """{curve name: {row label: [(steps, values) per seed]}} over finished results that carry curves. Cells
    that share one training (two probes of one encoder, KID and fingerprint of one GAN) count once."""
    finished = [r for r in dedupe([r for r in results if r["status"] == "ok"]) if result_curves(r)]
    varying = [a for a in AXES if len({_parts(r)[a] for r in finished}) > 1]
    out: dict[str, dict[str, list]] = {}
    seen: set = set()
    for r in sorted(finished, key=lambda r: (r["row"], r["seed"], r["key"])):
        parts = _parts(r)
        label = " / ".join([r["row"]] + [parts[a] for a in varying])
        for name, series in result_curves(r).items():
            steps = np.asarray(series.get("step", []), dtype=float)
            values = np.asarray([math.nan if v is None else v for v in series.get("value", [])], dtype=float)
            if len(steps) == 0 or len(steps) != len(values):
                continue
            ident = (name, label, r["seed"], tuple(steps), tuple(np.nan_to_num(values)))
            if ident in seen:
                continue
            seen.add(ident)
            out.setdefault(name, {}).setdefault(label, []).append((steps, values))
    return out


def mean_curve(runs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The seeds' curves on the union of their steps (linear interpolation inside each), averaged."""
    if len(runs) == 1:
        return runs[0]
    grid = np.unique(np.concatenate([s for s, _ in runs]))
    stacked = []
    for steps, values in runs:
        ok = ~np.isnan(values)
        row = np.full(len(grid), np.nan)
        if ok.any():  # inside the seed's own range only: no flat extrapolation of a shorter run
            inside = (grid >= steps[ok].min()) & (grid <= steps[ok].max())
            row[inside] = np.interp(grid[inside], steps[ok], values[ok])
        stacked.append(row)
    with np.errstate(all="ignore"):
        return grid, np.nanmean(np.vstack(stacked), axis=0)


def render_curves(results: list[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Write a PNG with a panel per curve name and a line per row; None when no result has curves."""
    curves = collect(results)
    if not curves:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted(curves, key=lambda n: (not n.startswith("pretrain/"), n))
    labels = sorted({label for rows in curves.values() for label in rows})
    cmap = plt.get_cmap("tab20" if len(labels) > 10 else "tab10")
    colour = {label: cmap(i % cmap.N) for i, label in enumerate(labels)}
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols + 2.6, 3.2 * nrows), dpi=110, squeeze=False)
    for ax, name in zip(axes.flat, names):
        for label, runs in sorted(curves[name].items()):
            steps, values = mean_curve(runs)
            seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
            ax.plot(steps, values, color=colour[label], linewidth=1.2, label=label + seeds)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, legend_labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in legend_labels:
                handles.append(h)
                legend_labels.append(lab)
    fig.legend(handles, legend_labels, loc="upper left", bbox_to_anchor=(1.0 - 2.5 / fig.get_figwidth(), 0.9),
               fontsize=7, frameon=False)
    fig.suptitle(title or "seebench training curves (mean over seeds)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1.0 - 2.6 / fig.get_figwidth(), 0.97))
    path = Path(path)
    with atomic_path(path, fsync=False) as tmp:  # a unique temp name, then a rename (harness/primitives/atomic.py)
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
