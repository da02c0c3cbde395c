"""Results -> one table: a row per pretraining dataset, a column per evaluator metric, mean ± std and 95 % CI over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from seebench.leaderboard import stats as st

ROLE_ORDER = {"real": 0, "synthetic": 1, "baseline": 2, "random-init": 3}
GROUP_COLS = ["row", "encoder", "objective", "budget"]
BASELINES = ("random-init", "white-noise")  # every row is tested against these rows (when present)


def _label(ref: dict | None) -> str:
    return "-" if not ref else ref.get("label") or ref["name"]


def dedupe(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One result per cell key: the same cell published by two contributors counts once (latest wins). Returned
    in an order that does not depend on the keys (row, seed, when finished), so statistics that depend on the
    order (sums of floats, the bootstrap's draws) do not change when keys do."""
    best: dict[str, dict[str, Any]] = {}
    for r in results:
        if r["key"] not in best or r["finished"] > best[r["key"]]["finished"]:
            best[r["key"]] = r
    return sorted(best.values(), key=lambda r: (r["row"], r["seed"], r["finished"], r["key"]))


def long_table(results: list[dict[str, Any]]) -> pd.DataFrame:
    """One line per (finished cell, metric)."""
    records = []
    for r in dedupe([r for r in results if r["status"] == "ok"]):
        cell = r["cell"]
        base = {"key": r["key"], "table": r.get("table", "main"), "row": r["row"], "role": r["role"], "encoder": _label(cell["encoder"]),
                "objective": _label(cell["objective"]), "budget": cell["budget"].get("name", "default"),
                "seed": r["seed"], "wall_time_s": r["wall_time_s"]}
        declared = r.get("metric_info") or {}
        for metric, value in r["metrics"].items():
            if declared and metric not in declared:  # undeclared extras stay in the JSON, off the table
                continue
            info = declared.get(metric, {})
            records.append({**base, "column": f"{_label(cell['evaluator'])} {metric}", "value": value,
                            "higher_is_better": info.get("higher_is_better", True),
                            "primary": bool(info.get("primary", False)), "unit": info.get("unit", "")})
        for ref_name, value in r.get("reference", {}).items():
            records.append({**base, "column": f"paper {ref_name}", "value": value, "higher_is_better": True,
                            "reference": True, "primary": False})
    df = pd.DataFrame.from_records(records)
    return _fill_unused_axes(df) if not df.empty else df


def _fill_unused_axes(df: pd.DataFrame) -> pd.DataFrame:
    """A cell that does not use the encoder (or objective) joins the row of its data that does, when
    that row has a single encoder (objective): a fingerprint metric sits beside the same GAN's KID."""
    for axis in ("encoder", "objective"):
        known = df[df[axis] != "-"].groupby(["table", "row", "budget"])[axis].unique()
        for (table, row, budget), values in known.items():
            if len(values) == 1:
                mask = (df["table"] == table) & (df["row"] == row) & (df["budget"] == budget) & (df[axis] == "-")
                df.loc[mask, axis] = values[0]
    return df


