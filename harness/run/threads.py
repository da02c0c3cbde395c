"""Torch intra-op threads per cell: validate `--threads`, and run a cell with them (restored afterwards).

Float reductions (convolutions, matmuls) sum in an order that depends on the thread count, so a cell
gives the same numbers bit for bit only at the same count. The count a cell ran with is recorded in
its result as `hardware.torch_threads`; the leaderboard warns when one table mixes counts.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from seebench.api.errors import ConfigError

OPTION = "--threads (matrix: threads)"


def check_threads(value: Any, option: str = OPTION) -> int | None:
    """None (keep torch's default) or a whole number >= 1; anything else is a one-line ConfigError."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(f"{option} must be a whole number of torch threads per cell >= 1, got {value!r}; "
                          f"e.g. --threads 1")
    return int(value)


def rank_threads(cell_threads: int, processes: int, device_type: str = "cpu") -> int:
    """Threads of each DDP rank of a cell: the cell's count shared by its ranks on CPU, at least 1 (1 on GPUs)."""
    return max(1, cell_threads // processes) if device_type == "cpu" else 1


@contextlib.contextmanager
def cell_threads(n: int | None) -> Iterator[int]:
    """Run the block with `n` torch intra-op threads (None: as they are); the previous count is restored.
    Yields the count in effect, which is what the cell's result records."""
    import torch

    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
