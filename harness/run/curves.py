"""Training curves: losses recorded every few steps, averaged into at most MAX_POINTS points, kept in the result."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

from seebench.plugins.manager import call_each

MAX_POINTS = 256  # points per curve in a result: a few KB of JSON, enough to see a plateau or a spike


def _round(value: float) -> float | None:
    return float(f"{value:.6g}") if math.isfinite(value) else None


class Curve:
    """One metric over steps, bounded: each point is the mean of a bucket of consecutive records; when
    there are more than `max_points` buckets, neighbours merge pairwise (a bucket spans twice the records).
    The same records give the same points, however they were split between a run and its resume."""

    def __init__(self, max_points: int = MAX_POINTS):
        self.max_points = max_points
        self.span = 1  # records per bucket
        self.buckets: list[list[float]] = []  # [last step, sum, count]

    def add(self, step: int, value: float) -> None:
        value = float(value)
        if not math.isfinite(value):
            return
        if self.buckets and self.buckets[-1][2] < self.span:
            last = self.buckets[-1]
            last[0], last[1], last[2] = step, last[1] + value, last[2] + 1
        else:
            self.buckets.append([step, value, 1])
        if len(self.buckets) > self.max_points:
            pairs = zip(self.buckets[0::2], self.buckets[1::2] + [None])
            self.buckets = [[b[0], a[1] + b[1], a[2] + b[2]] if b else a for a, b in pairs]
            self.span *= 2

    def to_dict(self) -> dict[str, list]:
        return {"step": [int(b[0]) for b in self.buckets], "value": [_round(b[1] / b[2]) for b in self.buckets]}

    def state(self) -> dict[str, Any]:
        """Plain numbers for a checkpoint (loadable with weights_only=True)."""
        return {"span": self.span, "buckets": [list(b) for b in self.buckets]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any], max_points: int = MAX_POINTS) -> "Curve":
        curve = cls(max_points)
        curve.span = int(state["span"])
        curve.buckets = [[float(x) for x in b] for b in state["buckets"]]
        return curve

    @classmethod
    def from_series(cls, steps: Iterable[int], values: Iterable[float | None], max_points: int = MAX_POINTS) -> "Curve":
        curve = cls(max_points)
        for step, value in zip(steps, values):
            if value is not None:
                curve.add(int(step), value)
        return curve


class CurveRecorder:
    """A cell's curves by name, e.g. 'pretrain/loss' or 'dcgan/loss_g'."""

    def __init__(self, max_points: int = MAX_POINTS):
        self.max_points = max_points
        self.curves: dict[str, Curve] = {}
        self.broken: set[str] = set()  # plugins whose seebench_step raised during this cell

    def names(self) -> list[str]:
        return list(self.curves)

    def add(self, step: int, metrics: Mapping[str, float]) -> None:
        for name, value in metrics.items():
            self.curves.setdefault(name, Curve(self.max_points)).add(step, value)

    def restore(self, saved: Mapping[str, Mapping[str, list]] | None) -> None:
        """Curves saved elsewhere (beside a cached encoder, in a fitted GAN's record) replace those of
        the same name: a cell that reuses a cache still reports the curve that made it."""
        for name, series in (saved or {}).items():
            try:
                self.curves[name] = Curve.from_series(series["step"], series["value"], self.max_points)
            except (KeyError, TypeError, ValueError):
                continue  # a malformed record is no curve, never a failed cell

    def to_dict(self, names: Iterable[str] | None = None) -> dict[str, dict[str, list]]:
        wanted = self.names() if names is None else [n for n in names if n in self.curves]
        return {n: self.curves[n].to_dict() for n in wanted if self.curves[n].buckets}

    def state(self, names: Iterable[str]) -> dict[str, Any]:
        return {n: self.curves[n].state() for n in names if n in self.curves}

    def load_state(self, state: Mapping[str, Any] | None) -> None:
        for name, value in (state or {}).items():
            self.curves[name] = Curve.from_state(value, self.max_points)


def record(ctx: Any, step: int, metrics: Mapping[str, float]) -> None:
    """CellContext.record_step: keep the values and stream them to plugins through `seebench_step`. This hook is
    hot (every step), so a plugin that raises is reported once (as Registry.notify reports) and then left out
    for the rest of the cell; the others go on being called."""
    clean = {str(k): float(v) for k, v in metrics.items()}
    ctx.curves.add(int(step), clean)
    pm = getattr(ctx.registry, "pm", None)
    if pm is None:
        return
    args = {"cell": ctx.cell, "step": int(step), "metrics": clean, "run_dir": ctx.run_dir}
    for name, _, exc in call_each(pm, "seebench_step", args, skip=ctx.curves.broken):
        if exc is not None:  # a broken plugin must not fail the cell
            ctx.curves.broken.add(name)
            line = (f"plugin '{name}' raised in seebench_step: {type(exc).__name__}: {exc} (not called "
                    f"again for this cell; disable it with --disable-plugin {name})")
            ctx.registry.warnings.append(line)
            ctx.log(f"warning: {line}")


def saved_curves(encoder_path: Path) -> dict[str, Any]:
    """The curves recorded beside a cached encoder (its .json), {} when there are none."""
    try:
        value = json.loads(Path(encoder_path).with_suffix(".json").read_text()).get("curves")
    except (OSError, ValueError, AttributeError):
        return {}
    return value if isinstance(value, dict) else {}


def result_curves(result: Mapping[str, Any]) -> dict[str, dict[str, list]]:
    """A result's curves, {} for results written before curves were recorded."""
    curves = result.get("curves")
    return curves if isinstance(curves, dict) else {}