@dataclass
class Leaderboard:
    """The aggregated table plus what the renderers need to know about it."""

    table: pd.DataFrame  # index: GROUP_COLS; columns: (column, stat) with stat in mean/std/n/ci_low/ci_high
    roles: dict[tuple, str]
    metric_columns: list[str]
    reference_columns: list[str]
    varying: list[str]  # which of encoder/objective/budget differ between rows (shown as columns)
    failed: int = 0
    problems: list[str] = field(default_factory=list)
    artifacts: dict[tuple, dict[str, Any]] = field(default_factory=dict)  # row key -> {name: path}
    threads: list[int] = field(default_factory=list)  # distinct hardware.torch_threads of the results
    higher: dict[str, bool] = field(default_factory=dict)  # column -> higher is better
    members: dict[tuple, list[str]] = field(default_factory=dict)  # row key -> keys of the results behind it
    values: dict[tuple, dict[str, dict[int, float]]] = field(default_factory=dict)  # row key -> column -> {seed: value}
    data_refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # row -> (kind, name) of its pretraining data
    flags: set[str] = field(default_factory=set)  # columns declared unit "flag" (a yes/no verdict per seed)
    _rhos: list | None = field(default=None, repr=False, compare=False)  # the bootstrap is seconds: computed once

    def higher_is_better(self, column: str) -> bool:
        return self.higher.get(column, True)

    def thread_note(self) -> str | None:
        """A warning when the results were computed with different torch thread counts (see harness/run/threads.py)."""
        if len(self.threads) < 2:
            return None
        counts = ", ".join(map(str, self.threads[:-1])) + f" and {self.threads[-1]}"
        return (f"these results were computed with {counts} torch threads per cell; numbers agree exactly only "
                f"at the same thread count (seebench run --threads N)")

    @property
    def primary(self) -> str | None:
        return self.metric_columns[0] if self.metric_columns else None

    def rows(self) -> list[tuple]:
        return list(self.table.index)

    def correlations(self) -> list[tuple[str, str, float, int]]:
        """Spearman rank correlation of each metric column with each reference column, over the rows
        that have both (at least 3): (metric, reference, rho, rows)."""
        out = []
        for ref in self.reference_columns:
            for metric in self.metric_columns:
                pair = pd.DataFrame({"ours": self.table[(metric, "mean")], "ref": self.table[(ref, "mean")]}).dropna()
                if len(pair) >= 3:
                    rho = pair["ours"].rank().corr(pair["ref"].rank())  # Spearman = Pearson of ranks
                    out.append((metric, ref, float(rho), len(pair)))
        return out

    def seed_values(self, column: str) -> dict[tuple, dict[int, float]]:
        """{row key: {seed: value}} of one metric column, rows that have it."""
        return {k: dict(v[column]) for k, v in self.values.items() if v.get(column)}

    def interval(self, key: tuple, column: str) -> st.Interval | None:
        """The row's 95 % t-interval over seeds; None with one seed (or none)."""
        return st.interval(list(self.values.get(key, {}).get(column, {}).values()))

    def baseline_keys(self, baseline: str) -> list[tuple]:
        """The rows of a baseline: named so (random-init: or of that role)."""
        return [k for k in self.rows() if k[0] == baseline or (baseline == "random-init" and self.roles[k] == baseline)]

    def differs(self, baseline: str, column: str | None = None) -> dict[tuple, tuple[st.Comparison, float, bool]]:
        """Each row against the baseline row of the same encoder/objective/budget (the only one when there is one):
        (comparison, Holm-adjusted p, significant at st.ALPHA), Holm over the rows tested against one baseline row."""
        column = column or self.primary
        bases = self.baseline_keys(baseline)
        if not column or not bases:
            return {}
        values = self.seed_values(column)
        against: dict[tuple, dict[tuple, dict[int, float]]] = {}
        for k, v in values.items():
            base = [b for b in bases if b[1:] == k[1:]] or (bases if len(bases) == 1 else [])
            if base and base[0] in values and k not in bases:
                against.setdefault(base[0], {base[0]: values[base[0]]})[k] = v
        out: dict[tuple, tuple[st.Comparison, float, bool]] = {}
        for base, rows in against.items():
            out.update(st.differs(rows, base))
        return out

    def group_letters(self, column: str | None = None) -> dict[tuple, str]:
        """Letters on one column (the primary): rows sharing a letter cannot be told apart."""
        column = column or self.primary
        return st.groups(self.seed_values(column), self.higher_is_better(column)) if column else {}

    def rhos(self) -> list[tuple[str, str, st.Rho]]:
        """ρ of each metric column with each reference column, with its bootstrap interval over seeds."""
        if self._rhos is not None:
            return list(self._rhos)
        out = []
        for ref in self.reference_columns:
            paper = {k: float(v) for k, v in self.table[(ref, "mean")].dropna().items()}
            for metric in self.metric_columns:
                rho = st.spearman_interval(self.seed_values(metric), paper)
                if rho is not None:
                    out.append((metric, ref, rho))
        self._rhos = out
        return list(out)

    def wide(self) -> pd.DataFrame:
        """Flat frame: group columns, role, then '<column> mean', '<column> std', '<column> n', '<column> ci_low',
        '<column> ci_high', and for the primary metric the Holm-adjusted p and mark against each baseline and the group."""
        flat = self.table.copy()
        flat.columns = [f"{col} {stat}" for col, stat in flat.columns]
        keys = list(self.table.index)
        letters = self.group_letters()
        for baseline in BASELINES:
            tested = self.differs(baseline)
            if self.baseline_keys(baseline):
                flat[f"p vs {baseline}"] = [tested[k][1] if k in tested else None for k in keys]
                flat[f"vs {baseline}"] = [mark(tested.get(k)) for k in keys]
        if self.primary:
            flat["group"] = [letters.get(k, "") for k in keys]
        flat = flat.reset_index()
        flat.insert(1, "role", [self.roles[r] for r in self.table.index])
        return flat


