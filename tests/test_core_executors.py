"""Executors are plugins: found through the registry, chosen by name, options from Params; the core imports none."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

from seebench import EXECUTOR, Component, ConfigError, Param, PluginError, execute_cell, hookimpl
from seebench.cli import main as cli
from seebench.executors.select import build_executor, executor_component, matrix_executors
from seebench.matrix.config import load_matrix
from seebench.plugins.manager import load_registry
from seebench.run.runner import run_matrix

CORE = Path(__file__).resolve().parent.parent / "harness"


class Recorder:
    """An in-process executor: runs the cells in order and remembers what it was built with."""

    def __init__(self, workers: int = 1, threads: int | None = None):
        self.workers, self.threads, self.ran = workers, threads, []

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log):
        for cell in cells:
            on_start(cell)
            self.ran.append(cell.key)
            on_done(cell, execute_cell(cell, registry, run_dir, threads=self.threads))


def plugin(*params: Param, name: str = "recorder") -> types.ModuleType:
    mod = types.ModuleType(f"{name}-plugin")
    mod.seebench_register_executors = hookimpl(lambda: [Component(
        kind=EXECUTOR, name=name, factory=Recorder, description="in order, remembered", params=params)])
    return mod


WORKERS = Param("workers", 1, "worker count", minimum=1)
THREADS = Param("threads", None, "torch threads per cell", type=int, nullable=True)


@pytest.fixture(scope="module")
def recorder_registry():
    return load_registry(extra=[("recorder-plugin", plugin(WORKERS, THREADS))])


def test_built_in_executors_come_from_their_plugins(registry):
    assert list(matrix_executors(registry)) == ["local", "ray"]
    comps = registry.components[EXECUTOR]
    assert {n: c.plugin for n, c in comps.items()} == {"local": "local-executor", "ray": "ray-executor",
                                                        "ddp": "ddp-executor"}
    assert comps["ddp"].metadata["scope"] == "cell"
    origins = {p.name: p.origin for p in registry.plugins}
    assert origins["local-executor"] == origins["ray-executor"] == origins["ddp-executor"] == "built-in"


def test_unknown_and_cell_executors_are_one_line_listing_the_registered_ones(recorder_registry):
    with pytest.raises(ConfigError) as err:
        executor_component(recorder_registry, "slurm")
    assert str(err.value) == ("--executor: unknown executor 'slurm'; registered executors: local, ray, recorder "
                              "(`seebench plugins` lists them with their options)")
    with pytest.raises(ConfigError, match=r"^--executor: executor 'ddp' runs the processes of one cell \(use "
                                          r"--procs-per-cell N\), not a matrix; matrix executors: local, ray, recorder$"):
        executor_component(recorder_registry, "ddp")
    blocked = load_registry(block=["ray-executor"])
    with pytest.raises(ConfigError, match="registered executors: local "):
        executor_component(blocked, "ray")


def test_options_are_params_checked_with_one_line(recorder_registry):
    built = build_executor(recorder_registry, "recorder", {"workers": 3, "threads": None})
    assert (built.workers, built.threads) == (3, None)  # None counts as not given
    with pytest.raises(ConfigError) as err:
        build_executor(recorder_registry, "recorder", {"workers": 0}, {"workers": "--workers"})
    assert str(err.value) == "--workers: executor 'recorder': parameter 'workers' must be >= 1, got 0"
    with pytest.raises(ConfigError) as err:
        build_executor(recorder_registry, "recorder", {"threads": 0}, {"threads": "m.toml: [matrix] threads"})
    assert str(err.value) == ("m.toml: [matrix] threads must be a whole number of torch threads per cell >= 1, got 0; "
                              "e.g. --threads 1")  # a shared option: seebench's own check and message
    with pytest.raises(ConfigError) as err:
        build_executor(recorder_registry, "recorder", {"address": "auto"}, {"address": "--address"})
    assert str(err.value) == "--address is not an option of executor 'recorder' (it is one of: ray)"
    with pytest.raises(ConfigError, match=r"^cpus is not an option of executor 'local' \(its options: threads, "
                                          r"procs_per_cell, jobs\)$"):
        build_executor(recorder_registry, "local", {"cpus": 2})


def test_an_option_named_like_a_run_flag_is_refused_naming_the_plugin():
    reg = load_registry(extra=[("bad-plugin", plugin(Param("out", "x"), name="bad"))])
    with pytest.raises(PluginError) as err:
        build_executor(reg, "local")
    assert str(err.value) == ("executor 'bad' (plugin 'bad-plugin') declares the option 'out', which `seebench run` "
                              "uses itself; rename that Param")


def test_matrix_files_name_executors_and_their_options_from_the_registry(recorder_registry, tiny_matrix):
    matrix = tiny_matrix()
    text = matrix.read_text()
    matrix.write_text(text.replace('name = "tiny"', 'name = "tiny"\nexecutor = "recorder"\nworkers = 2\n'
                                                    'cpus_per_cell = 4'))
    loaded = load_matrix(str(matrix), recorder_registry)
    assert loaded.config["matrix"]["workers"] == 2  # an option of recorder; cpus_per_cell one of ray: both keys known
    matrix.write_text(text.replace('name = "tiny"', 'name = "tiny"\nexecutor = "slurm"'))
    with pytest.raises(ConfigError, match=rf"^{matrix}: \[matrix\] executor: unknown executor 'slurm'; registered "
                                          r"executors: local, ray, recorder "):
        load_matrix(str(matrix), recorder_registry)
    matrix.write_text(text.replace('name = "tiny"', 'name = "tiny"\nworkerz = 2'))
    with pytest.raises(ConfigError) as err:
        load_matrix(str(matrix), recorder_registry)
    assert "unknown key(s) in [matrix]: ['workerz']; allowed: [" in str(err.value)
    assert "'workers'" in str(err.value) and "'gpus_per_cell'" in str(err.value)


def test_run_matrix_takes_an_executor_object_or_a_name(recorder_registry, tiny_matrix, tmp_path):
    matrix = load_matrix(str(tiny_matrix(seeds=(0, 1))), recorder_registry)
    executor = build_executor(recorder_registry, "recorder", {"threads": 1})
    summary = run_matrix(matrix, recorder_registry, tmp_path / "a", executor=executor, live=False)
    assert summary.ran == 2 and not summary.failed
    assert executor.ran == [c.key for c in matrix.cells]
    by_name = run_matrix(matrix, recorder_registry, tmp_path / "b", executor="local", executor_options={"threads": 1},
                         live=False)
    assert by_name.ran == 2
    import json

    def metrics(run):
        return {p.stem: json.loads(p.read_text())["metrics"] for p in (tmp_path / run / "results").glob("*.json")}

    assert metrics("a") == metrics("b") and len(metrics("a")) == 2


def test_run_help_lists_every_executor_option_with_its_executors(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--executor NAME how the cells run: local, ray (default local; matrix: executor)" in out
    assert "--cpus-per-cell N CPUs each cell task asks for" in out and "[ray]" in out
    assert "--threads N torch intra-op threads each cell runs with" in out and "[local, ray]" in out
    assert "--address ADDRESS" in out


def test_the_core_imports_no_concrete_executor():
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(CORE)}: {n}" for n in names if n.startswith("seebench_plugins")]
    assert not offenders
