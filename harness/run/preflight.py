"""Preflight: before any cell runs, ask each distinct evaluator and data component whether its files are there.

A component (any kind) may define `preflight(self, pf)`: look cheaply for what it will read (a
folder, a class list, a dataset's files; never load them all) and raise a SeebenchError (e.g.
DataMissingError) whose one-line message names the file, folder or key and what to do. `pf` is a
`Preflight`: it builds other components and runs a source's own check. A source's preflight also
takes `splits`, the splits that will be read (pretraining data reads only "train").
"""

from __future__ import annotations

import inspect
from typing import Any, Iterable, Mapping, Sequence

from seebench.matrix.cell import Cell, ComponentRef, content_key
from seebench.api.components import SOURCE
from seebench.api.errors import ConfigError, PluginError, SeebenchError

BOTH_SPLITS = ("train", "test")


class Preflight:
    """What a component's `preflight(pf)` may use: build a component, check a source's splits."""

    def __init__(self, registry: Any):
        self.registry = registry

    def build(self, kind: str, name: str, params: Mapping[str, Any] | None = None, where: str = "preflight") -> Any:
        comp, resolved = self.registry.resolve(kind, name, dict(params or {}), where)
        return comp.factory(**resolved)

    def source(self, name: str, params: Mapping[str, Any] | None = None, splits: Sequence[str] = BOTH_SPLITS,
               where: str = "preflight") -> None:
        """Build source `name` and run its preflight over `splits` (nothing when it has none)."""
        run(self.build(SOURCE, name, params, where), self, splits)


def run(obj: Any, pf: Preflight, splits: Sequence[str] | None = None) -> None:
    """Call `obj.preflight(pf)` if it has one, passing `splits` where it accepts them."""
    fn = getattr(obj, "preflight", None)
    if fn is None:
        return
    if splits is not None and "splits" in inspect.signature(fn).parameters:
        fn(pf, splits=tuple(splits))
    else:
        fn(pf)


def _check_ref(ref: ComponentRef, registry: Any, pf: Preflight, splits: Sequence[str] | None) -> None:
    comp = registry.get(ref.kind, ref.name, where="preflight")
    if inspect.isclass(comp.factory) and not hasattr(comp.factory, "preflight"):
        return  # nothing to check: do not even build it
    try:
        obj = comp.factory(**dict(ref.params))
    except SeebenchError:
        raise
    except Exception:  # noqa: BLE001 - a constructor bug is the cell's to report, as it is today
        return
    try:
        run(obj, pf, splits)
    except SeebenchError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise PluginError(f"{ref.kind} '{ref.name}': its preflight check raised {type(exc).__name__}: {exc}") from exc


def problems(cells: Iterable[Cell], registry: Any) -> list[str]:
    """One line per problem found, for each distinct evaluator and pretraining-data component of `cells`."""
    pf = Preflight(registry)
    seen: set[str] = set()
    found: list[str] = []
    for cell in cells:
        todo = [(cell.evaluator, None)]
        if cell.data is not None:
            todo.append((cell.data, ("train",) if cell.data.kind == SOURCE else None))
        for ref, splits in todo:
            key = content_key(ref.identity())
            if key in seen:
                continue
            seen.add(key)
            try:
                _check_ref(ref, registry, pf, splits)
            except SeebenchError as exc:
                line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                label = ref.label or ref.name
                if label not in line:
                    line = f"{ref.kind} '{label}': {line}"
                if line not in found:
                    found.append(line)
    return found


def check(cells: Iterable[Cell], registry: Any) -> None:
    """Raise ConfigError naming every problem (one line) if any component's preflight fails."""
    found = problems(cells, registry)
    if len(found) == 1:
        raise ConfigError(f"{found[0]} (nothing was run)")
    if found:
        raise ConfigError(f"{len(found)} problems, nothing was run: " + "; ".join(found))
