"""Hooks are called through pluggy: third-party wrappers and tracing see them, one plugin's exception stops no
other, and a misspelt hook name fails its plugin with the closest real name instead of loading nothing."""

import importlib
import sys
import textwrap

import pytest

from seebench import EVALUATOR, GENERATOR
from seebench.plugins.manager import load_registry

LISTENER = '''
"""Records every seebench_cell_finished it gets."""
from seebench import hookimpl

CALLS = []


@hookimpl
def seebench_cell_finished(cell, result):
    CALLS.append((cell, result["key"]))
'''

FAILING = '''
"""Its log server is down."""
from seebench import hookimpl


@hookimpl
def seebench_cell_finished(cell, result):
    raise RuntimeError("log server down")
'''

WRAPPERS = '''
"""A new-style and an old-style wrapper around seebench_cell_finished, as a timing or tracing plugin would be."""
from seebench import hookimpl

SEEN = []


@hookimpl(wrapper=True)
def seebench_cell_finished(cell, result):
    SEEN.append(("before", cell))
    try:
        out = yield
    except Exception as exc:
        SEEN.append(("raised", type(exc).__name__))
        raise
    SEEN.append(("after", cell))
    return out


class OldStyle:
    @hookimpl(hookwrapper=True)
    def seebench_matrix_finished(self, results, run_dir):
        outcome = yield
        SEEN.append(("old-style", len(results), outcome.exception is None))
'''

MISSPELT = '''
"""A generator plugin whose registration hook lacks its final s."""
from seebench import GENERATOR, Component, hookimpl


@hookimpl
def seebench_register_generator():
    return [Component(kind=GENERATOR, name="never-seen", factory=dict, description="typo")]


@hookimpl
def seebench_cell_started(cell):
    raise AssertionError("a failed plugin is never called")
'''


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Real modules on sys.path, imported by name as a host program's plugins would be."""
    def make(**sources: str) -> dict:
        for name, code in sources.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(code))
            sys.modules.pop(name, None)
        monkeypatch.syspath_prepend(str(tmp_path))
        return {name: importlib.import_module(name) for name in sources}
    yield make


def test_a_third_party_wrapper_wraps_each_plugin_call_and_tracing_sees_them(modules):
    mods = modules(hook_listener=LISTENER, hook_failing=FAILING, hook_wrappers=WRAPPERS)
    wrappers = mods["hook_wrappers"]
    plugins = [("listener", mods["hook_listener"]), ("failing", mods["hook_failing"]), ("wrappers", wrappers),
               ("old-wrapper", wrappers.OldStyle())]
    registry = load_registry(allow=["knn"], extra=plugins)  # no built-in plugin implements these hooks then
    traced, monitored = [], []
    registry.pm.trace.root.setwriter(traced.append)
    undo_trace = registry.pm.enable_tracing()
    undo_monitor = registry.pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: monitored.append((name, sorted(i.plugin_name for i in impls))),
        lambda outcome, name, impls, kwargs: None)
    try:
        problems = registry.notify("seebench_cell_finished", cell="c1", result={"key": "k1"})
        registry.notify("seebench_matrix_finished", results=[{"key": "k1"}], run_dir=".")
    finally:
        undo_monitor()
        undo_trace()
    # the failing plugin is one line, and the listener still got the call
    assert problems == ["plugin 'failing' raised in seebench_cell_finished: RuntimeError: log server down "
                        "(disable it with --disable-plugin failing)"]
    assert mods["hook_listener"].CALLS == [("c1", "k1")]
    # the wrapper wrapped each plugin's call (listener first: registration order) and saw the failure
    assert wrappers.SEEN == [("before", "c1"), ("after", "c1"), ("before", "c1"), ("raised", "RuntimeError"),
                             ("old-style", 1, True)]
    # pluggy's monitoring and tracing saw every call, the wrapper in each
    cell_calls = [impls for name, impls in monitored if name == "seebench_cell_finished"]
    assert cell_calls == [["listener", "wrappers"], ["failing", "wrappers"]]
    assert ("seebench_matrix_finished", ["old-wrapper"]) in monitored  # a hook only a wrapper implements
    assert sum("seebench_cell_finished [hook]" in line for line in traced) == 2


def test_a_misspelt_hook_fails_its_plugin_naming_the_closest_hook_and_the_rest_load(modules):
    mods = modules(hook_misspelt=MISSPELT, hook_listener=LISTENER)
    registry = load_registry(extra=[("misspelt", mods["hook_misspelt"]), ("listener", mods["hook_listener"])])
    info = {p.name: p for p in registry.plugins}
    assert info["misspelt"].status == "failed"
    assert info["misspelt"].error == ("implements unknown hook 'seebench_register_generator' "
                                      "(did you mean 'seebench_register_generators'?)")
    assert info["listener"].status == "loaded"
    lines = [w for w in registry.warnings if "misspelt" in w]
    assert lines == ["plugin 'misspelt' implements unknown hook 'seebench_register_generator' (did you mean "
                     "'seebench_register_generators'?), so none of its hooks are used; fix the name (the hooks are "
                     "listed in docs/plugin-api.md), or disable it with --disable-plugin misspelt"]
    assert "never-seen" not in registry.names(GENERATOR)
    assert "white-noise" in registry.names(GENERATOR) and "knn" in registry.names(EVALUATOR)
    assert registry.notify("seebench_cell_started", cell="c") == []  # its other hook is unregistered too
    registry.pm.check_pending()  # what is left is all known hooks
