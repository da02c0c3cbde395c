"""`seebench generate`: export a generator's images to PNG shards, in parallel, resumably."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from seebench.primitives.atomic import is_stale_temp
from seebench.api.components import Component
from seebench.api.errors import ConfigError
from seebench.generate.grids import png_bytes, to_hwc, write_atomic
from seebench.api.images import check_uint8_batch

MANIFEST = "manifest.json"
# Fields that must match for a folder to be resumed (n may grow).
IDENTITY = ("family", "params", "seed", "size", "format", "shard_size", "component_version")


@dataclass
class ExportPlan:
    component: Component
    params: dict[str, Any]
    seed: int
    n: int
    size: int
    out: Path
    shard_size: int = 1000
    workers: int = 1
    chunk: int = 16
    format: str = "png"
    registry_spec: Any = None  # a RegistrySpec: how spawned workers find the generator (None: the environment's plugins)

    def path_of(self, index: int) -> Path:
        return self.out / f"{index // self.shard_size:05d}" / f"{index:08d}.{self.format}"

    def manifest(self, status: str, written: int) -> dict[str, Any]:
        from seebench import __version__

        return {
            "family": self.component.name,
            "params": self.params,
            "seed": self.seed,
            "size": self.size,
            "format": self.format,
            "shard_size": self.shard_size,
            "component_version": self.component.version,
            "plugin": self.component.plugin,
            "plugin_version": self.component.plugin_version,
            "n": self.n,
            "layout": "{index // shard_size:05d}/{index:08d}.png",
            "seebench_version": __version__,
            "status": status,
            "written": written,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }


@dataclass
class ExportResult:
    written: int = 0
    skipped: int = 0
    seconds: float = 0.0
    complete: bool = False
    manifest: dict = field(default_factory=dict)


def read_manifest(out: Path) -> dict | None:
    path = Path(out) / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path} is not a readable manifest ({exc}); use another --out folder") from None


def _write_manifest(plan: ExportPlan, status: str, written: int) -> dict:
    data = plan.manifest(status, written)
    write_atomic(plan.out / MANIFEST, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
    return data


def missing_indices(plan: ExportPlan) -> list[int]:
    """Indices whose file is absent; leftover temporary files of a killed run are removed (never a live writer's)."""
    present: set[int] = set()
    n_shards = (plan.n + plan.shard_size - 1) // plan.shard_size
    suffix = f".{plan.format}"
    for s in range(n_shards):
        folder = plan.out / f"{s:05d}"
        if not folder.is_dir():
            continue
        for name in os.listdir(folder):
            if name.startswith(".") and name.endswith(".tmp"):
                if is_stale_temp(folder / name):
                    try:
                        os.unlink(folder / name)
                    except OSError:
                        pass
            elif name.endswith(suffix) and name[: -len(suffix)].isdigit():
                present.add(int(name[: -len(suffix)]))
    return [i for i in range(plan.n) if i not in present]


# -- worker side -----------------------------------------------------------------------------
_STATE: dict[str, Any] = {}


def _init_worker(state: dict[str, Any]) -> None:
    if mp.parent_process() is not None:  # Ctrl-C is the parent's to handle (it terminates the pool)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # pragma: no cover
        pass
    if state.get("generator") is None:  # spawn: rebuild from the registry by name
        from seebench.plugins.manager import RegistrySpec

        comp = (state.get("registry_spec") or RegistrySpec.create()).load().get("generator", state["name"])
        state = dict(state, generator=comp.build(state["params"]))
    _STATE.clear()
    _STATE.update(state)


def _write_chunk(indices: list[int]) -> int:
    gen, seed, size = _STATE["generator"], _STATE["seed"], _STATE["size"]
    out, shard = Path(_STATE["out"]), _STATE["shard_size"]
    images = check_uint8_batch(gen.generate(indices, seed, size), f"generator '{_STATE['name']}'.generate")
    for i, img in zip(indices, to_hwc(images)):
        path = out / f"{i // shard:05d}" / f"{i:08d}.png"
        write_atomic(path, png_bytes(img if img.shape[-1] == 3 else img[..., 0]))
    return len(indices)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for k in range(0, len(items), size):
        yield items[k:k + size]


def chunk_size(plan: ExportPlan, generator: Any, todo: int) -> int:
    """Images per worker task: a multiple of what the generator renders at once anyway (featvis
    pads its network batch: a smaller request costs as much), no more than plan.chunk (rounded up
    to that), and small enough that every worker gets a share at small N."""
    from seebench.planning.estimate import _render_batch

    unit = _render_batch(generator, plan.size)
    size = -(-max(plan.chunk, 1) // unit) * unit
    share = -(-todo // max(plan.workers, 1))  # images per worker if split evenly
    return max(unit, min(size, -(-share // unit) * unit))


def export(plan: ExportPlan, generator: Any, progress: Callable[[int, int], None] | None = None,
           stop_after: int | None = None) -> ExportResult:
    """Write the images of `plan` that are not on disk yet; returns what was done.

    Each file is written atomically (temporary name, then rename), so after an interruption
    every file present is whole and a re-run writes only the missing ones. `stop_after` stops
    after about that many new images (used to test resuming).
    """
    t0 = time.perf_counter()
    plan.out.mkdir(parents=True, exist_ok=True)
    old = read_manifest(plan.out)
    if old is not None:
        new = plan.manifest("", 0)
        diff = [k for k in IDENTITY if old.get(k) != new.get(k)]
        if diff:
            k = diff[0]
            raise ConfigError(
                f"{plan.out} already holds an export with {k}={old.get(k)!r}, not {new.get(k)!r}; "
                f"use another --out folder (or delete it) to start a different export"
            )
    todo = missing_indices(plan)
    skipped = plan.n - len(todo)
    if stop_after is not None:
        todo = todo[:stop_after]
    for s in sorted({i // plan.shard_size for i in todo}):
        (plan.out / f"{s:05d}").mkdir(exist_ok=True)
    _write_manifest(plan, "in-progress", skipped)
    state = {"name": plan.component.name, "params": plan.params, "seed": plan.seed, "size": plan.size,
             "out": str(plan.out), "shard_size": plan.shard_size, "generator": generator,
             "registry_spec": plan.registry_spec}
    if progress:
        progress(skipped, plan.n)
    chunks = list(_chunks(todo, chunk_size(plan, generator, len(todo))))
    try:
        written = _run(plan, state, chunks, skipped, progress)
    except KeyboardInterrupt:
        _write_manifest(plan, "interrupted", plan.n - len(missing_indices(plan)))
        raise
    complete = not missing_indices(plan)
    manifest = _write_manifest(plan, "complete" if complete else "in-progress", skipped + written)
    return ExportResult(written, skipped, time.perf_counter() - t0, complete, manifest)


def _run(plan: ExportPlan, state: dict, chunks: list[list[int]], skipped: int,
         progress: Callable[[int, int], None] | None) -> int:
    written = 0
    if plan.workers <= 1 or len(chunks) <= 1:
        _init_worker(state)
        for c in chunks:
            written += _write_chunk(c)
            if progress:
                progress(skipped + written, plan.n)
    else:
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("fork" if "fork" in methods else "spawn")
        if ctx.get_start_method() != "fork":
            state["generator"] = None  # factories may be closures: rebuild by name in the worker
        pool = ctx.Pool(plan.workers, initializer=_init_worker, initargs=(state,))
        try:
            for done in pool.imap_unordered(_write_chunk, chunks):
                written += done
                if progress:
                    progress(skipped + written, plan.n)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
    return written


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS
        return max(1, os.cpu_count() or 1)


def read_png(path: str | os.PathLike) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def is_terminal() -> bool:
    return sys.stderr.isatty()


def check_plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters must be JSON-able to go into the manifest."""
    try:
        json.dumps(dict(params))
    except TypeError as exc:
        raise ConfigError(f"generator parameters must be JSON values for the manifest: {exc}") from None
    return dict(params)
