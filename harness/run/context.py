"""What a cell hands its objective and evaluator: a facade over the run's engine (data, encoder, features, cache).

`CellContext`'s members are the ones docs/plugin-api.md lists; each delegates to the module that does
the work: the pretraining data to harness/run/pretrain_data.py, the pretrained encoder (cache, DDP
ranks or here) to harness/run/pretraining.py, features to harness/run/features.py, cache paths to
harness/run/cache_layout.py, curves to harness/run/curves.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from seebench.api.budget import Budget
from seebench.api.components import GENERATOR, SOURCE
from seebench.api.images import ImageSet
from seebench.matrix.cell import Cell, ComponentRef, content_key
from seebench.primitives.cache_files import check_tensors, read_or_set_aside
from seebench.run import features as cell_features
from seebench.run import pretraining
from seebench.run.cache_layout import cache_file
from seebench.run.curves import CurveRecorder, record
from seebench.run.pretrain_data import PretrainData

ENV_DEVICE = "SEEBENCH_DEVICE"


def default_device() -> torch.device:
    """$SEEBENCH_DEVICE if set, else CUDA when present, else CPU."""
    wanted = os.environ.get(ENV_DEVICE)
    if wanted:
        return torch.device(wanted)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class CellContext:
    """Everything an objective or evaluator may ask of the harness while a cell runs.

    Intermediates are built lazily and cached by content key: the pretrained encoder lives in
    `<run_dir>/cache/encoders/<key>.safetensors`, so every evaluator of the same training (and
    every re-run) reuses it. With `processes` > 1 the pretraining runs in that many DDP ranks
    (the cell executor `ddp`, plugins/executors/ddp.py) and this process loads the encoder they cached.
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
        self.registry = registry
        self.run_dir = Path(run_dir)
        self.device = device or default_device()
        self._processes = processes
        self._progress = progress
        self._log = log
        self._memo = memo if memo is not None else {}
        # What the result records of this cell (harness/run/cell_runner.py):
        self.timings: dict[str, float] = {}  # seconds per phase
        self.pretrain_threads: int | None = None  # torch threads the cached encoder was trained with
        self.artifacts: dict[str, str] = {}  # name -> file (e.g. a sample grid)
        self.repairs: list[str] = []  # damaged cache files set aside and recomputed
        self.curves = CurveRecorder()  # training curves by name ('pretrain/loss')

    def add_artifact(self, name: str, path: Path | str) -> None:
        """Record a file worth showing beside the numbers (relative to the run directory when inside it)."""
        path = Path(path).resolve()
        try:
            self.artifacts[name] = str(path.relative_to(self.run_dir.resolve()))
        except ValueError:
            self.artifacts[name] = str(path)

    def add_time(self, phase: str, seconds: float) -> None:
        """Add `seconds` to the phase's time in the result's timings (e.g. 'pretrain_s')."""
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

    def cache_path(self, namespace: str, identity: Mapping[str, Any], suffix: str) -> Path:
        """A file path unique to `identity` under cache/<namespace>/ (directory created). An existing
        .safetensors file there is checked first: a damaged one is set aside, so the caller recomputes it."""
        path = cache_file(self.run_dir, namespace, identity, suffix)
        if suffix == ".safetensors":
            read_or_set_aside(path, check_tensors, self.repaired)
        return path

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
        """Build the component a `ComponentRef` names (one of the cell's axes), with its resolved parameters."""
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

    # -- encoders and features -----------------------------------------------------------------
    def encoder(self) -> torch.nn.Module:
        """A freshly initialised encoder of the cell (seeded: same seed, same weights)."""
        if self.cell.encoder is None:
            raise RuntimeError(f"cell {self.cell.key} has no encoder")
        torch.manual_seed(self.seed)
        model = self.build_ref(self.cell.encoder)
        if not hasattr(model, "feature_dim"):
            raise TypeError(f"encoder '{self.cell.encoder.name}' must have a `feature_dim` attribute")
        return model

    def pretrained_encoder(self) -> torch.nn.Module:
        """The encoder after the cell's objective, trained once per content key and cached (harness/run/pretraining.py)."""
        return pretraining.pretrained_encoder(self, self._memo, self._processes)

    def features(self, source: str, params: Mapping[str, Any] | None, split: str,
                 size: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(features, labels) of a real source's split under the pretrained encoder, cached on disk by content key;
        `size` is the side the images are resized to (None or 0: the budget's image_size)."""
        return cell_features.features(self, source, params, split, size)

    def labelled_features(self, source: str, params: Mapping[str, Any] | None = None,
                          train_size: int | None = None, test_size: int | None = None, who: str = "evaluator",
                          size: int | None = None):
        """(train, train_labels, test, test_labels, classes) of a labelled real source under the pretrained
        encoder (harness/run/features.py); the sizes go only to sources that declare those parameters."""
        return cell_features.labelled_features(self, source, params, train_size, test_size, who, size)
