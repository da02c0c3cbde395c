"""The leaderboard as one self-contained HTML page: sortable tables, chart, curves, sample grids, provenance."""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from typing import Any

from seebench.leaderboard.table import Leaderboard
from seebench.leaderboard.page_assets import CSP, CSS, JS
from seebench.leaderboard.render import notes, table_data

MAX_IMAGE_SIDE = 2048  # larger pictures are scaled down before they are inlined (charts are ~1,200 px wide)


def data_uri(path: Path) -> str:
    """A PNG/JPEG file as a data: URI (scaled to MAX_IMAGE_SIDE, PNG-encoded, when larger or not PNG)."""
    from PIL import Image

    raw = Path(path).read_bytes()
    with Image.open(io.BytesIO(raw)) as img:
        if img.format == "PNG" and max(img.size) <= MAX_IMAGE_SIDE:
            return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")
        img = img.convert("RGB")
        img.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.NEAREST)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _distinct(values: list[Any]) -> str:
    seen = list(dict.fromkeys(str(v) for v in values if v not in (None, "")))
    return ", ".join(seen) if seen else "—"


def provenance(results: list[dict[str, Any]]) -> dict[str, str]:
    """What a row's numbers came from: seeds, commit, versions, hardware, wall time, when."""
    versions = sorted({f"{k} {v}" for r in results for k, v in (r.get("versions") or {}).items()})
    hardware = []
    for r in results:
        hw = r.get("hardware") or {}
        gpu = f", GPU {hw['gpu']}" if hw.get("gpu") else ""
        hardware.append(f"{hw.get('cpu', '?')}, {hw.get('cores', '?')} cores, {hw.get('torch_threads', '?')} torch "
                        f"threads, {hw.get('device', 'cpu')}{gpu}")
    walls = [float(r.get("wall_time_s") or 0.0) for r in results]
    pretrain = [float((r.get("timings") or {}).get("pretrain_s", 0.0)) for r in results]
    return {
        "seeds": _distinct(sorted({int(r["seed"]) for r in results})),
        "cells": str(len(results)),
        "commit": _distinct([(r.get("git_commit") or "")[:12] + ("-dirty" if str(r.get("git_commit", "")).endswith("-dirty")
                                                                  else "") for r in results]),
        "versions": ", ".join(versions) or "—",
        "hardware": _distinct(hardware),
        "wall time": f"{sum(walls):.1f} s in all, {max(walls):.1f} s the longest cell"
                     + (f", {sum(pretrain):.1f} s of it pretraining" if any(pretrain) else ""),
        "finished": _distinct(sorted({str(r.get("finished", ""))[:19] for r in results})),
        "cell keys": ", ".join(r["key"] for r in results),
    }


def _provenance_cell(results: list[dict[str, Any]]) -> str:
    facts = provenance(results)
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts.items())
    return (f'<td class="prov"><details><summary>seeds {_e(facts["seeds"])}</summary>'
            f"<dl>{items}</dl></details></td>")


def _table(name: str, board: Leaderboard, by_key: dict[str, dict[str, Any]]) -> str:
    headers, rows = table_data(board)
    role_col = headers.index("role")
    text_cols = set(range(role_col + 1))
    head = "".join(f'<th scope="col"><button type="button">{_e(h)}</button></th>' for h in headers)
    head += '<th scope="col">provenance</th>'
    body = []
    for key, cells in zip(board.rows(), rows):
        tds = []
        for i, cell in enumerate(cells):
            cls = f' class="txt role-{_e(board.roles[key])}"' if i == 0 else (' class="txt"' if i in text_cols else ' class="num"')
            tds.append(f"<td{cls}>{_e(cell)}</td>")
        members = [by_key[k] for k in board.members.get(key, []) if k in by_key]
        tds.append(_provenance_cell(members))
        body.append(f'<tr data-row="{_e(key[0])}">{"".join(tds)}</tr>')
    lines = "".join(f'<p class="note">{_e(line)}</p>' for line in notes(board))
    if board.failed:
        lines += f'<p class="note">{board.failed} failed cell(s) not shown</p>'
    lines += "".join(f'<p class="note">problem: {_e(p)}</p>' for p in board.problems)
    return (f'<div class="scroll"><table class="board" id="table-{_e(name)}" data-table="{_e(name)}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{lines}")


def _grids(board: Leaderboard) -> str:
    figures = []
    for key, files in board.artifacts.items():
        for art, path in sorted(files.items()):
            if Path(path).suffix.lower() in (".png", ".jpg", ".jpeg"):
                figures.append(f'<figure><img alt="{_e(key[0])} {_e(art)}" src="{data_uri(Path(path))}">'
                               f"<figcaption>{_e(key[0])}: {_e(art)}</figcaption></figure>")
    return f'<h3>Sample grids</h3><div class="grids">{"".join(figures)}</div>' if figures else ""


def _figure(path: Path | None, alt: str, caption: str) -> str:
    if path is None or not Path(path).exists():
        return ""
    return f'<figure><img alt="{_e(alt)}" src="{data_uri(Path(path))}"><figcaption>{_e(caption)}</figcaption></figure>'


def render_page(boards: list[tuple[str, Leaderboard]], results: list[dict[str, Any]], title: str = "seebench leaderboard",
                chart: Path | None = None, curves: Path | None = None, intro: str = "") -> str:
    """The page's HTML: every table of `boards` with each row's provenance from `results`, the bar chart
    and the training curves (PNG files, inlined), sample grids from the boards' artifacts."""
    by_key = {r["key"]: r for r in results}
    newest = max((str(r.get("finished", "")) for r in results), default="")  # not the clock: same results, same page
    parts = [f"<h1>{_e(title)}</h1>",
             f'<p class="meta">{len(by_key)} result(s)' + (f", the newest finished {_e(newest)}" if newest else "")
             + ". Click a column header to sort; “provenance” opens where each row’s numbers came from.</p>"]
    if intro:
        parts.append(f"<p>{_e(intro)}</p>")
    parts.append(_figure(chart, "bar chart", "bar chart of the main table's first metric (mean, 95 % CI over seeds)"))
    for name, board in boards:
        parts.append(f'<h2 id="{_e(name)}">{_e(name)} table</h2>')
        if board.table.empty:
            parts.append("<p>no finished results</p>")
            continue
        parts.append(_table(name, board, by_key))
        parts.append(_grids(board))
    parts.append(_figure(curves, "training curves", "training curves: one line per row, mean over seeds"))
    body = "\n".join(p for p in parts if p)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n<script>{JS}</script>\n"
            f"</body></html>\n")


def write_page(path: Path, boards: list[tuple[str, Leaderboard]], results: list[dict[str, Any]],
               **options: Any) -> Path:
    from seebench.results.store import atomic_write_text

    path = Path(path)
    atomic_write_text(path, render_page(boards, results, **options))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o644 & ~umask)  # readable by a web server, like any file of a static site
    return path
