"""Representation track: real sources (digits, image-folder, torchvision:*) and their clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import seebench
from repr_cells import ref, registry, one_thread  # noqa: F401 (autouse fixture)


def source(name, **params):
    r = ref(seebench.SOURCE, name, **params)
    return registry().get(seebench.SOURCE, name).factory(**dict(r.params))


def test_digits_are_bundled_uint8_and_split_without_overlap():
    train, test = source("digits").load("train"), source("digits").load("test")
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (1, 8, 8)
    assert len(train) + len(test) == 1797 and len(test) == 449
    assert int(train.images.max()) == 255 and set(train.labels.tolist()) == set(range(10))


def make_folder(root, classes, per_class=4, size=(20, 12)):
    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(root / c / f"{i}.png")


def test_image_folder_loads_classes_and_a_class_list_selects_a_subset(tmp_path):
    make_folder(tmp_path / "data", ["cat", "cup", "dog"], per_class=5)
    train = source("image-folder", root=str(tmp_path / "data"), size=16, test_fraction=0.2).load("train")
    test = source("image-folder", root=str(tmp_path / "data"), size=16, test_fraction=0.2).load("test")
    assert train.images.shape == (12, 3, 16, 16) and len(test) == 3
    assert train.classes == ["cat", "cup", "dog"]
    (tmp_path / "list.txt").write_text("dog  n02084071\ncup\n")
    sub = source("image-folder", root=str(tmp_path / "data"), classes_file=str(tmp_path / "list.txt"), size=16)
    part = sub.load("train")
    assert part.classes == ["dog", "cup"] and set(part.labels.tolist()) == {0, 1}


def test_image_folder_with_train_and_val_folders(tmp_path):
    make_folder(tmp_path / "d" / "train", ["a", "b"], per_class=3)
    make_folder(tmp_path / "d" / "val", ["a", "b"], per_class=2)
    s = source("image-folder", root=str(tmp_path / "d"), size=8)
    assert len(s.load("train")) == 6 and len(s.load("test")) == 4


def test_class_list_naming_a_missing_folder_is_a_clear_error(tmp_path):
    make_folder(tmp_path / "data", ["cat"], per_class=2)
    (tmp_path / "list.txt").write_text("cat\nzebra\n")
    s = source("image-folder", root=str(tmp_path / "data"), classes_file=str(tmp_path / "list.txt"))
    with pytest.raises(seebench.DataMissingError, match="missing under .*: zebra"):
        s.load("train")


def test_empty_class_folder_is_a_clear_error(tmp_path):
    make_folder(tmp_path / "data", ["cat"], per_class=2)
    (tmp_path / "data" / "empty").mkdir()
    with pytest.raises(seebench.DataMissingError, match="empty holds no images"):
        source("image-folder", root=str(tmp_path / "data")).load("train")


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(seebench.DataMissingError, match="is not a folder"):
        source("image-folder", root=str(tmp_path / "nothing")).load("train")


def test_torchvision_dataset_absent_without_download_says_where_to_put_it(tmp_path):
    s = source("torchvision:CIFAR10", root=str(tmp_path))
    with pytest.raises(seebench.DataMissingError, match=r"not in .*CIFAR10.*download=true"):
        s.load("train")


def test_unknown_torchvision_dataset_suggests_names():
    with pytest.raises(seebench.ConfigError, match="did you mean CIFAR10"):
        source("torchvision:CIFAR11")


def test_torchvision_dataset_files_in_place_load_as_uint8(tmp_path):
    # a fake CIFAR-10 layout on disk (torchvision reads python pickles; integrity check skipped by patching)
    import torchvision.datasets as tvd

    class FakeCIFAR(tvd.VisionDataset):
        classes = ["a", "b"]

        def __init__(self, root, train=True, download=False):
            super().__init__(root)
            self.data = np.zeros((4, 32, 32, 3), dtype=np.uint8)
            self.targets = [0, 1, 0, 1]

    s = source("torchvision:CIFAR10", root=str(tmp_path))
    s.cls = FakeCIFAR
    got = s.load("test")
    assert got.images.shape == (4, 3, 32, 32) and got.labels.tolist() == [0, 1, 0, 1]
