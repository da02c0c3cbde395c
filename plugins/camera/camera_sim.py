"""Source `camera-sim`: a SIMULATED camera (red-cup scenes through a sensor model) for demos and tests."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from harness import SOURCE, Component, ImageSet, Param, hookimpl

from .frames import MODES, crop_positions, held_out_keys, position_names, resize_frame, take_crops
from .scenes import render_cup_scene
from .sensor import HEIGHT, WIDTH, SensorModel, decode_jpeg, encode_jpeg

_CACHE: OrderedDict = OrderedDict()  # (params, split) -> ImageSet; rendering is the slow part
_CACHE_SIZE = 6


def _rng(device: int, index: int, stream: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=[(device & 0xFFFFFFFF) << 32 | (stream & 0xFFFF) << 16 | 0xCA4, index & (2**64 - 1)]))


class CameraSim:
    """Photo i of device d is the same bytes on every run: scene and noise come from Philox streams
    keyed by (d, i). This is a simulation, not a real camera: it exists so the fingerprint
    controls can be checked without anybody's photos."""

    def __init__(self, device: int = 0, count: int = 350, held_out: float = 0.2, mode: str = "resize",
                 size: int = 64, positions: int = 4, sensor: bool = True, prnu_strength: float = 0.02,
                 jpeg_quality: int = 88, split_seed: int = 0):
        self.device, self.count, self.held_out, self.mode = device, count, held_out, mode
        self.size, self.positions, self.sensor, self.split_seed = size, positions, sensor, split_seed
        self.model = SensorModel(device=device, prnu_strength=prnu_strength, jpeg_quality=jpeg_quality)
        self.params = dict(device=device, count=count, held_out=held_out, mode=mode, size=size,
                           positions=positions, sensor=sensor, prnu_strength=prnu_strength,
                           jpeg_quality=jpeg_quality, split_seed=split_seed)

    def indices(self, split: str) -> list[int]:
        if split not in ("train", "test"):
            raise ValueError(f"camera-sim: split must be 'train' or 'test', got {split!r}")
        test = held_out_keys([f"sim-{i}" for i in range(self.count)], self.held_out, self.split_seed)
        return [i for i in range(self.count) if (f"sim-{i}" in test) == (split == "test")]

    def jpeg(self, index: int) -> bytes:
        """The JPEG file photo `index` of this device would be (with no sensor: the clean scene)."""
        radiance = render_cup_scene(_rng(self.device, index, 1), WIDTH, HEIGHT)
        if not self.sensor:
            return encode_jpeg(radiance ** np.float32(1 / 2.2), self.model.jpeg_quality)
        return self.model.capture(radiance, _rng(self.device, index, 2), self._prnu())

    def _prnu(self) -> np.ndarray:
        if not hasattr(self, "_k"):
            self._k = self.model.prnu()
        return self._k

    def frame(self, index: int) -> np.ndarray:
        return decode_jpeg(self.jpeg(index))

    def load(self, split: str) -> ImageSet:
        key = (tuple(sorted(self.params.items())), split)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        idx = self.indices(split)
        if not idx:
            raise ValueError(f"camera-sim: split '{split}' is empty; raise count ({self.count}) or held_out ({self.held_out})")
        images, labels = [], []
        corners = crop_positions(WIDTH, HEIGHT, self.size, self.positions) if self.mode == "crops" else []
        for i in idx:
            frame = self.frame(i)
            if self.mode == "resize":
                images.append(resize_frame(frame, self.size))
            else:
                crops = take_crops(frame, self.size, corners)
                images.extend(crops)
                labels.extend(range(len(crops)))
        arr = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
        name = f"camera-sim/device{self.device}/{split}"
        if self.mode == "crops":
            out = ImageSet(arr, torch.tensor(labels, dtype=torch.long), position_names(corners), name)
        else:
            out = ImageSet(arr, None, [], name)
        _CACHE[key] = out
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return out

    def write_folder(self, folder: str | Path, count: int | None = None, model: str = "iPod touch 4",
                     make: str = "Apple") -> list[Path]:
        """Write photos 0..count-1 as JPEG files with EXIF make/model/date (for demos of `photos`)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i in range(self.count if count is None else count):
            exif = Image.Exif()
            exif[0x010F], exif[0x0110], exif[0x0132] = make, model, f"2011:06:{1 + i % 28:02d} 12:00:00"
            data = self.jpeg(i)
            # re-attach EXIF without re-encoding: splice an APP1 segment after SOI
            app1 = b"Exif\x00\x00" + exif.tobytes()
            segment = b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1
            path = folder / f"IMG_{i:04d}.JPG"
            path.write_bytes(data[:2] + segment + data[2:])
            paths.append(path)
        return paths


@hookimpl
def seebench_register_sources():
    return [
        Component(
            kind=SOURCE,
            name="camera-sim",
            factory=CameraSim,
            description="SIMULATED iPod-touch-4-like camera: red-cup scenes through Bayer/PRNU/noise/demosaic/JPEG",
            params=(
                Param("device", 0, "sensor seed: another value is another camera (the negative control)", minimum=0),
                Param("count", 350, "photos taken (train + held-out)", minimum=2),
                Param("held_out", 0.2, "fraction of photos held out (split by a hash of the index)", minimum=0.0, maximum=1.0),
                Param("mode", "resize", "resize: whole frame, centre crop, downscaled to size; crops: native-resolution crops",
                      choices=MODES),
                Param("size", 64, "output side in px (resize) or crop side in sensor px (crops)", minimum=8, maximum=720),
                Param("positions", 4, "crops per photo at fixed sensor positions, an n x n grid (crops mode)", minimum=1),
                Param("sensor", True, "false: the clean rendered scenes, no sensor pipeline (a control)"),
                Param("prnu_strength", 0.02, "std of the device's PRNU pattern K", minimum=0.0),
                Param("jpeg_quality", 88, "JPEG quality of the simulated camera", minimum=1, maximum=100),
                Param("split_seed", 0, "seed of the train/held-out assignment"),
            ),
            tags=("camera", "simulation"),
            metadata={"role": "real", "simulation": True, "sensor": f"{WIDTH}x{HEIGHT} Bayer RGGB"},
        )
    ]
