"""Executors from the registry: matrix executors by name, their options (Params) checked and handed to the factory."""

from __future__ import annotations

from typing import Any, Mapping

from seebench.api.components import EXECUTOR, Component
from seebench.api.errors import ConfigError, PluginError
from seebench.run.threads import check_threads

DEFAULT_EXECUTOR = "local"
MATRIX_SCOPE = "matrix"  # runs a list of cells: `--executor NAME`
CELL_SCOPE = "cell"  # runs one cell's pretraining in several processes: `--procs-per-cell N`
# Names `seebench run` (or argparse) uses itself: no executor option may take them.
RESERVED_OPTIONS = frozenset({"matrix", "out", "set", "dry_run", "force", "executor", "disable_plugin", "help",
                              "func", "command"})
PROCESSES_OPTION = "--procs-per-cell (matrix: procs_per_cell)"


def check_processes(value: Any, option: str = PROCESSES_OPTION) -> int:
    """The number of processes per cell as an int >= 1, or a one-line ConfigError naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(f"{option} must be a whole number of processes >= 1, got {value!r}; "
                          f"use 1 for one process per cell")
    return int(value)


# Options with one meaning whichever executor declares them, checked here with seebench's own message.
SHARED_OPTIONS = {"threads": check_threads, "procs_per_cell": check_processes}


def scope_of(comp: Component) -> str:
    return str(comp.metadata.get("scope", MATRIX_SCOPE))


def matrix_executors(registry: Any) -> dict[str, Component]:
    """The registered executors that run a matrix's cells, by name."""
    return {n: c for n, c in sorted(registry.components[EXECUTOR].items()) if scope_of(c) == MATRIX_SCOPE}


def executor_component(registry: Any, name: Any, where: str = "--executor") -> Component:
    """The matrix executor `name`, or one line listing the registered ones."""
    known = matrix_executors(registry)
    if isinstance(name, str) and name in known:
        return known[name]
    listed = ", ".join(known) or "none (every executor plugin is disabled)"
    if isinstance(name, str) and registry.find(EXECUTOR, name) is not None:
        raise ConfigError(f"{where}: executor '{name}' runs the processes of one cell (use --procs-per-cell N), not "
                          f"a matrix; matrix executors: {listed}")
    raise ConfigError(f"{where}: unknown executor {name!r}; registered executors: {listed} "
                      f"(`seebench plugins` lists them with their options)")


def executor_options(registry: Any) -> dict[str, list[tuple[Component, Any]]]:
    """Every option name of every matrix executor -> the (executor, Param) pairs declaring it."""
    out: dict[str, list[tuple[Component, Any]]] = {}
    for comp in matrix_executors(registry).values():
        for param in comp.params:
            if param.name in RESERVED_OPTIONS:
                raise PluginError(f"executor '{comp.name}' (plugin '{comp.plugin}') declares the option "
                                  f"'{param.name}', which `seebench run` uses itself; rename that Param")
            out.setdefault(param.name, []).append((comp, param))
    return out


def build_executor(registry: Any, name: str = DEFAULT_EXECUTOR, options: Mapping[str, Any] | None = None,
                   where: Mapping[str, str] | None = None) -> Any:
    """The executor object of `name`, its factory called with every Param resolved: `options` (None values
    count as not given) overlaid on the defaults. `where` names each option's origin for error lines
    (e.g. {'threads': '--threads'}); an option the executor does not declare is an error."""
    comp = executor_component(registry, name)
    every = executor_options(registry)  # also refuses an option named like one of `seebench run`'s own
    declared = {p.name: p for p in comp.params}
    given: dict[str, Any] = {}
    for key, value in (options or {}).items():
        if value is None:
            continue
        label = (where or {}).get(key, key)
        if key not in declared:
            others = [c.name for c, _ in every.get(key, [])]
            tip = f"it is one of: {', '.join(others)}" if others else f"its options: {', '.join(declared) or 'none'}"
            raise ConfigError(f"{label} is not an option of executor '{name}' ({tip})")
        if key in SHARED_OPTIONS:  # seebench's own line, naming where the value came from when known
            value = SHARED_OPTIONS[key](value, where[key]) if where and key in where else SHARED_OPTIONS[key](value)
        given[key] = declared[key].check(value, f"{label}: executor '{name}'")
    return comp.factory(**comp.resolve_params(given))
