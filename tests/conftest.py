"""Shared fixtures: the real registry, tiny matrix files, a helper that runs the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# A matrix small enough for a test: random-init ResNet-18 at 16 px, k-NN on 300 Fashion-MNIST images.
TINY_MATRIX = """
[matrix]
name = "tiny"
data = ["white-noise"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["knn"]
seeds = {seeds}
budgets = [{{ name = "t", image_size = 16, images = 64, batch_size = 32 }}]

[params.knn]
train_size = 200
test_size = 100
"""


@pytest.fixture(scope="session")
def registry():
    from seebench.plugins.manager import load_registry

    return load_registry()


@pytest.fixture
def tiny_matrix(tmp_path):
    def make(seeds=(0,), extra: str = "") -> Path:
        path = tmp_path / "tiny.toml"
        path.write_text(TINY_MATRIX.format(seeds=list(seeds)) + extra)
        return path
    return make


def seebench(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 600,
             exe: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `seebench` command for real; returns the completed process."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    cmd = [exe or os.path.join(os.path.dirname(sys.executable), "seebench"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)
