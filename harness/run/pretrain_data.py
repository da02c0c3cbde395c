"""Images an objective pretrains on: a generator rendered on the fly (repeats served from memory), or a source's train split."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from seebench.api.budget import Budget
from seebench.api.components import SOURCE
from seebench.api.images import ImageSet, check_uint8_batch, resize, to_uint8
from seebench.matrix.cell import ComponentRef
from seebench.run.image_cache import RenderedImages, will_cache


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
