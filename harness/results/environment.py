"""What a result records about where it ran: versions, hardware, git commit."""

from __future__ import annotations

import functools
import importlib.metadata as md
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

LIBRARIES = ("torch", "torchvision", "timm", "numpy", "pluggy")


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def versions(plugins: list[Any]) -> dict[str, str]:
    out = {"seebench": _version("seebench"), "python": platform.python_version()}
    out.update({lib: _version(lib) for lib in LIBRARIES})
    for info in plugins:
        if info.status == "loaded" and info.distribution not in ("seebench", "(in-process)"):
            out[f"plugin:{info.distribution}"] = info.version
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    """The machine, plus the torch intra-op thread count in effect now (the cell's, inside run_cell)."""
    import torch

    fixed = _machine()
    return {"cpu": fixed["cpu"], "cores": fixed["cores"], "torch_threads": torch.get_num_threads(),
            **{k: v for k, v in fixed.items() if k not in ("cpu", "cores")}}


@functools.lru_cache(maxsize=1)
def _machine() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 0,
        "platform": platform.platform(),
        "hostname": platform.node(),
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_count"] = torch.cuda.device_count()
    else:
        info["gpu"] = None
    return info


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of the seebench checkout in use (with '-dirty' for local changes), else None."""
    here = Path(__file__).resolve().parents[2]
    if not (here / ".git").exists():
        return None
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def python_executable() -> str:
    return sys.executable
