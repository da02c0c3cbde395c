"""RegistrySpec: one picklable description of a registry, rebuilt identically in a spawned worker process."""

import multiprocessing as mp
import pickle
import textwrap
import types

import pytest

from seebench import GENERATOR, PluginError, RegistrySpec
from seebench.plugins.manager import load_registry

IN_PROCESS_PLUGIN = '''
"""An in-process plugin embedded by a host program: one generator."""
from seebench import GENERATOR, Component, hookimpl


@hookimpl
def seebench_register_generators():
    return [Component(kind=GENERATOR, name="spec-probe", factory=dict, description="probe for RegistrySpec")]
'''


def _describe(registry) -> dict:
    return {"plugins": sorted((p.name, p.status) for p in registry.plugins),
            "components": sorted(f"{c.kind}:{c.name}@{c.plugin}" for c in registry.all_components())}


def _rebuild_in_worker(spec: RegistrySpec, queue) -> None:
    """A spawned process (as a DDP rank, a Ray worker or an export worker is): its own environment differs."""
    import os

    os.environ["SEEBENCH_PLUGINS"] = "fashion-mnist"  # must not matter: the spec read the parent's environment
    os.environ["SEEBENCH_DISABLE_PLUGINS"] = "white-noise"
    queue.put(_describe(spec.load()))


@pytest.fixture
def embedded_module(tmp_path, monkeypatch):
    (tmp_path / "spec_probe_plugin.py").write_text(textwrap.dedent(IN_PROCESS_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    import spec_probe_plugin

    return spec_probe_plugin


def test_allow_list_and_in_process_plugin_reach_a_spawned_worker_identically(embedded_module, monkeypatch):
    monkeypatch.delenv("SEEBENCH_PLUGINS", raising=False)
    monkeypatch.setenv("SEEBENCH_DISABLE_PLUGINS", "knn")  # read once, in the parent
    parent = load_registry(allow=["white-noise", "knn", "probe"], extra=[("probe", embedded_module)])
    spec = parent.spec()
    assert spec == RegistrySpec(allow=("knn", "probe", "white-noise"), block=("knn",),
                                extra=(("probe", "spec_probe_plugin"),))
    assert pickle.loads(pickle.dumps(spec)) == spec
    expected = _describe(parent)
    assert "generator:spec-probe@probe" in expected["components"]
    assert "generator:white-noise@white-noise" in expected["components"]
    assert ("knn", "disabled") in expected["plugins"] and ("fashion-mnist", "not-allowed") in expected["plugins"]

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    worker = ctx.Process(target=_rebuild_in_worker, args=(spec, queue))
    worker.start()
    seen = queue.get(timeout=120)
    worker.join(timeout=60)
    assert worker.exitcode == 0
    assert seen == expected


def test_spec_load_in_this_process_gives_the_same_registry(embedded_module):
    parent = load_registry(extra=[("probe", embedded_module)])
    again = parent.spec().load()
    assert _describe(again) == _describe(parent)
    assert again.get(GENERATOR, "spec-probe").plugin == "probe"


def test_a_plugin_object_that_is_no_importable_module_cannot_be_described():
    loose = types.ModuleType("made_up_here")  # not in sys.modules: no worker could import it
    registry = load_registry(extra=[("loose", loose)])
    with pytest.raises(PluginError, match=r"in-process plugin 'loose' is not an importable module"):
        registry.spec()


def test_a_module_a_worker_cannot_import_is_one_line_naming_the_plugin():
    spec = RegistrySpec(extra=(("gone", "no_such_module_for_spec_test"),))
    with pytest.raises(PluginError, match=r"in-process plugin 'gone': module 'no_such_module_for_spec_test' cannot "
                                          r"be imported in this process"):
        spec.load()
