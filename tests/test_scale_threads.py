"""Torch threads per cell: --threads, what a result records, restoring, Ray's default, the leaderboard's warning."""

import io
import types

import pytest
import torch
from rich.console import Console

from conftest import seebench
from seebench import EVALUATOR, Budget, Cell, Component, ComponentRef, ConfigError, hookimpl
from seebench.leaderboard import table as leaderboard
from seebench.leaderboard import render
from seebench.run.cell_runner import run_cell
from seebench.plugins.manager import load_registry
from seebench.leaderboard.publish import regenerate
from seebench.executors.select import build_executor
from seebench.results.store import ResultStore
from seebench.run.threads import rank_threads
from seebench_plugins.executors.ray_executor import threads_for_cpus
from test_core_leaderboard import result


class ThreadProbe:
    """An evaluator whose metric is the torch thread count it sees while evaluating."""

    def __init__(self, fail: bool = False):
        self.fail = fail

    def evaluate(self, ctx):
        if self.fail:
            raise RuntimeError("boom")
        return {"threads": torch.get_num_threads()}


@pytest.fixture(scope="module")
def probe_registry():
    mod = types.ModuleType("thread-probe")
    mod.seebench_register_evaluators = hookimpl(lambda: [Component(
        kind=EVALUATOR, name="thread-probe", factory=ThreadProbe, description="threads seen by the cell")])
    return load_registry(extra=[("thread-probe", mod)])


def probe_cell(fail: bool = False) -> Cell:
    return Cell(evaluator=ComponentRef(EVALUATOR, "thread-probe", {"fail": fail}), data=None, encoder=None,
                objective=None, seed=0, budget=Budget())


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_a_cell_runs_with_its_threads_records_them_and_restores_the_process(probe_registry, tmp_path, two_threads):
    one = run_cell(probe_cell(), probe_registry, tmp_path, threads=1)
    assert one["status"] == "ok", one["error"]
    assert one["metrics"]["threads"] == 1  # what the evaluator saw
    assert one["hardware"]["torch_threads"] == 1  # what the result records
    assert torch.get_num_threads() == 2  # restored
    default = run_cell(probe_cell(), probe_registry, tmp_path)  # None: the process's setting, untouched
    assert default["metrics"]["threads"] == 2 and default["hardware"]["torch_threads"] == 2
    failed = run_cell(probe_cell(fail=True), probe_registry, tmp_path, threads=1)
    assert failed["status"] == "failed" and failed["hardware"]["torch_threads"] == 1
    assert torch.get_num_threads() == 2


def test_the_local_executor_applies_threads_to_every_cell(probe_registry, tmp_path, two_threads):
    done = []
    build_executor(probe_registry, "local", {"threads": 1}).run([probe_cell()], probe_registry, tmp_path, lambda c: None,
                                 lambda c, r: done.append(r), lambda *a: None, lambda m: None)
    assert done[0]["metrics"]["threads"] == 1 and done[0]["hardware"]["torch_threads"] == 1
    assert ResultStore(tmp_path).get(probe_cell().key)["hardware"]["torch_threads"] == 1
    assert torch.get_num_threads() == 2


def test_ray_default_is_cpus_per_cell_rounded_down_and_ddp_ranks_share_it(probe_registry):
    def ray(**options):
        return build_executor(probe_registry, "ray", options)

    assert ray().threads == 1
    assert ray(cpus_per_cell=2.5).threads == 2
    assert ray(cpus_per_cell=0.5).threads == 1
    assert ray(cpus_per_cell=1, threads=3).threads == 3
    assert ray(procs_per_cell=2).threads == 2  # cpus_per_cell defaults to one per rank
    assert threads_for_cpus(4) == 4 and rank_threads(4, 2) == 2 and rank_threads(1, 2) == 1
    assert rank_threads(8, 2, "cuda") == 1
    with pytest.raises(ConfigError, match="--threads"):
        build_executor(probe_registry, "local", {"threads": 0})
    with pytest.raises(ConfigError, match="--threads"):
        ray(threads=1.5)


def test_threads_zero_is_a_one_line_error(tiny_matrix, tmp_path):
    proc = seebench("run", str(tiny_matrix()), "--out", str(tmp_path / "r"), "--threads", "0")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("seebench: --threads must be a whole number of torch threads per cell >= 1, "
                                   "got 0; e.g. --threads 1")
    matrix = tiny_matrix()
    matrix.write_text(matrix.read_text().replace('name = "tiny"', 'name = "tiny"\nthreads = -2'))
    proc = seebench("run", str(matrix), "--out", str(tmp_path / "r"), "--dry-run")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert f"{matrix}: [matrix] threads must be a whole number" in proc.stderr
    assert not (tmp_path / "r").exists()


def _with_threads(r, n):
    r["hardware"]["torch_threads"] = n
    return r


def _rendered(results):
    board = leaderboard.build(results)
    out = io.StringIO()
    render.to_terminal(board, Console(file=out, width=200))
    return out.getvalue(), render.to_markdown(board)


NOTE = ("these results were computed with 1 and 2 torch threads per cell; numbers agree exactly only at the same "
        "thread count (seebench run --threads N)")


def test_the_leaderboard_warns_when_results_mix_thread_counts(tmp_path):
    same = [_with_threads(result("white-noise", "synthetic", s, 40.0 + s, "x"), 2) for s in range(2)]
    terminal, markdown = _rendered(same)
    assert "torch threads" not in terminal and "torch threads" not in markdown

    mixed = [_with_threads(result("white-noise", "synthetic", 0, 40.0, "x"), 1),
             _with_threads(result("white-noise", "synthetic", 1, 41.0, "x"), 2),
             result("random-init", "random-init", 0, 10.0, "x")]  # an old result without the field: not counted
    terminal, markdown = _rendered(mixed)
    assert f"note: {NOTE}" in " ".join(terminal.split())  # the console may wrap it
    assert f"\nnote: {NOTE}\n" in markdown

    for r in mixed:  # the published README carries it too
        ResultStore(tmp_path / "board").write(r)
    regenerate(tmp_path / "board")
    assert NOTE in (tmp_path / "board" / "README.md").read_text()


def test_three_counts_are_listed(tmp_path):
    board = leaderboard.build([_with_threads(result("white-noise", "synthetic", s, 40.0, "x"), n)
                               for s, n in enumerate([4, 1, 2])])
    assert board.thread_note().startswith("these results were computed with 1, 2 and 4 torch threads per cell;")


def test_a_cached_encoder_keeps_the_thread_count_it_was_trained_with(tmp_path, two_threads):
    from repr_cells import cell, registry

    c = cell(images=64, batch_size=32)
    first = run_cell(c, registry(), tmp_path, threads=2)
    again = run_cell(c, registry(), tmp_path, threads=1)  # reuses the encoder cached by the first run
    assert first["status"] == again["status"] == "ok", (first["error"], again["error"])
    assert (first["hardware"]["torch_threads"], first["hardware"]["pretrain_threads"]) == (2, 2)
    assert (again["hardware"]["torch_threads"], again["hardware"]["pretrain_threads"]) == (1, 2)
    assert "pretrain_s" in first["timings"] and "pretrain_s" not in again["timings"]
    assert leaderboard.torch_threads([again]) == [1, 2]  # so the mixed-thread note fires
