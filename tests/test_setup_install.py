"""The set-up's choice of Python: an active venv as it is, else the project's .venv/, else one line on what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

DEBIAN_PYTHON = Path("/usr/bin/python3")


def project_python(root: Path, base: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(root / "scripts" / "project-python")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SEEBENCH_PYTHON": base, **(env or {})})


@pytest.fixture
def clone(tmp_path):
    """A folder laid out like the clone's root, holding the real scripts/project-python."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "project-python", tmp_path / "scripts" / "project-python")
    return tmp_path


def test_an_active_virtual_environment_is_used_as_it_is(clone, tmp_path):
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    proc = project_python(clone, str(env_dir / "bin" / "python"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(env_dir / "bin" / "python")
    assert not (clone / ".venv").exists()


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="needs the distribution's own /usr/bin/python3")
def test_a_system_python_gets_the_project_venv_and_reuses_it(clone):
    # Made as `python3 -m venv` would (the first-time pip upgrade needs the registry, so it is done here
    # without it); the script must then reuse it, in well under a second, and never install into the system.
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(clone / ".venv")], check=True, timeout=120)
    start = time.monotonic()
    proc = project_python(clone, str(DEBIAN_PYTHON))
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(clone / ".venv" / "bin" / "python")
    assert took < 5, f"reusing .venv took {took:.1f} s"


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="needs the distribution's own /usr/bin/python3")
def test_without_python3_venv_one_line_names_the_package(clone, tmp_path):
    # Debian's python3 without python3-venv: `import ensurepip` fails. Simulated by shadowing ensurepip.
    shadow = tmp_path / "shadow" / "ensurepip"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('ensurepip is not available (python3-venv)')\n")
    fake = tmp_path / "python3"
    fake.write_text(f"#!/bin/sh\nPYTHONPATH={shadow.parent} exec {DEBIAN_PYTHON} \"$@\"\n")
    fake.chmod(0o755)
    proc = project_python(clone, str(fake))
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "python3-venv" in lines[0] and "apt-get install" in lines[0], proc.stderr
    assert not (clone / ".venv").exists()


def test_a_missing_interpreter_gets_one_line(clone):
    proc = project_python(clone, "no-such-python3")
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "no no-such-python3 on PATH" in proc.stderr
