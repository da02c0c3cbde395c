"""The layout shows the architecture: each built-in plugin sits in the folder of its kind, and a component's
code is found from its name in two steps (`seebench plugins` names the module; the module names the file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seebench.plugins.manager import load_registry

ROOT = Path(__file__).resolve().parents[1]
FOLDER_OF_KIND = {"source": "sources", "generator": "generators", "encoder": "encoders", "objective": "objectives",
                  "evaluator": "evaluators", "executor": "executors"}


def test_every_built_in_plugin_lives_in_the_folder_of_its_kind():
    registry = load_registry()
    built_in = [p for p in registry.plugins if p.value.startswith("seebench_plugins.")]
    assert len(built_in) >= 25
    for plugin in built_in:
        parts = plugin.value.split(".")
        path = ROOT / "plugins" / Path(*parts[1:]).with_suffix(".py")
        assert path.is_file(), f"{plugin.name}: {plugin.value} is not {path}"
        kinds = {c.split(":", 1)[0] for c in plugin.components}
        folder = parts[1]
        if kinds:  # a plugin registering two kinds (fingerprint: its evaluator and its control generators) sits by one
            assert folder in {FOLDER_OF_KIND[k] for k in kinds}, f"{plugin.name} ({sorted(kinds)}) is in plugins/{folder}/"
        else:
            assert folder == "loggers", f"{plugin.name} registers no component but is in plugins/{folder}/"


def test_seebench_plugins_names_the_module_of_each_component():
    proc = subprocess.run([sys.executable, "-m", "seebench.cli.main", "plugins"], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"}, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("│ noise-dead-leaves "))
    assert "seebench_plugins.generators.noise.dead_leaves" in row and "generator:dead-leaves-shapes" in row
    assert (ROOT / "plugins/generators/noise/dead_leaves.py").is_file()
