"""What a finished run leaves to look at: leaderboard.md, chart.png, curves.png and index.html in its folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from seebench.leaderboard import chart
from seebench.leaderboard import render
from seebench.leaderboard.curves_chart import render_curves
from seebench.leaderboard.table import Leaderboard
from seebench.leaderboard.page import write_page
from seebench.results.store import atomic_write_text


def chart_board(boards: list[tuple[str, Leaderboard]]) -> Leaderboard | None:
    """The board the bar chart draws: the main table, else the first table with results (a camera-only run)."""
    for _, board in boards:
        if not board.table.empty and board.primary:
            return board
    return None


def write_visuals(folder: Path, boards: list[tuple[str, Leaderboard]], results: list[dict[str, Any]],
                  title: str, markdown_name: str | None = None, markdown_text: str = "") -> dict[str, Path]:
    """chart.png (when a table has results), curves.png (when results carry curves) and index.html, plus
    `markdown_text` as `markdown_name` when given; returns {what: path} of the files written."""
    folder = Path(folder)
    written: dict[str, Path] = {}
    if markdown_name:
        written["markdown"] = folder / markdown_name
        atomic_write_text(written["markdown"], markdown_text)
    board = chart_board(boards)
    if board is not None:
        written["chart"] = chart.render_chart(board, folder / "chart.png")
    curves = render_curves(results, folder / "curves.png")
    if curves is not None:
        written["curves"] = curves
    written["page"] = write_page(folder / "index.html", boards, results, title=title,
                                 chart=written.get("chart"), curves=written.get("curves"))
    return written


def write_run_report(run_dir: Path, boards: list[tuple[str, Leaderboard]], results: list[dict[str, Any]],
                     title: str) -> dict[str, Path]:
    """The files `seebench run` ends with (also when some cells failed)."""
    head = f"# {title}\n\n" + ("![chart](chart.png)\n\n" if chart_board(boards) is not None else "")
    text = head + render.document(boards, Path(run_dir))
    return write_visuals(Path(run_dir), boards, results, title, markdown_name="leaderboard.md", markdown_text=text)
