"""Source `camera-sim`: a SIMULATED camera (red-cup scenes through a sensor model) for demos and tests."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from seebench import SOURCE, Component, ImageSet, Param, atomic_write_bytes, hookimpl, param_defaults, philox_rng

from seebench_plugins.sources.frames import MODES, check_fractions, check_split, crop_positions, position_names, resize_frame, split_of, take_crops
from seebench_plugins.sources.scenes import render_cup_scene
from seebench_plugins.sources.sensor import HEIGHT, WIDTH, SensorModel, decode_jpeg, encode_jpeg

_CACHE: OrderedDict = OrderedDict()  # (params, split) -> ImageSet; rendering is the slow part
_CACHE_SIZE = 12  # a fingerprint test holds four splits and the power content
_JPEGS: OrderedDict = OrderedDict()  # (device, sensor, prnu, quality, index) -> JPEG bytes
_JPEG_BYTES, _JPEG_LIMIT = 0, 256 * 2**20


def _rng(device: int, index: int, stream: int) -> np.random.Generator:
    return philox_rng((device & 0xFFFFFFFF) << 32 | (stream & 0xFFFF) << 16 | 0xCA4, index)


PARAMS = (
    Param("device", 0, "sensor seed: another value is another camera (the negative control)", minimum=0),
    Param("count", 350, "photos taken (train + held-out)", minimum=2),
    Param("held_out", 0.2, "fraction of photos held out for the controls (split by a hash of the index)", minimum=0.0, maximum=1.0),
    Param("reference", 0.3, "fraction of photos the fingerprint K is estimated from (never trained on)",
          minimum=0.0, maximum=1.0),
    Param("mode", "resize", "resize: whole frame, centre crop, downscaled to size; crops: native-resolution crops",
          choices=MODES),
    Param("size", 64, "output side in px (resize) or crop side in sensor px (crops)", minimum=8, maximum=720),
    Param("positions", 4, "crops per photo at fixed sensor positions, an n x n grid (crops mode)", minimum=1),
    Param("sensor", True, "false: the clean rendered scenes, no sensor pipeline (a control)"),
    Param("prnu_strength", 0.01, "std of the device's PRNU pattern K", minimum=0.0),
    Param("jpeg_quality", 88, "JPEG quality of the simulated camera", minimum=1, maximum=100),
    Param("split_seed", 0, "seed of the train/held-out assignment"),
)


@param_defaults(PARAMS)
class CameraSim:
    """Photo i of device d is the same bytes on every run: scene and noise come from Philox streams
    keyed by (d, i). This is a simulation, not a real camera: it exists so the fingerprint
    controls can be checked without anybody's photos."""

    def __init__(self, *, device: int, count: int, held_out: float, mode: str, size: int, positions: int,
                 sensor: bool, prnu_strength: float, jpeg_quality: int, split_seed: int, reference: float):
        check_fractions(held_out, reference, "camera-sim")
        self.device, self.count, self.held_out, self.mode = device, count, held_out, mode
        self.reference = reference
        self.size, self.positions, self.sensor, self.split_seed = size, positions, sensor, split_seed
        self.model = SensorModel(device=device, prnu_strength=prnu_strength, jpeg_quality=jpeg_quality)
        self.params = dict(device=device, count=count, held_out=held_out, mode=mode, size=size,
                           positions=positions, sensor=sensor, prnu_strength=prnu_strength,
                           jpeg_quality=jpeg_quality, split_seed=split_seed, reference=reference)

    def indices(self, split: str) -> list[int]:
        """Photo indices of one split; photo i's split depends on i alone, so count=100 nests in count=350."""
        check_split(split, "camera-sim")
        return [i for i in range(self.count)
                if split_of(f"sim-{i}", self.held_out, self.reference, self.split_seed) == split]

    def jpeg(self, index: int) -> bytes:
        """The JPEG file photo `index` of this device would be (with no sensor: the clean scene);
        kept in memory (a few MB per 30 photos), so other crop sizes of one photo do not render it again."""
        key = (self.device, self.sensor, self.model.prnu_strength, self.model.jpeg_quality, index)
        if key in _JPEGS:
            _JPEGS.move_to_end(key)
            return _JPEGS[key]
        data = self._take(index)
        _JPEGS[key] = data
        global _JPEG_BYTES
        _JPEG_BYTES += len(data)
        while _JPEG_BYTES > _JPEG_LIMIT and len(_JPEGS) > 1:
            _JPEG_BYTES -= len(_JPEGS.popitem(last=False)[1])
        return data

    def _take(self, index: int) -> bytes:
        radiance = render_cup_scene(_rng(self.device, index, 1), WIDTH, HEIGHT)
        if not self.sensor:
            return encode_jpeg(radiance ** np.float32(1 / 2.2), self.model.jpeg_quality)
        return self.model.capture(radiance, _rng(self.device, index, 2), self._prnu())

    def _prnu(self) -> np.ndarray:
        if not hasattr(self, "_k"):
            self._k = self.model.prnu()
        return self._k

    def prnu_crops(self, n: int, strength: float) -> tuple[torch.Tensor, torch.Tensor]:
        """n crops (at this source's positions) of photos no split of this source holds (indices
        count, count + 1, ...), taken by this device with its PRNU scaled by `strength`: content
        carrying exactly the camera's fingerprint at a chosen strength (the fingerprint's power)."""
        corners = crop_positions(WIDTH, HEIGHT, self.size, self.positions)
        photos = -(-n // len(corners))
        windows = self._windows(photos, corners)
        k = self._prnu() * np.float32(strength)
        images, labels = [], []
        for i in range(photos):
            for p, (y, x) in enumerate(corners):
                (y0, x0), rad = windows[i][p]
                rng = _rng(self.device, self.count + i, 3 + p)
                jpeg = self.model.capture_window(rad, rng, k[y0:y0 + rad.shape[0], x0:x0 + rad.shape[1]])
                crop = decode_jpeg(jpeg)[y - y0:y - y0 + self.size, x - x0:x - x0 + self.size]
                images.append(crop)
                labels.append(p)
        arr = torch.from_numpy(np.stack(images[:n])).permute(0, 3, 1, 2).contiguous()
        return arr, torch.tensor(labels[:n], dtype=torch.long)

    def _windows(self, photos: int, corners) -> list:
        """Scene radiance round each crop (16 px margin) of fresh photos, kept for the next strength."""
        key = ("windows", tuple(sorted(self.params.items())), photos)
        if key in _CACHE:
            return _CACHE[key]
        out = []
        for i in range(photos):
            radiance = render_cup_scene(_rng(self.device, self.count + i, 1), WIDTH, HEIGHT)
            row = []
            for y, x in corners:
                y0, x0 = max(0, y - 16), max(0, x - 16)
                row.append(((y0, x0), np.ascontiguousarray(radiance[y0:y + self.size + 16, x0:x + self.size + 16])))
            out.append(row)
        _CACHE[key] = out
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return out

    def frame(self, index: int) -> np.ndarray:
        return decode_jpeg(self.jpeg(index))

    def load(self, split: str) -> ImageSet:
        key = (tuple(sorted(self.params.items())), split)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        idx = self.indices(split)
        if not idx:
            raise ValueError(f"camera-sim: split '{split}' of {self.count} photos is empty; raise count "
                             f"or the split's fraction (held_out={self.held_out}, reference={self.reference})")
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
            atomic_write_bytes(path, data[:2] + segment + data[2:], fsync=False)  # a demo folder a re-run rewrites
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
            params=PARAMS,
            tags=("camera", "simulation"),
            metadata={"role": "real", "simulation": True, "sensor": f"{WIDTH}x{HEIGHT} Bayer RGGB"},
            version="2",  # 2: three splits (train / reference / test), textured scenes
        )
    ]
