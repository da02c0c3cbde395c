"""Resumable pretraining checkpoints: written with a digest, checked, loaded weights_only; refused when the key differs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from seebench import CellFailed, load_torch, read_or_set_aside, save_torch

FORMAT = 1


def save(path: Path, key: str, step: int, state: dict[str, Any]) -> None:
    """Write atomically (unique temp name, digest inside): a kill mid-write leaves the previous checkpoint intact."""
    save_torch(path, {"format": FORMAT, "key": key, "step": step, **state})


def _say(line: str) -> None:
    print(f"seebench: {line}", file=sys.stderr)


def load(path: Path, key: str, log: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The checkpoint at `path` if it belongs to `key`; None if there is none, or if it is damaged (truncated,
    bit-flipped: it is then moved aside with one line to `log` and the cell starts over); CellFailed when it
    belongs to another configuration."""
    blob = read_or_set_aside(Path(path), load_torch, log or _say)
    if blob is None:
        return None
    if not isinstance(blob, dict) or blob.get("key") != key or blob.get("format") != FORMAT:
        found = blob.get("key") if isinstance(blob, dict) else type(blob).__name__
        raise CellFailed(
            f"checkpoint {path} belongs to another configuration (key {found}, this cell needs {key}); "
            f"refusing to load it - delete it to start this cell from scratch"
        )
    return blob
