"""The leaderboard in a terminal: a rich table with bars that fits the console, fewer columns when it must."""

from __future__ import annotations

import io
import math

from rich.console import Console
from rich.table import Table

from seebench.leaderboard.table import Leaderboard
from seebench.leaderboard.cells import _cells, _group_headers, _group_values, _seeds, legend, rho_lines, stat_columns

ROLE_STYLE = {"real": "green", "synthetic": "cyan", "random-init": "bright_black", "baseline": "yellow"}
BAR_WIDTH = 24
NARROW_BAR = 10
HEADER_LINE = 12  # header lines wrap at '_' / '-' beyond this many characters


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells at `top`, drawn in eighths of a cell."""
    if value is None or math.isnan(value) or top <= 0:
        return ""
    eighths = int(round(max(value, 0) / top * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def _wrap(word: str) -> list[str]:
    """'carries_fingerprint' -> ['carries_', 'fingerprint']: lines of <= HEADER_LINE where the name allows."""
    lines, current = [], ""
    for part in word.replace("_", "_\0").replace("-", "-\0").split("\0"):
        if current and len(current) + len(part) > HEADER_LINE:
            lines.append(current)
            current = ""
        current += part
    return lines + [current] if current else lines


def header(column: str) -> str:
    """'fingerprint pce_gen_pooled': evaluator over metric, each wrapped; 'kid kid' -> 'kid'."""
    evaluator, sep, metric = column.partition(" ")
    if not sep:
        return "\n".join(_wrap(column))
    words = [metric] if metric == evaluator else [evaluator, metric]
    return "\n".join(line for w in words for line in _wrap(w))


def bar_header(board: Leaderboard) -> str:
    """Names the metric the bars draw and which way is better."""
    higher = board.higher_is_better(board.primary) if board.primary else True
    return f"bars: {board.primary}, {'higher' if higher else 'lower'} is better"


def companion(column: str, columns: list[str]) -> bool:
    """'kid kid_std' beside 'kid kid': a spread within the cell, left to the markdown and JSON here."""
    return column.endswith("_std") and column[:-4] in columns


def drop_order(board: Leaderboard, shown: list[str]) -> list[str]:
    """Columns to leave out, first to last, when the table is too wide: later metrics of an evaluator
    before its first one, later evaluators first; the primary metric never."""
    firsts, rest, seen = [], [], set()
    for col in shown:
        evaluator = col.partition(" ")[0]
        (rest if evaluator in seen else firsts).append(col)
        seen.add(evaluator)
    return [c for c in rest[::-1] + firsts[::-1] if c != board.primary]


def _table(board: Leaderboard, shown: list[str], width: int, title: str) -> Table:
    table = Table(title=title, title_justify="left", caption=bar_header(board) if board.primary else None,
                  caption_justify="left")
    for h in _group_headers(board):
        table.add_column(h, no_wrap=True)
    for col in shown:
        table.add_column(header(col), justify="right", no_wrap=True)
    extra = stat_columns(board)
    for name, _ in extra:
        table.add_column(name.replace("vs ", "vs\n", 1), justify="center", no_wrap=True)
    if board.primary:
        table.add_column(f"bars\n{header(board.primary)}", justify="left", no_wrap=True, min_width=width)
    for col in board.reference_columns:
        table.add_column(header(col), justify="right", style="dim", no_wrap=True)
    table.add_column("seeds", justify="right")
    top = float(board.table[(board.primary, "mean")].max()) if board.primary else 0.0
    top = 0.0 if math.isnan(top) else top
    for key in board.rows():
        style = ROLE_STYLE.get(board.roles[key], "")
        values = _group_values(board, key)
        values[0] = f"[{style}]{values[0]}[/]" if style else values[0]
        drawn = bar(float(board.table.loc[key, (board.primary, "mean")]), top, width) if board.primary else ""
        table.add_row(*values, *[_cells(board, key, c, compact=True) for c in shown], *[cells[key] for _, cells in extra],
                      f"[{style}]{drawn}[/]" if style else drawn,
                      *[_cells(board, key, c, compact=True) for c in board.reference_columns], str(_seeds(board, key)))
    return table


def _fits(table: Table, width: int) -> bool:
    probe = Console(file=io.StringIO(), width=10_000)
    return probe.measure(table).maximum <= width


def layout(board: Leaderboard, width: int, title: str = "") -> tuple[Table, list[str]]:
    """The widest table that fits `width` columns: full bars, then narrow bars, then fewer metric columns
    (companions first); returns it with the metric columns left out."""
    columns = board.metric_columns + board.reference_columns
    full = [c for c in board.metric_columns if not companion(c, columns)]
    shown = list(full)
    drops = drop_order(board, shown)
    while True:
        for bar_width in (BAR_WIDTH, NARROW_BAR):
            table = _table(board, shown, bar_width, title)
            if _fits(table, width):
                return table, [c for c in board.metric_columns if c not in shown]
        if not drops:
            return table, [c for c in board.metric_columns if c not in shown]
        shown.remove(drops.pop(0))


def to_terminal(board: Leaderboard, console: Console | None = None, title: str = "seebench leaderboard") -> None:
    console = console or Console()
    if board.table.empty:
        console.print("no finished results to show")
        return
    table, hidden = layout(board, console.width, title)
    console.print(table)
    for key in board.rows():
        for name, path in board.artifacts.get(key, {}).items():
            console.print(f"  {key[0]} {name}: {path}", highlight=False)
    for line in rho_lines(board) + legend(board):
        console.print(line, highlight=False, markup=False)
    notes = [f"in leaderboard.md and the JSON, not in this table: {', '.join(hidden)}"] if hidden else []
    if board.failed:
        notes.append(f"{board.failed} failed cell(s) not shown")
    notes += board.problems
    if board.thread_note():
        notes.append(board.thread_note())
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
