"""A real third-party plugin: built as a distribution, pip-installed into a venv, found, listed, used."""

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = '''
"""A third-party seebench plugin: a checkerboard generator, a brightness evaluator, a `reverse` executor."""
import multiprocessing
import os
from pathlib import Path

import torch
from seebench import EVALUATOR, EXECUTOR, GENERATOR, Cell, Component, Param, execute_cell, hookimpl


class Checkerboard:
    def __init__(self, *, period):  # as README writes it: the default only in the Param
        self.period = period

    def generate(self, indices, seed, size):
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        board = (((yy // self.period) + (xx // self.period)) % 2 * 255).to(torch.uint8)
        return board.expand(len(indices), 3, size, size).clone()


class Brightness:
    def evaluate(self, ctx):
        data = ctx.pretraining_data()
        return {"brightness": float(data.batch(range(8)).float().mean())}


@hookimpl
def seebench_register_generators():
    return [Component(kind=GENERATOR, name="checkerboard", factory=Checkerboard,
                      description="black and white checkerboard", params=(Param("period", 4, "square side"),),
                      metadata={"reference": {"imagenet100-top1": 12.5}})]


@hookimpl
def seebench_register_evaluators():
    return [Component(kind=EVALUATOR, name="brightness", factory=Brightness, uses=("data",),
                      description="mean pixel value of the data",
                      metadata={"metrics": {"brightness": {"higher_is_better": True}}})]


def _run_in_child(cell_dict, run_dir, spec, threads, order_log):
    """In the spawned worker: the parent's registry again, then one cell (its result lands in run_dir)."""
    cell = Cell.from_dict(cell_dict)
    if order_log:
        with open(order_log, "a") as fh:
            fh.write(f"{cell.key} {os.getpid()}\\n")
    return execute_cell(cell, spec.load(), Path(run_dir), threads=threads)


class Reverse:
    """The cells last to first, each in one spawned worker process."""

    def __init__(self, threads=None, order_log=None):
        self.threads, self.order_log = threads, order_log

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log):
        spec = registry.spec()
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            for cell in reversed(list(cells)):
                on_start(cell)
                result = pool.apply(_run_in_child, (cell.to_dict(), str(run_dir), spec, self.threads, self.order_log))
                on_done(cell, result)


@hookimpl
def seebench_register_executors():
    return [Component(kind=EXECUTOR, name="reverse", factory=Reverse,
                      description="the cells last to first in a worker process",
                      params=(Param("threads", None, "torch threads per cell", type=int, nullable=True),
                              Param("order_log", None, "append each cell's key and pid here", type=str,
                                    nullable=True)))]


@hookimpl
def seebench_cell_finished(cell, result):
    with open(os.environ["CHECKERS_LOG"], "a") as fh:
        fh.write(result["key"] + "\\n")
    if os.environ.get("CHECKERS_RAISE"):
        raise RuntimeError("log server down")
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
[project]
name = "{dist}"
version = "{version}"
[project.entry-points.seebench]
{ep} = "{module}"
[tool.setuptools]
py-modules = ["{module}"]
'''

OLD_STYLE = '''
"""Written before issue 15, against the old import name."""
from harness import GENERATOR, Component, hookimpl
'''

MISSPELT = '''
"""A registration hook without its final s."""
from seebench import GENERATOR, Component, hookimpl


@hookimpl
def seebench_register_generator():
    return [Component(kind=GENERATOR, name="typo-noise", factory=dict, description="never registered")]
'''

MATRIX = '''
[matrix]
name = "checkers"
data = ["checkerboard", "white-noise"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["brightness"]
budgets = [{ name = "t", image_size = 16 }]
'''


def make_dist(root: Path, dist: str, module: str, ep: str, code: str, version: str = "1.2.3") -> Path:
    folder = root / dist
    folder.mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT.format(dist=dist, version=version, ep=ep, module=module))
    (folder / f"{module}.py").write_text(textwrap.dedent(code))
    return folder


