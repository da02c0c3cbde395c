"""How a leaderboard's numbers are written, for every renderer: mean ± CI cells, statistics and group columns, rho, legend, notes."""

from __future__ import annotations

import math

from seebench.leaderboard import stats as st
from seebench.leaderboard.table import BASELINES, Leaderboard, mark

TINY = 1e-12  # below this a number is rounding noise (a spread over identical subsets), shown as 0


def _num(x: float) -> str:
    """Two decimals, or three significant digits for small numbers (a KID of 0.0031 is not 0.00);
    rounding noise such as a std of 3e-16 is 0."""
    x = 0.0 if abs(x) < TINY else x
    return f"{x:.3g}" if x != 0 and abs(x) < 0.1 else f"{x:.2f}"


def _fmt(mean: float, half: float | None, n: int, compact: bool = False) -> str:
    """'mean ± half-width of the 95 % CI' over n seeds; one seed: 'mean (1 seed)', no interval exists;
    compact: the half-width to 2 significant digits."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    if not n or n <= 1 or half is None:
        return f"{_num(mean)} (1 seed)" if n == 1 else _num(mean)
    if compact:
        return f"{_num(mean)} ±{'0' if abs(half) < TINY else f'{half:.2g}'}"
    return f"{_num(mean)} ± {_num(half)}"


def _flag(mean: float, n: int) -> str:
    """A flag metric (0 or 1 per seed): 'yes' / 'no' when the seeds agree, else 'yes in k of n seeds'."""
    yes = round(mean * n)
    if yes in (0, n):
        return "yes" if yes else "no"
    return f"yes in {yes} of {n} seeds"


def _cells(board: Leaderboard, key: tuple, column: str, compact: bool = False) -> str:
    t = board.table
    if (column, "mean") not in t.columns:
        return "—"
    mean, n = t.loc[key, (column, "mean")], t.loc[key, (column, "n")]
    if isinstance(mean, float) and math.isnan(mean):
        return "—"
    if column in board.reference_columns:  # a fact about the data (the paper's number): no spread
        return _num(float(mean))
    if column in board.flags:  # a verdict: yes / no, or how many seeds said yes
        return _flag(float(mean), int(n))
    ci = board.interval(key, column)
    return _fmt(float(mean), ci.half_width if ci else None, int(n), compact)


def stat_columns(board: Leaderboard) -> list[tuple[str, dict[tuple, str]]]:
    """The statistics columns of the primary metric: (header, {row key: cell}) for each baseline present
    ('vs random-init', 'vs white-noise': marks) and 'group' (letters)."""
    out = []
    for baseline in BASELINES:
        if board.primary and board.baseline_keys(baseline):
            tested = board.differs(baseline)
            out.append((f"vs {baseline}", {k: mark(tested.get(k)) for k in board.rows()}))
    if board.primary:
        letters = board.group_letters()
        out.append(("group", {k: letters.get(k, "") for k in board.rows()}))
    return out


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


def table_data(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """The table as header and row strings, in row order: what the markdown and the HTML page both show
    (a column added here appears in both)."""
    extra = stat_columns(board)
    headers = (_group_headers(board) + ["role"] + board.metric_columns + [h for h, _ in extra]
               + board.reference_columns + ["seeds"])
    rows = []
    for key in board.rows():
        rows.append(_group_values(board, key) + [board.roles[key]]
                    + [_cells(board, key, c) for c in board.metric_columns] + [cells[key] for _, cells in extra]
                    + [_cells(board, key, c) for c in board.reference_columns] + [str(_seeds(board, key))])
    return headers, rows


def _signed(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def rho_lines(board: Leaderboard) -> list[str]:
    """ρ against each reference column with its bootstrap interval over seeds and the rows it rests on."""
    lines = []
    for m, r, rho in board.rhos():
        if rho.low is None:
            spread = "no interval (every row has one seed)"
        else:
            spread = f"95 % bootstrap interval [{_signed(rho.low)}, {_signed(rho.high)}] over seeds ({rho.samples} resamples)"
        lines.append(f"Spearman ρ({m}, {r}) = {_signed(rho.rho)}, {spread}, over {rho.rows} rows")
    return lines


def legend(board: Leaderboard) -> list[str]:
    """What the ± , the marks and the letters mean; the one-seed rows said."""
    if board.table.empty or not board.primary:
        return []
    lines = ["± is the half-width of the 95 % t-interval of the mean over seeds; a row of one seed has no interval "
             "and says '(1 seed)'"]
    one = [k[0] for k in board.rows() if board.primary in board.values.get(k, {})
           and len(board.values[k][board.primary]) == 1]
    if one:
        lines.append(f"no interval exists for {', '.join(one)}: one seed each (run more seeds: --set matrix.seeds=[0,1,2])")
    names = [h for h, _ in stat_columns(board) if h.startswith("vs ")]
    if names:
        lines.append(f"{', '.join(names)} ({board.primary}): ▲ higher, ▼ lower than that baseline row, = cannot be "
                     f"told apart; paired t-test over the seeds both have (Welch's t-test when fewer than two match), "
                     f"Holm-corrected over the rows, alpha {st.ALPHA}; blank: the baseline itself or fewer than two seeds")
    lines.append(f"group ({board.primary}): rows sharing a letter cannot be told apart (every pair tested as above, "
                 f"Holm-corrected, alpha {st.ALPHA}); rows of one seed get none")
    return lines


def notes(board: Leaderboard) -> list[str]:
    """Lines shown under the table in markdown and on the page: Spearman ρ with its interval, the legend, the thread note."""
    lines = rho_lines(board) + legend(board)
    if board.thread_note():
        lines.append(f"note: {board.thread_note()}")
    return lines
