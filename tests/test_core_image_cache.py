"""Generated pretraining images are rendered once per distinct index when epochs repeat, with the same bytes."""

from __future__ import annotations

import torch

from seebench.planning.estimate import pretrain_plans
from repr_cells import cell, context, one_thread, registry  # noqa: F401


class Counting:
    """Wraps a real generator and counts the images it is asked to render."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def generate(self, indices, seed, size):
        self.calls.append(list(indices))
        return self.inner.generate(indices, seed, size)


def _data(tmp_path, **budget):
    c = cell(data=("dead-leaves-squares", {}), image_size=32, batch_size=16, **budget)
    data = context(c, tmp_path).pretraining_data()
    data.obj = Counting(data.obj)
    return data


def test_repeated_epochs_render_each_image_once_and_keep_its_bytes(tmp_path):
    data = _data(tmp_path, images=64 * 3, dataset_size=64)
    first = data.batch([5, 9, 5, 63])
    again = data.batch([63, 5, 0])
    rendered = [i for call in data.obj.calls for i in call]
    assert sorted(rendered) == [0, 5, 9, 63]  # each index once, even when a batch repeats it
    fresh = data.obj.inner.generate([5, 9, 63, 0], data.seed, 32)
    assert torch.equal(first, fresh[[0, 1, 0, 2]])
    assert torch.equal(again, fresh[[2, 0, 3]])
    assert data.rendered == 4


def test_one_epoch_or_a_zero_limit_renders_every_time(tmp_path, monkeypatch):
    single = _data(tmp_path / "a", images=64, dataset_size=64)
    single.batch([1, 2])
    single.batch([1, 2])
    assert len([i for call in single.obj.calls for i in call]) == 4 and single.rendered == 0
    monkeypatch.setenv("SEEBENCH_IMAGE_CACHE_GB", "0")
    off = _data(tmp_path / "b", images=64 * 3, dataset_size=64)
    off.batch([1, 2])
    off.batch([1, 2])
    assert len([i for call in off.obj.calls for i in call]) == 4 and off.rendered == 0


def test_the_dry_run_plan_counts_distinct_images_once(tmp_path, monkeypatch):
    c = cell(data=("white-noise", {}), image_size=32, batch_size=32, images=4096, dataset_size=512)
    (plan,) = pretrain_plans([c], registry())
    assert (plan.images_seen, plan.rendered) == (4096, 512)
    monkeypatch.setenv("SEEBENCH_IMAGE_CACHE_GB", "0")
    (plan,) = pretrain_plans([c], registry(), {})
    assert plan.rendered == 4096
