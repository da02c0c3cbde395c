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
"""A third-party seebench plugin: a checkerboard generator and a brightness evaluator."""
import os
import torch
from seebench import EVALUATOR, GENERATOR, Component, Param, hookimpl


class Checkerboard:
    def __init__(self, period=4):
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
    assert plugins["checkers"]["components"] == ["generator:checkerboard", "evaluator:brightness"]
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
        assert {c["name"] for c in json.loads(allowed.stdout)["components"]} == {"checkerboard", "brightness"}
    finally:
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "uninstall", "-q", "-y",
                        "seebench-clash"], check=True)
