"""Checks of a generator request (indices, size) with one-line errors naming the parameter."""

from __future__ import annotations

import operator
from typing import Sequence

MIN_SIZE, MAX_SIZE = 16, 1024


def check_request(name: str, indices: Sequence[int], size: int) -> list[int]:
    """Raise a one-line ValueError naming the bad argument; return the indices as ints."""
    try:
        size_ok = not isinstance(size, bool) and MIN_SIZE <= operator.index(size) <= MAX_SIZE
    except TypeError:  # a float or a string: not an integer at all
        size_ok = False
    if not size_ok:
        raise ValueError(f"{name}: parameter 'size' must be an integer in [{MIN_SIZE}, {MAX_SIZE}], got {size!r}")
    try:
        out = [operator.index(i) for i in indices]
    except TypeError:
        bad = next(i for i in indices if not hasattr(i, "__index__"))
        raise ValueError(f"{name}: parameter 'indices' must be integers, got {bad!r}") from None
    bad = [i for i in out if i < 0]
    if bad:
        raise ValueError(f"{name}: parameter 'indices' must be non-negative, got {bad[0]}")
    return out
