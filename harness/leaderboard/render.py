"""Leaderboard renderers: markdown, CSV, JSON, and the terminal table per board (its cells are written by cells.py)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from tabulate import tabulate

from seebench.leaderboard.cells import legend, notes, rho_lines, table_data  # noqa: F401 (render.legend, render.rho_lines)
from seebench.leaderboard.table import Leaderboard


def to_markdown(board: Leaderboard) -> str:
    if board.table.empty:
        return "_no finished results_\n"
    headers, rows = table_data(board)
    text = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True) + "\n"
    lines = notes(board)
    corr = [line for line in lines if not line.startswith("note:")]
    if corr:
        text += "\n" + "\n".join(corr) + "\n"
    text += "".join(f"\n{line}\n" for line in lines if line not in corr)
    return text


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def document(boards: list[tuple[str, Leaderboard]], base: Path) -> str:
    """Every table as markdown with its rows' pictures (sample grids) linked relative to `base`, and its problems:
    the body of leaderboard/README.md and of a run's leaderboard.md."""
    parts = []
    for name, board in boards:
        if name != "main":
            parts.append(f"\n## {name} table\n\n")
        parts.append(to_markdown(board))
        for key, files in board.artifacts.items():
            images = " ".join(f"![{key[0]} {n}]({_relative(p, base)})" for n, p in sorted(files.items()))
            parts.append(f"\n**{key[0]}** ({', '.join(sorted(files))}): {images}\n")
        problems = "".join(f"\n- {p}" for p in board.problems)
        if problems:
            parts.append(f"\nProblems:{problems}\n")
    return "".join(parts)


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
    from seebench.leaderboard.terminal import to_terminal

    console = console or Console()
    for name, board in boards:
        label = title or "seebench leaderboard"
        to_terminal(board, console, title=label if name == "main" else f"{label} — {name} table")


def to_terminal(board: Leaderboard, console: Console | None = None, title: str = "seebench leaderboard") -> None:
    """The rich table with bars (harness/leaderboard/terminal.py)."""
    from seebench.leaderboard.terminal import to_terminal as draw

    draw(board, console, title)
