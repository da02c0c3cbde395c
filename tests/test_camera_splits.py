"""Camera track: three disjoint photo splits by path hash, nested subsets, and K only from reference photos."""

from __future__ import annotations

import numpy as np
import pytest

from camera_helpers import make_ctx
from seebench_plugins.evaluators import fingerprint
from seebench_plugins.sources.camera_sim import CameraSim
from seebench_plugins.sources.photos import PhotoFolder
from test_camera_sources import write_jpeg

SPLITS = ("train", "reference", "test")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("photos")
    for i in range(60):
        write_jpeg(path / f"IMG_{i:04d}.JPG", "iPod touch 4", size=(96, 64), seed=i)
    return path


def files_by_split(path, **params) -> dict[str, set[str]]:
    src = PhotoFolder(str(path), min_images=1, **params)
    return {s: set(src.load(s).files) for s in SPLITS}


def test_three_splits_are_disjoint_and_cover_the_folder(folder):
    split = files_by_split(folder)
    assert not split["train"] & split["reference"]
    assert not split["train"] & split["test"]
    assert not split["reference"] & split["test"]
    assert len(set.union(*split.values())) == 60
    sizes = {s: len(v) for s, v in split.items()}
    print(sizes)
    assert 18 <= sizes["train"] <= 42 and 8 <= sizes["reference"] <= 28 and 4 <= sizes["test"] <= 22


def test_photo_count_subsets_nest_and_keep_every_photo_in_its_split(folder):
    small, large, full = (files_by_split(folder, limit=n) for n in (20, 45, 0))
    assert sum(len(v) for v in small.values()) == 20 and sum(len(v) for v in large.values()) == 45
    for s in SPLITS:
        assert small[s] <= large[s] <= full[s]  # limit=20 is inside limit=45, split by split


def test_adding_photos_moves_no_existing_photo_between_splits(folder, tmp_path):
    for i in range(40):
        write_jpeg(tmp_path / f"IMG_{i:04d}.JPG", "iPod touch 4", size=(96, 64), seed=i)
    before, after = files_by_split(tmp_path), files_by_split(folder)
    for s in SPLITS:
        assert before[s] == {f for f in after[s] if int(f[4:8]) < 40}


def test_camera_sim_counts_nest():
    small, large = CameraSim(count=100), CameraSim(count=350)
    for s in SPLITS:
        assert set(small.indices(s)) <= set(large.indices(s))
    assert not set(large.indices("train")) & set(large.indices("reference"))


def test_k_is_estimated_from_reference_photos_never_from_the_generators(folder, monkeypatch):
    """Records what the fingerprint estimates K from and what the generator was fitted to; fails if
    any photo is in both (a split that overlaps, or K taken from the training split)."""
    loaded, k_inputs = [], []
    real_k = fingerprint.fingerprints_by_position

    def recording_k(grey, resid, labels):
        k_inputs.append(grey.copy())
        return real_k(grey, resid, labels)

    monkeypatch.setattr(fingerprint, "fingerprints_by_position", recording_k)
    spec = f"photos:path={folder},min_images=1,positions=1"
    ctx = make_ctx(folder.parent / "run", ("fingerprint", {"source": spec, "crop_size": 32, "samples": 16}),
                   ("generator", "replay", {"source": spec, "resolution": 32}), encoder=None, image_size=32)
    real_load = ctx.load_source

    def recording_load(name, params, split):
        out = real_load(name, params, split)
        loaded.append((split, out))
        return out

    monkeypatch.setattr(ctx, "load_source", recording_load)
    gen = ctx.generator()  # the replay generator "fits" to the training split
    ctx.build_ref(ctx.cell.evaluator).evaluate(ctx)
    by_split = {s: o for s, o in loaded}
    assert set(by_split) == set(SPLITS)
    ref_files, train_files = set(by_split["reference"].files), set(by_split["train"].files)
    assert ref_files and train_files and not ref_files & train_files
    grey_ref = fingerprint.prnu.to_grey(by_split["reference"].images)
    assert np.array_equal(k_inputs[0], grey_ref)  # the evaluator's K: the reference crops, exactly
    assert len(gen.images) == len(by_split["train"].images)