def pip_install(python: Path, *folders: Path) -> None:
    """`pip install DIR` into the venv: pip builds each distribution from its pyproject.toml."""
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-build-isolation", "--no-index", *map(str, folders)], check=True)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin-dists")
    env_dir = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    # The new venv sees this interpreter's packages (seebench, torch, setuptools: nothing downloaded), whether
    # this one is a system Python or itself a venv; addsitedir also runs their .pth files (editable installs).
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
    Path(purelib, "seebench-parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents))
    good = make_dist(root, "seebench-checkers", "seebench_checkers", "checkers", PLUGIN)
    broken = make_dist(root, "seebench-broken", "seebench_broken", "broken", "import no_such_module_anywhere\n",
                       version="0.0.1")
    old = make_dist(root, "seebench-oldstyle", "seebench_oldstyle", "oldstyle", OLD_STYLE, version="0.0.2")
    misspelt = make_dist(root, "seebench-misspelt", "seebench_misspelt", "misspelt", MISSPELT, version="0.0.3")
    pip_install(python, good, broken, old, misspelt)  # one pip call: a fifth distribution costs no new install
    return python, root


def run(python, *args, **env):
    full = {**os.environ, "COLUMNS": "200", **env}
    return subprocess.run([str(python), "-m", "seebench.cli.main", *args], capture_output=True, text=True, env=full,
                          timeout=600)


def test_installed_plugin_is_discovered_and_listed(venv):
    python, _ = venv
    proc = run(python, "plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["checkers"]["distribution"] == "seebench-checkers"
    assert plugins["checkers"]["version"] == "1.2.3"
    assert plugins["checkers"]["origin"].startswith("pip distribution seebench-checkers in ")
    assert plugins["checkers"]["components"] == ["generator:checkerboard", "evaluator:brightness", "executor:reverse"]
    assert plugins["knn"]["origin"] == "built-in"
    # the broken plugin is one line on stderr naming entry point and distribution; the rest loads
    assert plugins["broken"]["status"] == "failed"
    warning = [line for line in proc.stderr.splitlines() if "broken" in line]
    assert len(warning) == 1
    assert ("plugin entry point 'broken = seebench_broken' from distribution seebench-broken 0.0.1 failed to load "
            "(ModuleNotFoundError: No module named 'no_such_module_anywhere')") in warning[0]
    comps = {c["name"]: c for c in data["components"]}
    assert comps["checkerboard"]["params"][0]["default"] == 4 and comps["checkerboard"]["plugin"] == "checkers"
    # a misspelt hook name fails that plugin, naming the hook and the real one
    assert plugins["misspelt"]["status"] == "failed" and "typo-noise" not in comps
    assert plugins["misspelt"]["error"] == ("implements unknown hook 'seebench_register_generator' (did you mean "
                                            "'seebench_register_generators'?)")
    assert len([line for line in proc.stderr.splitlines() if "'misspelt'" in line]) == 1


def test_a_plugin_importing_harness_gets_one_line_saying_to_import_seebench(venv, tmp_path):
    """From the checkout (harness/ on sys.path: its guard raises) and from elsewhere (no module `harness`)."""
    python, _ = venv
    for cwd in (None, tmp_path):
        proc = subprocess.run([str(python), "-m", "seebench.cli.main", "plugins", "--json"], capture_output=True,
                              text=True, env={**os.environ, "COLUMNS": "200"}, cwd=cwd, timeout=600)
        assert proc.returncode == 0, proc.stderr
        plugins = {p["name"]: p for p in json.loads(proc.stdout)["plugins"]}
        assert plugins["oldstyle"]["status"] == "failed" and plugins["checkers"]["status"] == "loaded"
        assert plugins["oldstyle"]["error"] == ("imports `harness`; seebench's API is now imported as `seebench`: "
                                                "write `from seebench import hookimpl, ...`")
        assert [line for line in proc.stderr.splitlines() if "oldstyle" in line] == [
            "seebench: warning: plugin entry point 'oldstyle = seebench_oldstyle' from distribution seebench-oldstyle "
            "0.0.2 imports `harness`; seebench's API is now imported as `seebench`: write `from seebench import "
            "hookimpl, ...` (the other plugins still work; or disable it with --disable-plugin oldstyle)"]


def test_installed_plugin_is_used_in_a_matrix_run(venv, tmp_path):
    python, _ = venv
    matrix = tmp_path / "checkers.toml"
    matrix.write_text(MATRIX)
    log = tmp_path / "hook.log"
    proc = run(python, "run", str(matrix), "--out", str(tmp_path / "run"), CHECKERS_LOG=str(log))
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(p.read_text()) for p in (tmp_path / "run" / "results").glob("*.json")]
    by_row = {r["row"]: r for r in results}
    assert by_row["checkerboard"]["metrics"]["brightness"] == pytest.approx(127.5)
    assert 120 < by_row["white-noise"]["metrics"]["brightness"] < 135
    assert by_row["checkerboard"]["versions"]["plugin:seebench-checkers"] == "1.2.3"
    assert by_row["checkerboard"]["reference"] == {"imagenet100-top1": 12.5}
    assert by_row["checkerboard"]["cell"]["encoder"] is None  # the evaluator only uses the data
    assert sorted(log.read_text().split()) == sorted(r["key"] for r in results)  # lifecycle hook ran per cell


def test_a_third_party_executor_runs_a_matrix_like_local(venv, tmp_path):
    """`reverse` (written from docs/plugin-api.md "Executors" alone): its option is a flag, the cells run last to
    first in a spawned worker that rebuilt the registry from registry.spec(); results and keys equal local's."""
    python, _ = venv
    matrix = tmp_path / "checkers.toml"
    matrix.write_text(MATRIX)
    env = {**os.environ, "COLUMNS": "200", "CHECKERS_LOG": str(tmp_path / "hook.log")}
    order = tmp_path / "order.log"
    cli = [str(python), "-m", "seebench.cli.main", "run", str(matrix), "--threads", "1"]
    proc = subprocess.Popen([*cli, "--out", str(tmp_path / "rev"), "--executor", "reverse", "--order-log", str(order)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    local = subprocess.run([*cli, "--out", str(tmp_path / "local")], capture_output=True, text=True, env=env,
                           timeout=600)
    assert local.returncode == 0, local.stderr

    def results(run: str) -> dict:
        return {r["key"]: r for r in (json.loads(p.read_text()) for p in (tmp_path / run / "results").glob("*.json"))}

    rev, loc = results("rev"), results("local")
    assert len(rev) == 2 and rev.keys() == loc.keys()
    assert {k: r["metrics"] for k, r in rev.items()} == {k: r["metrics"] for k, r in loc.items()}
    assert {r["metrics"]["brightness"] for r in rev.values() if r["row"] == "checkerboard"} == {127.5}
    matrix_order = json.loads((tmp_path / "rev" / "matrix.json").read_text())["cells"]
    ran = [line.split() for line in order.read_text().splitlines()]
    assert [key for key, _ in ran] == matrix_order[::-1]  # last to first
    assert str(proc.pid) not in {pid for _, pid in ran}  # not in the CLI's own process
    assert len({pid for _, pid in ran}) == 1  # one worker: the registry was built there once per cell from the spec
    assert all(r["hardware"]["torch_threads"] == 1 for r in rev.values())  # the shared option reached the worker

    # the option is the executor's: another executor refuses it; an unknown name lists the registered ones
    wrong = run(python, "run", str(matrix), "--out", str(tmp_path / "x"), "--order-log", str(order))
    assert wrong.returncode == 2
    # (the lines before the last are the warnings about this venv's broken test plugins)
    assert wrong.stderr.splitlines()[-1] == "seebench: --order-log is not an option of executor 'local' (it is one of: reverse)"
    unknown = run(python, "run", str(matrix), "--out", str(tmp_path / "x"), "--executor", "slurm")
    assert unknown.stderr.splitlines()[-1] == ("seebench: --executor: unknown executor 'slurm'; registered executors: local, "
                                      "ray, reverse (`seebench plugins` lists them with their options)")
    matrix.write_text(MATRIX.replace('name = "checkers"', 'name = "checkers"\nexecutor = "reverse"\norder_log = 3'))
    typed = run(python, "run", str(matrix), "--out", str(tmp_path / "x"), "--dry-run")
    assert typed.returncode == 2 and typed.stderr.splitlines()[-1] == (
        f"seebench: {matrix}: [matrix] order_log: executor 'reverse': parameter 'order_log' must be str, got 3 (int); "
        f"default is None")
    assert not (tmp_path / "x").exists()


def test_a_plugin_hook_that_raises_loses_nothing(venv, tmp_path):
    python, _ = venv
    matrix = tmp_path / "checkers.toml"
    matrix.write_text(MATRIX)
    proc = run(python, "run", str(matrix), "--out", str(tmp_path / "run"), CHECKERS_LOG=str(tmp_path / "log"),
               CHECKERS_RAISE="1")
    assert proc.returncode == 0, proc.stderr
    assert "plugin 'checkers' raised in seebench_cell_finished: RuntimeError: log server down" in proc.stderr
    assert len(list((tmp_path / "run" / "results").glob("*.json"))) == 2


def test_a_clashing_plugin_names_both_and_can_be_disabled(venv):
    python, root = venv
    clash = make_dist(root, "seebench-clash", "seebench_clash", "clash", '''
        from seebench import GENERATOR, Component, hookimpl

        @hookimpl
        def seebench_register_generators():
            return [Component(kind=GENERATOR, name="white-noise", factory=dict, description="mine")]
        ''')
    pip_install(python, clash)
    try:
        proc = run(python, "plugins")
        assert proc.returncode == 2
        assert proc.stderr.strip() == ("seebench: generator 'white-noise' is registered by two plugins: 'clash' and "
                                       "'white-noise'; disable one with --disable-plugin NAME or "
                                       "SEEBENCH_DISABLE_PLUGINS")
        assert run(python, "plugins", "--disable-plugin", "clash").returncode == 0
        assert run(python, "plugins", SEEBENCH_DISABLE_PLUGINS="clash").returncode == 0
        allowed = run(python, "plugins", "--json", SEEBENCH_PLUGINS="checkers")
        assert {c["name"] for c in json.loads(allowed.stdout)["components"]} == {"checkerboard", "brightness", "reverse"}
    finally:
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "uninstall", "-q", "-y",
                        "seebench-clash"], check=True)
