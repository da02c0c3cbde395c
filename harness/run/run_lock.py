"""One run at a time per run folder: an advisory lock (flock) held for the whole `seebench run`.

The lock file `<run_dir>/.seebench-run.lock` holds who took it (pid, host, start time, command line);
a second run on the same folder refuses in one line naming that run. The kernel releases the lock
when its holder exits or is killed, so a killed run never leaves a stale lock behind: the next run
takes it at once (the file stays; its contents are only a note). On network filesystems flock is as
good as the filesystem's lock support (NFSv4 maps it to byte-range locks).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from seebench.api.errors import SeebenchError

LOCK_NAME = ".seebench-run.lock"


class RunFolderBusy(SeebenchError):
    """Another live run holds the run folder."""


def _holder(fh) -> dict[str, Any]:
    fh.seek(0)
    try:
        data = json.loads(fh.read() or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def describe(holder: dict[str, Any]) -> str:
    """'pid 123 on host x since 2026-12-01 20:41:07 UTC (seebench run quick.toml)' from a lock note."""
    if not holder:
        return "another process (its note is being written)"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.get("started", 0)))
    return f"pid {holder.get('pid')} on {holder.get('host')} since {since} ({holder.get('command', '?')})"


class RunLock:
    """Context manager: take the run folder's lock or raise RunFolderBusy naming the holder."""

    def __init__(self, run_dir: Path | str):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self._fh = None

    def __enter__(self) -> "RunLock":
        from seebench.api.errors import ConfigError

        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{self.run_dir}: output directory is not writable ({exc.strerror}); "
                              f"choose another with --out DIR") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fh)
            fh.close()
            raise RunFolderBusy(f"{self.run_dir} is in use by another run: {describe(holder)}; wait for it to "
                                f"finish (its finished cells are then skipped) or use another --out DIR") from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                             "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300]}))
        fh.flush()
        self._fh = fh
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
