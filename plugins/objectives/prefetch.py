"""Produce the next pretraining batches in a background thread while the current step trains."""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Callable, Iterator

import torch

ENV_WORKERS = "SEEBENCH_PREFETCH"


def prefetch_depth(kind: str) -> int:
    """Batches made ahead: $SEEBENCH_PREFETCH if set, else 2 for generators (made on the fly), 0 for
    in-memory sources (indexing them costs nothing)."""
    if os.environ.get(ENV_WORKERS):
        return max(0, int(os.environ[ENV_WORKERS]))
    return 2 if kind == "generator" and (os.cpu_count() or 1) > 1 else 0


class Batches:
    """Iterate `make(step)` for steps start..stop-1, `depth` batches ahead in one thread.

    A thread, not a process: generators may hold CUDA models (a fitted DCGAN) and numpy / torch
    release the GIL in their heavy parts. `wait_seconds` is the time the training loop spent
    blocked on images: the share of wall time lost to producing them.
    """

    def __init__(self, make: Callable[[int], torch.Tensor], start: int, stop: int, depth: int):
        self.make, self.start, self.stop, self.depth = make, start, stop, depth
        self.wait_seconds = 0.0
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self.depth <= 0:
            for step in range(self.start, self.stop):
                t0 = time.perf_counter()
                batch = self.make(step)
                self.wait_seconds += time.perf_counter() - t0
                yield batch
            return
        q: queue.Queue = queue.Queue(maxsize=self.depth)

        def work() -> None:
            for step in range(self.start, self.stop):
                if self._stop.is_set():
                    return
                try:
                    item = (True, self.make(step))
                except BaseException as exc:  # handed to the training loop, raised there
                    item = (False, exc)
                while not self._stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if not item[0]:
                    return

        thread = threading.Thread(target=work, name="seebench-prefetch", daemon=True)
        thread.start()
        try:
            for _ in range(self.start, self.stop):
                t0 = time.perf_counter()
                ok, value = q.get()
                self.wait_seconds += time.perf_counter() - t0
                if not ok:
                    raise value
                yield value
        finally:
            self._stop.set()
            thread.join(timeout=5)
