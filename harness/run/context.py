"""What a cell hands its objective and evaluator: data, encoder, cache, device, progress."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

from seebench.executors import ddp
from seebench.primitives.atomic import atomic_write_text
from seebench.api.budget import Budget
from seebench.primitives.cache_files import DamagedCacheFile, check_tensors, load_tensors, read_or_set_aside, save_tensors
from seebench.matrix.cell import Cell, ComponentRef, content_key
from seebench.api.components import GENERATOR, SOURCE
from seebench.run.curves import CurveRecorder, record, saved_curves
from seebench.generate.grids import image_grid, save_png
from seebench.run.image_cache import RenderedImages, will_cache
from seebench.api.images import ImageSet, check_uint8_batch, resize, to_uint8

ENV_DEVICE = "SEEBENCH_DEVICE"
DATA_GRID = 16  # first pretraining images drawn beside a cached encoder (artifact "data")


def default_device() -> torch.device:
    """$SEEBENCH_DEVICE if set, else CUDA when present, else CPU."""
    wanted = os.environ.get(ENV_DEVICE)
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class PretrainData:
    """Images an objective pretrains on: a generator on the fly, or a source's train split.

    `batch(indices)` gives uint8 (N, C, H, W) at the budget's image size; `labels(indices)` gives
    class labels where the data has them (FractalDB categories, a real source), else None.
    """

    def __init__(self, ref: ComponentRef, kind: str, obj: Any, seed: int, budget: Budget):
        self.ref, self.kind, self.obj, self.seed, self.budget = ref, kind, obj, seed, budget
        self.size = budget.image_size
        if kind == SOURCE:
            self._set: ImageSet | None = obj.load("train")
            self._len = len(self._set)
        else:
            self._set = None
            self._len = budget.pretrain_dataset_size()
        # Several epochs over fewer distinct images: render each once and serve repeats from memory.
        self._rendered = None
        if kind != SOURCE and will_cache(self._len, budget.images_seen(self._len), self.size):
            self._rendered = RenderedImages(self._len, self._render)

    @property
    def name(self) -> str:
        return self.ref.label or self.ref.name

    def __len__(self) -> int:
        return self._len

    def batch(self, indices: Sequence[int] | torch.Tensor) -> torch.Tensor:
        idx = [int(i) for i in indices]
        if self._set is not None:
            images = self._set.batch(idx)
            if images.shape[-1] != self.size or images.shape[-2] != self.size:
                images = to_uint8(resize(images.float() / 255.0, self.size))
            return images
        if self._rendered is not None:
            return self._rendered.batch(idx)
        return self._render(idx)

    @property
    def rendered(self) -> int:
        """Distinct images held in memory (0 when every image seen is rendered afresh)."""
        return self._rendered.count if self._rendered is not None else 0

    def _render(self, idx: list[int]) -> torch.Tensor:
        images = self.obj.generate(idx, self.seed, self.size)
        return check_uint8_batch(images, f"generator '{self.ref.name}'.generate")

    def labels(self, indices: Sequence[int] | torch.Tensor) -> torch.Tensor | None:
        if self._set is not None:
            return self._set.batch_labels(list(indices))
        fn = getattr(self.obj, "labels", None)
        return fn([int(i) for i in indices], self.seed) if fn else None


class CellContext:
    """Everything an objective or evaluator may ask of the harness while a cell runs.

    Intermediates are built lazily and cached by content key: the pretrained encoder lives in
    `<run_dir>/cache/encoders/<key>.safetensors`, so every evaluator of the same training (and
    every re-run) reuses it. With `processes` > 1 the pretraining runs in that many DDP ranks
    (harness/executors/ddp.py) and this process loads the encoder they cached.
    """

    def __init__(
        self,
        cell: Cell,
        registry: Any,
        run_dir: Path,
        device: torch.device | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        log: Callable[[str], None] | None = None,
        memo: dict | None = None,
        processes: int = 1,
    ):
        self.cell = cell
        self.processes = processes
        self.registry = registry
        self.run_dir = Path(run_dir)
        self.device = device or default_device()
        self._progress = progress
        self._log = log
        self._memo = memo if memo is not None else {}
        self.timings: dict[str, float] = {}  # seconds per phase, recorded in the result
        self.pretrain_threads: int | None = None  # torch threads the cached encoder was trained with
        self.artifacts: dict[str, str] = {}  # name -> file (e.g. a sample grid), recorded in the result
        self.repairs: list[str] = []  # damaged cache files set aside and recomputed, recorded in the result
        self.curves = CurveRecorder()  # training curves by name ('pretrain/loss'), recorded in the result

    def add_artifact(self, name: str, path: Path | str) -> None:
        """Record a file worth showing beside the numbers (relative to the run directory when inside it)."""
        path = Path(path).resolve()
        try:
            self.artifacts[name] = str(path.relative_to(self.run_dir.resolve()))
        except ValueError:
            self.artifacts[name] = str(path)

    def add_time(self, phase: str, seconds: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + seconds

    def record_step(self, step: int, metrics: Mapping[str, float]) -> None:
        """Add this training step's values to the cell's curves, e.g. {'pretrain/loss': 4.1} (kept in the result,
        at most a few hundred averaged points each) and hand them to plugins (hook seebench_step)."""
        record(self, step, metrics)

    # -- plain facts --------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.cell.seed

    @property
    def budget(self) -> Budget:
        return self.cell.budget

    @property
    def cache_dir(self) -> Path:
        return self.run_dir / "cache"

    def cache_path(self, namespace: str, identity: Mapping[str, Any], suffix: str) -> Path:
        """A file path unique to `identity` under cache/<namespace>/ (directory created). An existing
        .safetensors file there is checked first: a damaged one is set aside, so the caller recomputes it."""
        path = self._cache_file(namespace, identity, suffix)
        if suffix == ".safetensors":
            read_or_set_aside(path, check_tensors, self.repaired)
        return path

    def _cache_file(self, namespace: str, identity: Mapping[str, Any], suffix: str) -> Path:
        folder = self.cache_dir / namespace
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{content_key(dict(identity))}{suffix}"

    def repaired(self, line: str) -> None:
        """Report a damaged cache file that was set aside (one line, logged and recorded in the result)."""
        self.repairs.append(line.removeprefix("warning: "))
        self.log(line)

    @property
    def checkpoint_dir(self) -> Path:
        path = self.run_dir / "checkpoints" / self.cell.key
        path.mkdir(parents=True, exist_ok=True)
        return path

    def progress(self, done: int, total: int, what: str = "") -> None:
        if self._progress is not None:
            self._progress(done, total, what)

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # -- building components ------------------------------------------------------------------
    def build(self, kind: str, name: str, params: Mapping[str, Any] | None = None) -> Any:
        """Build any registered component with validated parameters (e.g. a probe's source)."""
        comp, resolved = self.registry.resolve(kind, name, params, where=f"cell {self.cell.key}")
        return comp.factory(**resolved)

    def build_ref(self, ref: ComponentRef) -> Any:
        comp = self.registry.get(ref.kind, ref.name, where=f"cell {self.cell.key}")
        return comp.factory(**dict(ref.params))

    def load_source(self, name: str, params: Mapping[str, Any] | None, split: str) -> ImageSet:
        """A real source's split, memoised within the process (sources are read-only)."""
        memo_key = ("source", name, content_key(dict(params or {})), split)
        if memo_key not in self._memo:
            self._memo[memo_key] = self.build(SOURCE, name, params).load(split)
        return self._memo[memo_key]

    # -- the pretraining data ------------------------------------------------------------------
    def data_component(self) -> Any:
        """The data axis' object: a source, or a generator (fitted first if it has `fit`)."""
        ref = self.cell.data
        if ref is None:
            raise RuntimeError(f"cell {self.cell.key} has no pretraining data (its objective does not use any)")
        memo_key = ("data", content_key({"ref": ref.identity(), "seed": self.seed}))
        if memo_key not in self._memo:
            obj = self.build_ref(ref)
            if ref.kind == GENERATOR and hasattr(obj, "fit"):
                obj.fit(self)
            self._memo[memo_key] = obj
        obj = self._memo[memo_key]
        for name, path in dict(getattr(obj, "artifacts", {}) or {}).items():  # e.g. a fitted GAN's sample grid
            self.add_artifact(name, path)
        self.curves.restore(getattr(obj, "curves", None))  # e.g. a fitted GAN's losses, also when it was cached
        return obj

    def generator(self) -> Any:
        if self.cell.data is None or self.cell.data.kind != GENERATOR:
            raise RuntimeError(f"cell {self.cell.key}: the data axis is not a generator")
        return self.data_component()

    def pretraining_data(self) -> PretrainData:
        ref = self.cell.data
        obj = self.data_component()
        return PretrainData(ref, ref.kind, obj, self.seed, self.budget)

    # -- encoders ------------------------------------------------------------------------------
    def encoder(self) -> torch.nn.Module:
        """A freshly initialised encoder of the cell (seeded: same seed, same weights)."""
        if self.cell.encoder is None:
            raise RuntimeError(f"cell {self.cell.key} has no encoder")
        torch.manual_seed(self.seed)
        model = self.build_ref(self.cell.encoder)
        if not hasattr(model, "feature_dim"):
            raise TypeError(f"encoder '{self.cell.encoder.name}' must have a `feature_dim` attribute")
        return model

    def _encoder_path(self) -> Path:
        """Where the cell's pretrained encoder is cached (a .json beside it says how it was trained)."""
        return self.cache_dir / "encoders" / f"{self.cell.pretrained_key}.safetensors"

    def _trained_as(self, path: Path) -> None:
        """What the record beside a cached encoder tells every result that uses it: the thread count it was
        trained with, its training curves, the grid of the images it saw (artifact 'data')."""
        self.pretrain_threads = _trained_with(path)
        self.curves.restore(saved_curves(path))
        if _data_grid(path).exists() and "samples" not in self.artifacts:  # a GAN's own grid says more
            self.add_artifact("data", _data_grid(path))

    def pretrained_encoder(self) -> torch.nn.Module:
        """The encoder after the cell's objective, trained once per content key and cached."""
        key = self.cell.pretrained_key
        if ("encoder", key) in self._memo:
            return self._memo[("encoder", key)]
        path = self._encoder_path()
        model = self.encoder()
        cached = read_or_set_aside(path, lambda p: _fitting_state(model, p), self.repaired)
        if cached is not None:
            model.load_state_dict(cached)
            self.log(f"reusing pretrained encoder {path.name}")
        elif self.cell.objective is not None and self.processes > 1 and not ddp.in_process_group():
            t0 = time.perf_counter()
            ddp.pretrain_in_processes(self, self.processes)
            model.load_state_dict(load_tensors(path))
            self.add_time("pretrain_s", time.perf_counter() - t0)
        elif self.cell.objective is not None:
            t0 = time.perf_counter()
            objective = self.build_ref(self.cell.objective)
            data = self.pretraining_data() if self.cell.data is not None else None
            model.to(self.device)
            result = objective.pretrain(model, data, self)
            model = result if isinstance(result, torch.nn.Module) else model
            model.cpu()
            if ddp.is_main_rank():  # under DDP the ranks hold the same weights; rank 0 writes them
                if data is not None and len(data):  # what the encoder saw, for the leaderboard page
                    save_png(image_grid(data.batch(range(min(DATA_GRID, len(data)))), ncol=8), _data_grid(path))
                save_tensors(path, model.state_dict())
                atomic_write_text(path.with_suffix(".json"), json.dumps(
                    {"cell": self.cell.to_dict(), "torch_threads": ddp.cell_threads(),
                     "curves": self.curves.to_dict()}, indent=1))  # every result that reuses it shows its curves
            self.add_time("pretrain_s", time.perf_counter() - t0)
        self._trained_as(path)
        model.to(self.device).eval()
        self._memo[("encoder", key)] = model
        return model


def _fitting_state(model: torch.nn.Module, path: Path) -> dict[str, torch.Tensor]:
    """A cached state dict, checked (digest, layout) and required to fit `model` key for key, shape for shape."""
    state = load_tensors(path)
    wanted = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if {k: tuple(v.shape) for k, v in state.items()} != wanted:
        raise DamagedCacheFile(path, "its tensors do not fit the cell's encoder (names or shapes differ)")
    return state


def _data_grid(encoder_path: Path) -> Path:
    """The grid of the first images the cached encoder pretrained on, beside it."""
    return encoder_path.with_name(f"{encoder_path.stem}-data.png")


def _trained_with(path: Path) -> int | None:
    """The torch thread count recorded beside a cached encoder (None for encoders cached before it was)."""
    try:
        value = json.loads(path.with_suffix(".json").read_text()).get("torch_threads")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def extract_features(encoder: torch.nn.Module, images: ImageSet, size: int, device: torch.device,
                     batch_size: int = 256, progress: Callable[[int, int, str], None] | None = None) -> torch.Tensor:
    """Frozen features of every image, in order, as float32 on the CPU."""
    from seebench.api.images import to_model_input

    encoder.eval()
    chunks = []
    n = len(images)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            batch = images.images[start:start + batch_size]
            chunks.append(encoder(to_model_input(batch, size, device)).float().cpu())
            if progress is not None:
                progress(min(start + batch_size, n), n, "features")
    return torch.cat(chunks) if chunks else torch.empty(0, getattr(encoder, "feature_dim", 0))


def _features(self: CellContext, source: str, params: Mapping[str, Any] | None, split: str,
              size: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Features of a real source's split under the cell's pretrained encoder, cached on disk
    by content key (pretrained encoder + source + split + size), with the split's labels.
    `size` is the side the images are resized to (None or 0: the budget's image_size)."""
    size = int(size or self.budget.image_size)
    images = self.load_source(source, params, split)
    identity = {"encoder": self.cell.pretrained_key, "source": source, "params": dict(params or {}),
                "split": split, "size": size}
    path = self._cache_file("features", identity, ".safetensors")  # checked once, below
    feats = read_or_set_aside(path, lambda p: _feature_rows(p, len(images)), self.repaired)
    if feats is not None:
        if self.cell.objective is not None:  # made by the cached encoder: record how it was trained
            self._trained_as(self._encoder_path())
    else:
        encoder = self.pretrained_encoder()
        t0 = time.perf_counter()
        feats = extract_features(encoder, images, size, self.device, progress=self._progress)
        self.add_time("features_s", time.perf_counter() - t0)
        save_tensors(path, {"features": feats})
    return feats, images.labels


def _feature_rows(path: Path, rows: int) -> torch.Tensor:
    """Cached features, checked, with one float row per image."""
    feats = load_tensors(path).get("features")
    if feats is None or feats.ndim != 2 or len(feats) != rows or not feats.dtype.is_floating_point:
        raise DamagedCacheFile(path, f"not a ({rows}, D) float features tensor")
    return feats


CellContext.features = _features


def _labelled_features(self: CellContext, source: str, params: Mapping[str, Any] | None = None,
                       train_size: int | None = None, test_size: int | None = None, who: str = "evaluator",
                       size: int | None = None):
    """(train, train_labels, test, test_labels, classes) of a labelled real source under the pretrained
    encoder, at `size` px (None or 0: the budget's image_size). `train_size`/`test_size` are passed on
    only to sources that declare those parameters."""
    comp = self.registry.get(SOURCE, source, where=who)
    declared = {p.name for p in comp.params}
    given = dict(params or {})
    for key, value in (("train_size", train_size), ("test_size", test_size)):
        if value is not None and key in declared:
            given.setdefault(key, value)
    train, train_labels = self.features(source, given, "train", size)
    test, test_labels = self.features(source, given, "test", size)
    if train_labels is None or test_labels is None:
        raise ValueError(f"{who}: source '{source}' has no labels; pick a labelled source")
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    return train, train_labels, test, test_labels, classes


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    """Percent of rows whose label is among the k highest scores."""
    k = min(k, scores.shape[1])
    hits = (scores.topk(k, dim=1).indices == labels[:, None]).any(dim=1)
    return float(hits.float().mean() * 100.0)


CellContext.labelled_features = _labelled_features