def mark(tested: tuple[st.Comparison, float, bool] | None) -> str:
    """'▲' above the baseline, '▼' below (Holm-corrected p < alpha), '=' cannot be told apart, '' not testable."""
    if tested is None:
        return ""
    comparison, _, significant = tested
    return ("▲" if comparison.diff > 0 else "▼") if significant else "="

def tables(results: list[dict[str, Any]]) -> list[str]:
    """Names of the tables the results fill ('main' first, then e.g. 'camera')."""
    names = {r.get("table", "main") for r in results if r["status"] == "ok"}
    return sorted(names, key=lambda n: (n != "main", n))


def attach_artifacts(board: Leaderboard, results: list[dict[str, Any]], paths: Any) -> Leaderboard:
    """Give each row the artifacts (e.g. sample grid and real photos) of its newest result that has any;
    `paths(result)` maps a result to {name: existing path}."""
    df_rows = {}
    for r in sorted(dedupe([r for r in results if r["status"] == "ok"]), key=lambda r: r["finished"]):
        found = paths(r)
        if found:
            df_rows[r["row"]] = found
    for key in board.rows():
        if key[0] in df_rows:
            board.artifacts[key] = df_rows[key[0]]
    return board


def build_all(results: list[dict[str, Any]], problems: list[str] | None = None,
              metric: str | None = None) -> list[tuple[str, Leaderboard]]:
    """One leaderboard per table; --metric applies to the tables that have it."""
    out = []
    for name in tables(results) or ["main"]:
        subset = [r for r in results if r.get("table", "main") == name]
        try:
            board = build(subset, problems if not out else [], metric)
        except Exception:
            if metric is None:
                raise
            board = build(subset, problems if not out else [])
        out.append((name, board))
    if metric is not None and not any(b.primary and (b.primary == metric or b.primary.endswith(f" {metric}"))
                                      for _, b in out):
        build(results, None, metric)  # raises the error naming the columns
    return out


def torch_threads(results: list[dict[str, Any]]) -> list[int]:
    """The distinct thread counts finished results were computed with, pretraining included (the encoder
    may have been cached by a run at another count); results that record none are left out."""
    finished = dedupe([r for r in results if r["status"] == "ok"])
    found = {(r.get("hardware") or {}).get(k) for r in finished for k in ("torch_threads", "pretrain_threads")}
    return sorted(t for t in found if isinstance(t, int) and not isinstance(t, bool))


