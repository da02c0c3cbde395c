"""Cache files that prove themselves: written atomically with a sha256 of their contents, checked on every read.

Two kinds of file:
- tensors (`save_tensors` / `load_tensors`): a standard safetensors file whose metadata carries
  `seebench_sha256`, the digest of its data section (so other tools still read it);
- checkpoints (`save_torch` / `load_torch`): any state dict torch.save can write, wrapped as
  `{"seebench_sha256", "payload"}` and loaded with `weights_only=True`.
A truncated, bit-flipped or otherwise unreadable file raises `DamagedCacheFile` naming it and why.
`read_or_set_aside` turns that into one logged line, moves the file aside (`<name>.damaged-<time>`,
never deleted) and returns None, so the caller recomputes and the cell goes on. Files written before
digests existed are checked as far as their format allows (they load, or they are set aside).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import struct
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import torch

from seebench.primitives.atomic import atomic_path, atomic_write_bytes

DIGEST_KEY = "seebench_sha256"
T = TypeVar("T")


class DamagedCacheFile(Exception):
    """A cache file that cannot be trusted: `path` and `reason` say which and why."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = Path(path), reason


_DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}


def _split_safetensors(blob: bytes, path: Path) -> tuple[dict[str, Any], bytes]:
    """(header, data section) of a safetensors file, checking every tensor entry and that they tile the data
    section exactly (a truncation, or a flipped bit in a shape, dtype, offset or key, is caught here)."""
    if len(blob) < 8:
        raise DamagedCacheFile(path, f"truncated ({len(blob)} bytes, no safetensors header)")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise DamagedCacheFile(path, f"truncated (header says {n} bytes, file has {len(blob) - 8})")
    try:
        header = json.loads(blob[8:8 + n])
    except (ValueError, UnicodeDecodeError):
        raise DamagedCacheFile(path, "damaged safetensors header (not JSON)") from None
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__", {}), dict):
        raise DamagedCacheFile(path, "damaged safetensors header")
    data = blob[8 + n:]
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            (start, stop), shape = entry["data_offsets"], entry["shape"]
            size = _DTYPE_BYTES[entry["dtype"]] * math.prod(int(d) for d in shape)
        except (KeyError, TypeError, ValueError):
            raise DamagedCacheFile(path, f"damaged safetensors header (entry {name!r})") from None
        if int(stop) - int(start) != size:
            raise DamagedCacheFile(path, f"damaged safetensors header (tensor {name!r} does not fit its bytes)")
        spans.append((int(start), int(stop)))
    position = 0
    for start, stop in sorted(spans):
        if start != position:
            raise DamagedCacheFile(path, "damaged safetensors header (tensor offsets overlap or leave gaps)")
        position = stop
    if position != len(data):
        raise DamagedCacheFile(path, f"truncated or padded (tensors need {position} data bytes, file has {len(data)})")
    return header, data


def _digest(header: dict[str, Any], data: bytes | None = None, stream: Any = None) -> str:
    """sha256 of the header without the digest (names, dtypes, shapes, offsets, metadata) and the data section."""
    meta = {k: v for k, v in (header.get("__metadata__") or {}).items() if k != DIGEST_KEY}
    digest = hashlib.sha256(json.dumps({**header, "__metadata__": meta}, sort_keys=True).encode())
    if data is not None:
        digest.update(data)
    for chunk in iter(lambda: stream.read(1 << 22), b"") if stream is not None else ():
        digest.update(chunk)
    return digest.hexdigest()


def save_tensors(path: Path | str, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Write `tensors` as safetensors with the digest of their header and data, atomically (unique temp name).
    The file is written once with a placeholder digest, hashed from disk, and the placeholder overwritten in
    place (same length, so no offset moves) before the rename."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    placeholder = "0" * 64
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={**(metadata or {}), DIGEST_KEY: placeholder})
        with open(tmp, "r+b") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            raw = fh.read(n)
            digest = _digest(json.loads(raw), stream=fh)
            at = raw.index(f'"{DIGEST_KEY}":"{placeholder}"'.encode()) + len(DIGEST_KEY) + 4
            fh.seek(8 + at)
            fh.write(digest.encode())


def check_tensors(path: Path | str) -> bytes:
    """The bytes of `path`; DamagedCacheFile unless it is a whole safetensors file whose digest matches. A file
    with no metadata at all was written before digests (or by another tool) and is checked for layout only."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise DamagedCacheFile(path, f"unreadable ({exc.strerror or exc})") from None
    header, data = _split_safetensors(blob, path)
    if "__metadata__" not in header:
        return blob
    recorded = header["__metadata__"].get(DIGEST_KEY)
    if recorded is None:
        raise DamagedCacheFile(path, "its metadata lost the seebench digest (damaged header)")
    if _digest(header, data) != recorded:
        raise DamagedCacheFile(path, "contents do not match their sha256 (bit rot or a partial copy)")
    return blob


def load_tensors(path: Path | str) -> dict[str, torch.Tensor]:
    """The tensors of a file written by `save_tensors` (or any safetensors file), checked first."""
    from safetensors.torch import load

    path = Path(path)
    blob = check_tensors(path)
    try:
        return load(blob)
    except Exception as exc:  # safetensors raises its own error types for a bad layout
        raise DamagedCacheFile(path, f"not loadable as safetensors ({type(exc).__name__}: {exc})") from None


def save_torch(path: Path | str, state: dict[str, Any]) -> None:
    """torch.save `state` (tensors, numbers, strings, containers) with a digest, atomically."""
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getvalue()
    wrapped = io.BytesIO()
    torch.save({DIGEST_KEY: hashlib.sha256(payload).hexdigest(),
                "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}, wrapped)
    atomic_write_bytes(path, wrapped.getvalue())


def load_torch(path: Path | str, map_location: Any = "cpu") -> Any:
    """What `save_torch` wrote (checked), or a plain torch.save file of before (loaded as it is); always weights_only."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DamagedCacheFile(path, f"unreadable ({type(exc).__name__}: {str(exc).split('. ')[0][:120]})") from None
    if isinstance(blob, dict) and "payload" in blob and DIGEST_KEY not in blob:
        raise DamagedCacheFile(path, "damaged checkpoint wrapper (its digest is gone)")
    if not (isinstance(blob, dict) and DIGEST_KEY in blob):
        return blob  # written before digests: as trustworthy as torch.load alone can tell
    payload = blob.get("payload")
    if not isinstance(payload, torch.Tensor) or payload.dtype != torch.uint8:
        raise DamagedCacheFile(path, "damaged checkpoint wrapper (no payload)")
    data = payload.numpy().tobytes()
    if hashlib.sha256(data).hexdigest() != blob[DIGEST_KEY]:
        raise DamagedCacheFile(path, "contents do not match their sha256 (bit rot or a partial copy)")
    return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)


def set_aside(path: Path | str) -> Path:
    """Move a damaged file out of the cache's way (`<name>.damaged-<utc time>`); returns where it went."""
    path = Path(path)
    dest = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{time.time_ns() % 10**6}")
    try:
        path.rename(dest)
    except FileNotFoundError:  # another process set it aside first
        pass
    return dest


def read_or_set_aside(path: Path | str, read: Callable[[Path], T], log: Callable[[str], None] | None = None) -> T | None:
    """`read(path)`, or None when the file is absent or damaged; a damaged one is set aside with one line to `log`."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return read(path)
    except DamagedCacheFile as exc:
        dest = set_aside(path)
        if log is not None:
            log(f"warning: damaged cache file {path} ({exc.reason}); moved to {dest.name}, recomputing it")
        return None
