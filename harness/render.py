"""Leaderboard renderers: rich terminal table with bars, markdown (tabulate), CSV and JSON (pandas)."""

from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table
from tabulate import tabulate

from .leaderboard import Leaderboard

ROLE_STYLE = {"real": "green", "synthetic": "cyan", "random-init": "bright_black", "baseline": "yellow"}
BAR_WIDTH = 24


def _num(x: float) -> str:
    """Two decimals, or three significant digits for small numbers (a KID of 0.0031 is not 0.00)."""
    return f"{x:.3g}" if x != 0 and abs(x) < 0.1 else f"{x:.2f}"


def _fmt(mean: float, std: float, n: int) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{_num(mean)} ± {_num(std)}" if n and n > 1 else _num(mean)


def _cells(board: Leaderboard, key: tuple, column: str) -> str:
    t = board.table
    if (column, "mean") not in t.columns:
        return "—"
    mean, std, n = t.loc[key, (column, "mean")], t.loc[key, (column, "std")], t.loc[key, (column, "n")]
    if isinstance(mean, float) and math.isnan(mean):
        return "—"
    return _fmt(float(mean), float(std), int(n))


def _bar(value: float, top: float) -> str:
    if value is None or math.isnan(value) or top <= 0:
        return ""
    eighths = int(round(max(value, 0) / top * BAR_WIDTH * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def _group_headers(board: Leaderboard) -> list[str]:
    return ["pretraining data"] + board.varying


def _group_values(board: Leaderboard, key: tuple) -> list[str]:
    row, encoder, objective, budget = key
    parts = {"encoder": encoder, "objective": objective, "budget": budget}
    return [row] + [parts[c] for c in board.varying]


def _seeds(board: Leaderboard, key: tuple) -> int:
    """Seeds behind a row: the most any of its metric columns has (columns may come from other cells)."""
    counts = [board.table.loc[key, (c, "n")] for c in board.metric_columns]
    counts = [int(n) for n in counts if not (isinstance(n, float) and math.isnan(n))]
    return max(counts, default=0)


def to_terminal(board: Leaderboard, console: Console | None = None, title: str = "seebench leaderboard") -> None:
    console = console or Console()
    if board.table.empty:
        console.print("no finished results to show")
        return
    table = Table(title=title, title_justify="left")
    for h in _group_headers(board):
        table.add_column(h)
    for col in board.metric_columns:
        table.add_column(col, justify="right")
    if board.primary:
        table.add_column("", justify="left", no_wrap=True)
    for col in board.reference_columns:
        table.add_column(col, justify="right", style="dim")
    table.add_column("seeds", justify="right")
    top = float(board.table[(board.primary, "mean")].max()) if board.primary else 0.0
    top = 0.0 if math.isnan(top) else top
    for key in board.rows():
        style = ROLE_STYLE.get(board.roles[key], "")
        values = _group_values(board, key)
        values[0] = f"[{style}]{values[0]}[/]" if style else values[0]
        bar = _bar(float(board.table.loc[key, (board.primary, "mean")]), top) if board.primary else ""
        table.add_row(*values, *[_cells(board, key, c) for c in board.metric_columns],
                      f"[{style}]{bar}[/]" if style else bar,
                      *[_cells(board, key, c) for c in board.reference_columns], str(_seeds(board, key)))
    console.print(table)
    for key in board.rows():
        for name, path in board.artifacts.get(key, {}).items():
            console.print(f"  {key[0]} {name}: {path}", highlight=False)
    for metric, ref, rho, n in board.correlations():
        console.print(f"Spearman ρ({metric}, {ref}) = {rho:+.2f} over {n} rows", highlight=False)
    notes = []
    if board.failed:
        notes.append(f"{board.failed} failed cell(s) not shown")
    notes += board.problems
    if board.thread_note():
        notes.append(board.thread_note())
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)


def to_markdown(board: Leaderboard) -> str:
    if board.table.empty:
        return "_no finished results_\n"
    headers = _group_headers(board) + ["role"] + board.metric_columns + board.reference_columns + ["seeds"]
    rows = []
    for key in board.rows():
        rows.append(_group_values(board, key) + [board.roles[key]]
                    + [_cells(board, key, c) for c in board.metric_columns + board.reference_columns]
                    + [_seeds(board, key)])
    text = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True) + "\n"
    corr = board.correlations()
    if corr:
        text += "\n" + "\n".join(f"Spearman ρ({m}, {r}) = {rho:+.2f} over {n} rows" for m, r, rho, n in corr) + "\n"
    if board.thread_note():
        text += f"\nnote: {board.thread_note()}\n"
    return text


def to_csv(board: Leaderboard) -> str:
    return board.wide().to_csv(index=False)


def to_json(board: Leaderboard) -> str:
    return board.wide().to_json(orient="records", indent=1) + "\n"


def boards_to_text(boards: list[tuple[str, Leaderboard]], fmt: str) -> str:
    """Several tables in one output: markdown sections, CSV/JSON with a `table` column."""
    if fmt == "markdown":
        if len(boards) == 1:
            return to_markdown(boards[0][1])
        return "\n".join(f"## {name} table\n\n{to_markdown(board)}" for name, board in boards)
    import pandas as pd

    frames = []
    for name, board in boards:
        if not board.table.empty:
            wide = board.wide()
            wide.insert(0, "table", name)
            frames.append(wide)
    merged = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if fmt == "csv":
        return merged.to_csv(index=False)
    return merged.to_json(orient="records", indent=1) + "\n"


def boards_to_terminal(boards: list[tuple[str, Leaderboard]], console: Console | None = None, title: str = "") -> None:
    console = console or Console()
    for name, board in boards:
        label = title or "seebench leaderboard"
        to_terminal(board, console, title=label if name == "main" else f"{label} — {name} table")
