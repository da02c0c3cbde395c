"""Plugin discovery: entry points, allow/block lists, clashes, broken hooks, `seebench plugins`."""

import json
import types

import pytest

from conftest import seebench
from seebench import EVALUATOR, GENERATOR, Component, PluginError, hookimpl
from seebench.plugins.manager import load_registry

BUILTINS = {"white-noise", "fashion-mnist", "timm-encoders", "no-pretraining", "knn"}


def test_builtins_are_found_through_the_entry_point_group(registry):
    loaded = {p.name for p in registry.plugins if p.status == "loaded"}
    assert BUILTINS <= loaded
    for p in registry.plugins:
        if p.name in BUILTINS:
            assert p.distribution == "seebench" and p.origin == "built-in" and p.version
    assert registry.get(GENERATOR, "white-noise").plugin == "white-noise"
    assert "knn" in registry.names(EVALUATOR)


def test_allow_list_from_environment(monkeypatch):
    monkeypatch.setenv("SEEBENCH_PLUGINS", "white-noise,knn")
    reg = load_registry()
    assert reg.names(GENERATOR)[:1] == ["white-noise"] and "knn" in reg.names(EVALUATOR)
    assert reg.names("source") == [] and reg.names("encoder") == []
    statuses = {p.name: p.status for p in reg.plugins}
    assert statuses["fashion-mnist"] == "not-allowed"


def test_block_list_from_environment_and_argument(monkeypatch):
    monkeypatch.setenv("SEEBENCH_DISABLE_PLUGINS", "knn")
    reg = load_registry(block=["white-noise"])
    assert "knn" not in reg.names(EVALUATOR) and "white-noise" not in reg.names(GENERATOR)
    assert {p.name: p.status for p in reg.plugins}["knn"] == "disabled"


def _plugin(name, **hooks):
    mod = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(mod, hook, hookimpl(fn))
    return mod


def test_two_components_with_one_name_is_an_error_naming_both_plugins():
    clash = _plugin("my-clash", seebench_register_generators=lambda: [
        Component(kind=GENERATOR, name="white-noise", factory=dict, description="impostor")])
    with pytest.raises(PluginError, match=r"generator 'white-noise' is registered by two plugins: "
                                          r"'white-noise' and 'my-clash'"):
        load_registry(extra=[("my-clash", clash)])


def test_a_registration_hook_that_raises_is_reported_and_the_rest_still_load():
    def boom():
        raise RuntimeError("cannot reach my license server")
    reg = load_registry(extra=[("grumpy", _plugin("grumpy", seebench_register_evaluators=boom))])
    assert "knn" in reg.names(EVALUATOR)
    assert any("plugin 'grumpy' raised in seebench_register_evaluators: RuntimeError: cannot reach" in w
               and "--disable-plugin grumpy" in w for w in reg.warnings)


def test_a_registration_hook_returning_the_wrong_kind_is_reported():
    bad = _plugin("confused", seebench_register_generators=lambda: [
        Component(kind=EVALUATOR, name="oops", factory=dict, description="d")])
    reg = load_registry(extra=[("confused", bad)])
    assert "oops" not in reg.names(EVALUATOR) and "oops" not in reg.names(GENERATOR)
    assert any("confused" in w and "kind 'generator'" in w for w in reg.warnings)


def test_lifecycle_hook_that_raises_is_reported_not_fatal():
    calls = []

    def finished(cell, result):
        calls.append(cell)
        raise ValueError("disk full")
    reg = load_registry(extra=[("noisy", _plugin("noisy", seebench_cell_finished=finished))])
    problems = reg.notify("seebench_cell_finished", cell="c", result={})
    assert calls == ["c"]
    assert problems == ["plugin 'noisy' raised in seebench_cell_finished: ValueError: disk full "
                        "(disable it with --disable-plugin noisy)"]


def test_plugins_command_lists_plugins_and_components_as_json():
    proc = seebench("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    plugins = {p["name"]: p for p in data["plugins"]}
    assert plugins["knn"]["origin"] == "built-in" and plugins["knn"]["version"]
    comps = {(c["kind"], c["name"]): c for c in data["components"]}
    knn = comps[("evaluator", "knn")]
    assert knn["description"].startswith("k-NN accuracy")
    assert {"name": "k", "default": 20, "help": "neighbours"} in knn["params"]
    assert comps[("objective", "none")]["uses"] == []


def test_plugins_command_table_and_disable_flag():
    proc = seebench("plugins", "--disable-plugin", "knn")
    assert proc.returncode == 0, proc.stderr
    assert "white-noise" in proc.stdout and "disabled" in proc.stdout
    assert "k-NN accuracy" not in proc.stdout
