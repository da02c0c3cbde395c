"""CellContext is a facade: its public members are exactly the ones docs/plugin-api.md lists, and the engine lives elsewhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from repr_cells import cell, context, one_thread  # noqa: F401 (autouse fixture)
from seebench import CellContext

DOCS = Path(__file__).resolve().parent.parent / "docs" / "plugin-api.md"


def documented_members() -> set[str]:
    """Every `ctx.NAME` in the first column of the CellContext table."""
    text = DOCS.read_text()
    section = text[text.index("## CellContext"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `ctx.")]
    return {name for row in rows for name in re.findall(r"`ctx\.([a-z_]+)", row)}


def public_members(tmp_path) -> set[str]:
    ctx = context(cell(), tmp_path)
    return {name for name in [*vars(ctx), *dir(CellContext)] if not name.startswith("_")}


def test_the_context_has_exactly_the_documented_members(tmp_path):
    documented, public = documented_members(), public_members(tmp_path)
    assert len(documented) > 20
    assert public - documented == set(), "members of CellContext missing from docs/plugin-api.md"
    assert documented - public == set(), "docs/plugin-api.md lists members CellContext does not have"


def test_the_context_delegates_the_engine():
    """Pretraining, features and their caches are in their own modules, not in the class body."""
    source = inspect.getsource(CellContext)
    for engine_word in ("save_tensors", "load_tensors", "extract_features", "perf_counter", "state_dict",
                        "in_process_group", ".tmp"):
        assert engine_word not in source, engine_word
    assert len(source.splitlines()) < 220
