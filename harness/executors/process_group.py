"""Where this process stands in a torch.distributed process group: inside one, rank 0, threads working on the cell."""

from __future__ import annotations


def in_process_group() -> bool:
    """True inside an initialised torch.distributed process group (a rank of a cell executor, or the user's torchrun)."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return False
    return dist.is_available() and dist.is_initialized()


def cell_threads() -> int:
    """Torch threads working on the cell: this process's, times the ranks when inside a process group."""
    import torch

    threads = torch.get_num_threads()
    if in_process_group():
        import torch.distributed as dist

        threads *= dist.get_world_size()
    return threads


def is_main_rank() -> bool:
    """Rank 0 of the process group, or a process outside any group: the one that writes shared files."""
    if not in_process_group():
        return True
    import torch.distributed as dist

    return dist.get_rank() == 0