def build(results: list[dict[str, Any]], problems: list[str] | None = None, metric: str | None = None) -> Leaderboard:
    failed = sum(1 for r in dedupe(results) if r["status"] != "ok")
    df = long_table(results)
    if df.empty:
        return Leaderboard(pd.DataFrame(), {}, [], [], [], failed, list(problems or []))
    if "reference" not in df:
        df["reference"] = False
    df["reference"] = df["reference"].fillna(False).astype(bool)
    metrics = list(dict.fromkeys(df.loc[~df["reference"], "column"]))
    primary = set(df.loc[df["primary"], "column"]) if "primary" in df else set()
    metrics.sort(key=lambda m: m not in primary)  # a metric declared primary leads (and sorts the table)
    references = list(dict.fromkeys(df.loc[df["reference"], "column"]))
    if metric is not None:
        chosen = [m for m in metrics if m == metric or m.endswith(f" {metric}")]
        if not chosen:
            from seebench.api.errors import ConfigError

            raise ConfigError(f"--metric {metric}: no such column; columns are {', '.join(metrics)}")
        metrics = chosen + [m for m in metrics if m not in chosen]
    # reference values are facts about the data, not measurements: one per row, no spread
    refs = df[df["reference"]].drop_duplicates(GROUP_COLS + ["column"])
    meas = df[~df["reference"]]
    stats = meas.groupby(GROUP_COLS + ["column"], sort=False)["value"].agg(
        mean="mean", std=lambda s: float(s.std(ddof=1)) if s.count() > 1 else 0.0, n="count")
    ref_stats = refs.groupby(GROUP_COLS + ["column"], sort=False)["value"].agg(mean="mean")
    ref_stats["std"], ref_stats["n"] = 0.0, 1
    ref_stats["ci_low"], ref_stats["ci_high"] = float("nan"), float("nan")
    values: dict[tuple, dict[str, dict[int, float]]] = {}
    for (*group, column), grp in meas.groupby(GROUP_COLS + ["column"], sort=False):
        values.setdefault(tuple(group), {})[column] = {int(s): float(v) for s, v in zip(grp["seed"], grp["value"])}
    cis = {(*g, c): st.interval(list(v.values())) for g, cols in values.items() for c, v in cols.items()}
    stats["ci_low"] = [cis[i].low if cis.get(i) else float("nan") for i in stats.index]
    stats["ci_high"] = [cis[i].high if cis.get(i) else float("nan") for i in stats.index]
    stats = pd.concat([stats, ref_stats])
    table = stats.unstack("column")
    table.columns = table.columns.swaplevel(0, 1)
    ordered = [(c, s) for c in metrics + references for s in ("mean", "std", "n", "ci_low", "ci_high")
               if (c, s) in table.columns]
    table = table[ordered]
    roles = {key: grp["role"].iloc[0] for key, grp in df.groupby(GROUP_COLS, sort=False)}
    primary = (metrics[0], "mean")
    higher = bool(df.loc[df["column"] == metrics[0], "higher_is_better"].iloc[0]) if metrics else True
    if primary in table.columns:
        table = table.sort_values(primary, ascending=not higher, na_position="last")
    index = table.index.to_frame(index=False)
    varying = [c for c in ("encoder", "objective", "budget") if index[c].nunique() > 1]
    directions = {c: bool(h) for c, h in df.groupby("column", sort=False)["higher_is_better"].first().items()}
    members = {k: list(v) for k, v in df.groupby(GROUP_COLS, sort=False)["key"].unique().items()}
    data_refs = {r["row"]: ((r["cell"].get("data") or {}).get("kind", ""), (r["cell"].get("data") or {}).get("name", ""))
                 for r in dedupe([r for r in results if r["status"] == "ok"])}
    flags = set(df.loc[df["unit"] == "flag", "column"]) if "unit" in df else set()
    return Leaderboard(table, roles, metrics, references, varying, failed, list(problems or []),
                       threads=torch_threads(results), higher=directions, members=members, values=values,
                       data_refs=data_refs, flags=flags)
