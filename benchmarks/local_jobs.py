"""The local executor one cell at a time against --jobs worker processes, side by side on one matrix.

    python benchmarks/local_jobs.py [quick] [--jobs 2] [--set KEY=VALUE ...]

Runs the matrix (a preset name or a TOML file) into two fresh run folders, one after the other on
this machine: `--jobs 1` (one cell after another in one process, torch's default threads: all cores,
what the local executor did before it had jobs) and `--jobs N` (N worker processes, the cores shared
among them). Prints each wall time, peak memory of the whole process tree, and the ratio. Their numbers
differ (the thread counts differ); run `seebench run M --jobs 1 --threads 1` to compare numbers.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil


def tree_rss(pid: int) -> int:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def timed_run(matrix: str, out: Path, jobs: int, overrides: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS of the process tree in bytes, exit code)."""
    exe = os.path.join(os.path.dirname(sys.executable), "seebench")
    cmd = [exe, "run", matrix, "--out", str(out), "--jobs", str(jobs), *[a for o in overrides for a in ("--set", o)]]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            stop.wait(0.5)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        print(err[-2000:], file=sys.stderr)
    return time.perf_counter() - t0, peak, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("matrix", nargs="?", default="quick")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="seebench-jobs-") as tmp:
        rows = []
        for jobs in (1, args.jobs):
            wall, peak, code = timed_run(args.matrix, Path(tmp) / f"jobs{jobs}", jobs, args.overrides)
            rows.append((jobs, wall, peak, code))
            print(f"--jobs {jobs}: {wall / 60:6.2f} min wall, peak RSS {peak / 2**30:.2f} GiB, exit {code}", flush=True)
    (_, one, _, _), (_, many, _, _) = rows
    print(f"{args.matrix}: --jobs {args.jobs} is {one / many:.2f}x the speed of --jobs 1 on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
