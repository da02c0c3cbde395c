"""Reading the EXIF facts the camera track needs (make, model, date, orientation) with Pillow."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

MAKE, MODEL, DATETIME, ORIENTATION = 0x010F, 0x0110, 0x0132, 0x0112
EXIF_IFD, DATETIME_ORIGINAL = 0x8769, 0x9003


@dataclass(frozen=True)
class ExifInfo:
    make: str = ""
    model: str = ""
    date: str = ""
    orientation: int = 1

    @property
    def camera(self) -> str:
        """'Apple iPod touch 4' (make and model, make omitted when the model already starts with it)."""
        if self.make and not self.model.lower().startswith(self.make.lower()):
            return f"{self.make} {self.model}".strip()
        return self.model


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "").replace("\x00", "").strip()


def read_exif(img: Image.Image) -> ExifInfo:
    """EXIF of an opened image; missing tags are empty (orientation 1)."""
    try:
        exif = img.getexif()
    except Exception:  # broken EXIF block: treat as absent, the pixels may still be fine
        return ExifInfo()
    date = ""
    try:
        date = _text(exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL))
    except Exception:
        pass
    try:
        orientation = int(exif.get(ORIENTATION, 1) or 1)
    except (TypeError, ValueError):
        orientation = 1
    return ExifInfo(_text(exif.get(MAKE)), _text(exif.get(MODEL)), date or _text(exif.get(DATETIME)),
                    orientation if 1 <= orientation <= 8 else 1)


def matches_camera(info: ExifInfo, wanted: str) -> bool:
    """Case- and space-insensitive match of `wanted` against the model or 'make model'."""
    norm = lambda s: " ".join(s.lower().split())  # noqa: E731
    want = norm(wanted)
    return bool(want) and want in (norm(info.model), norm(info.camera), norm(f"{info.make} {info.model}"))
