"""Where a run's cached intermediates live: `cache/<namespace>/<content key><suffix>`, encoders by pretrained key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from seebench.matrix.cell import content_key

CACHE = "cache"


def cache_file(run_dir: Path, namespace: str, identity: Mapping[str, Any], suffix: str) -> Path:
    """The file unique to `identity` under `<run_dir>/cache/<namespace>/` (the folder is created)."""
    folder = Path(run_dir) / CACHE / namespace
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{content_key(dict(identity))}{suffix}"


def encoder_file(run_dir: Path, pretrained_key: str) -> Path:
    """Where the encoder of a pretraining (a cell's `pretrained_key`) is cached, as safetensors."""
    return Path(run_dir) / CACHE / "encoders" / f"{pretrained_key}.safetensors"


def encoder_record(encoder_path: Path) -> Path:
    """The JSON beside a cached encoder saying how it was trained (cell, torch threads, curves)."""
    return encoder_path.with_suffix(".json")


def data_grid(encoder_path: Path) -> Path:
    """The grid of the first images the cached encoder pretrained on, beside it."""
    return encoder_path.with_name(f"{encoder_path.stem}-data.png")
