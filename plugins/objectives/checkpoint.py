"""Resumable pretraining checkpoints: torch.save, loaded with weights_only=True, refused when the key differs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from harness import CellFailed

FORMAT = 1


def save(path: Path, key: str, step: int, state: dict[str, Any]) -> None:
    """Write atomically: a kill during the write leaves the previous checkpoint intact."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": FORMAT, "key": key, "step": step, **state}, tmp)
    os.replace(tmp, path)


def load(path: Path, key: str) -> dict[str, Any] | None:
    """The checkpoint at `path` if it belongs to `key`; None if there is none; CellFailed otherwise."""
    if not path.exists():
        return None
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CellFailed(f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); delete it to start over") from exc
    if not isinstance(blob, dict) or blob.get("key") != key or blob.get("format") != FORMAT:
        found = blob.get("key") if isinstance(blob, dict) else type(blob).__name__
        raise CellFailed(
            f"checkpoint {path} belongs to another configuration (key {found}, this cell needs {key}); "
            f"refusing to load it - delete it to start this cell from scratch"
        )
    return blob
