"""Camera track: the `photos` folder source (EXIF filter, bad files, splits, crops) and `camera-sim`."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from seebench import ConfigError, DataMissingError
from seebench_plugins.sources.camera_sim import CameraSim
from seebench_plugins.sources.photos import PhotoFolder


def write_jpeg(path, model: str, make: str = "Apple", size=(96, 64), orientation: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
    pixels[: size[1] // 2, : size[0] // 2] = (255, 0, 0)  # a red top-left quarter marks the stored orientation
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = make, model, orientation
    exif[0x0132] = "2011:06:01 12:00:00"
    Image.fromarray(pixels).save(path, "JPEG", quality=90, exif=exif.tobytes())


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "sub").mkdir()
    for i in range(12):
        write_jpeg(tmp_path / ("sub" if i % 2 else ".") / f"ipod_{i}.jpg", "iPod touch 4", seed=i)
    for i in range(5):
        write_jpeg(tmp_path / f"phone_{i}.jpg", "iPhone 4", seed=100 + i)
    good = (tmp_path / "ipod_0.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (tmp_path / "notes.jpg").write_text("this is a text file renamed .jpg\n")
    (tmp_path / "readme.txt").write_text("not an image\n")
    return tmp_path


def test_exif_filter_keeps_only_the_named_model(folder):
    src = PhotoFolder(str(folder), camera="iPod touch 4", held_out=0.25, reference=0.25, min_images=5)
    train, ref, test = src.load("train"), src.load("reference"), src.load("test")
    assert len(train) + len(ref) + len(test) == 12
    assert all("ipod" in f for f in train.files + ref.files + test.files)
    assert len(src.report.other_camera) == 5
    assert train.images.shape[1:] == (3, 64, 64) and train.images.dtype.is_floating_point is False
    everything = PhotoFolder(str(folder), held_out=0.25, reference=0.25, min_images=5)
    assert sum(len(everything.load(s)) for s in ("train", "reference", "test")) == 17


def test_truncated_and_renamed_text_files_are_skipped_and_counted(folder):
    src = PhotoFolder(str(folder), camera="ipod touch 4", min_images=5)
    train = src.load("train")
    skipped = dict(src.skipped)
    assert set(skipped) == {"truncated.jpg", "notes.jpg"}
    assert "truncated" in skipped["truncated.jpg"]
    assert train.skipped == src.skipped
    assert src.report.ignored == 1  # readme.txt is not an image extension
    assert "2 skipped" in src.report.summary()


def test_split_is_deterministic_and_disjoint(folder):
    a = PhotoFolder(str(folder), held_out=0.3, min_images=1)
    b = PhotoFolder(str(folder), held_out=0.3, min_images=1, max_images=0)
    assert a.load("train").files == b.load("train").files
    assert not set(a.load("train").files) & set(a.load("test").files)


def test_too_few_photos_is_a_clear_error(folder, tmp_path_factory):
    with pytest.raises(DataMissingError, match="usable photos.*need at least 50"):
        PhotoFolder(str(folder), camera="iPod touch 4", min_images=50).load("train")
    with pytest.raises(DataMissingError, match="usable photos from camera 'Nikon D90'"):
        PhotoFolder(str(folder), camera="Nikon D90").load("train")
    with pytest.raises(DataMissingError, match="does not exist"):
        PhotoFolder(str(tmp_path_factory.mktemp("x") / "missing")).load("train")
    with pytest.raises(ConfigError, match="'path' is required"):
        PhotoFolder("")


def test_crops_use_sensor_orientation_and_resize_is_upright(tmp_path):
    for i in range(4):
        write_jpeg(tmp_path / f"a{i}.jpg", "iPod touch 4", size=(96, 64), orientation=6, seed=i)
    crops = PhotoFolder(str(tmp_path), mode="crops", size=32, positions=1, held_out=0.0, reference=0.0,
                        min_images=1).load("train")
    assert crops.images.shape == (4, 3, 32, 32) and crops.classes == ["y16x32"]
    frames = PhotoFolder(str(tmp_path), mode="resize", size=16, held_out=0.0, reference=0.0,
                         min_images=1).load("train")
    # orientation 6 = rotate 90 degrees clockwise for display: the red corner moves to the top-right
    img = frames.images[0].float()
    red = (img[0] - img[1]).numpy()
    assert red[:4, -4:].mean() > red[:4, :4].mean()


def test_camera_sim_is_deterministic_and_devices_differ():
    a = CameraSim(device=0, count=4)
    assert a.jpeg(1) == CameraSim(device=0, count=4).jpeg(1)
    assert np.abs(a.model.prnu() - CameraSim(device=1).model.prnu()).mean() > 0.01
    frame = np.asarray(Image.open(io.BytesIO(a.jpeg(0))))
    assert frame.shape == (720, 960, 3)


def test_camera_sim_folder_works_as_photos(tmp_path):
    CameraSim(device=0).write_folder(tmp_path, 6)
    src = PhotoFolder(str(tmp_path), camera="iPod touch 4", mode="crops", size=64, positions=4, held_out=0.0,
                      reference=0.0, min_images=6)
    train = src.load("train")
    assert len(train) == 24 and train.labels.tolist()[:4] == [0, 1, 2, 3]
