"""The one atomic-write helper: unique temporary names beside the target, fsync, rename; safe stale-temp cleanup.

Every file the harness writes for others to read (results, caches, manifests, pages) goes through here,
so a kill, a full disk or a second writer never leaves a torn file under the real name, and two
processes writing the same target never share a temporary file. A temporary file is named
`.<target name>.<host>-<pid>.<random>.tmp`; `remove_stale_temps` deletes only those whose writer is
gone (a dead pid on this host, or older than a day from another host), never one a live run is writing.
Dot-temp files without a host and pid come from versions before this helper and are always stale.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterator

TEMP_SUFFIX = ".tmp"
FOREIGN_TEMP_AGE_S = 24 * 3600  # a temp file from another host is stale after this long
_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"
_TEMP_RE = re.compile(r"^\..+\.(?P<host>[A-Za-z0-9_-]+)-(?P<pid>\d+)\.[^.]+\.tmp$")


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.{_HOST}-{os.getpid()}."


@contextlib.contextmanager
def atomic_path(path: Path | str, fsync: bool = True) -> Iterator[Path]:
    """Yield a unique temporary path beside `path` for a writer that wants a file name (safetensors,
    torch.save); on a clean exit it is fsynced (unless `fsync` is False) and renamed onto `path`, on any
    error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if fsync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path | str, data: bytes, fsync: bool = True) -> None:
    """Write `data` to `path` atomically: readers see the old file or the whole new one, never a torn one.
    `fsync` False skips the flush to disk (many small files that a re-run can rewrite, e.g. exported images)."""
    with atomic_path(path, fsync) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def atomic_write_text(path: Path | str, text: str) -> None:
    """`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def is_stale_temp(path: Path, now: float | None = None) -> bool:
    """True for a temporary file of ours whose writer is gone; False for a live writer's or a foreign file."""
    if not (path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)):
        return False
    match = _TEMP_RE.match(path.name)
    if match is None:  # a name from before this helper (no host, no pid): its writer is an older version
        return True
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except FileNotFoundError:
        return False
    if match["host"] == _HOST:
        return not _pid_alive(int(match["pid"]))
    return age > FOREIGN_TEMP_AGE_S


def remove_stale_temps(folder: Path | str) -> list[Path]:
    """Delete the stale temporary files directly in `folder` (see `is_stale_temp`); returns what was removed."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.glob(f".*{TEMP_SUFFIX}"):
        if is_stale_temp(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
