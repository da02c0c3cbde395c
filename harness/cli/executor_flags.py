"""`seebench run`'s executor options: one flag per Param of the registered executors, read back with its origin."""

from __future__ import annotations

import argparse
from typing import Any

from seebench.executors.select import DEFAULT_EXECUTOR, build_executor, executor_component, executor_options
from seebench.matrix.specs import parse_value

DEST_PREFIX = "executor_option:"  # argparse dest of an executor option (a name no other option can have)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_executor_flags(parser: argparse.ArgumentParser, registry: Any) -> None:
    """--executor (checked against the registry when used) and a flag for every executor option."""
    names = ", ".join(n for n, c in sorted(registry.components.get("executor", {}).items())
                      if c.metadata.get("scope", "matrix") == "matrix")
    parser.add_argument("--executor", metavar="NAME",
                        help=f"how the cells run: {names or 'no executor registered'} (default {DEFAULT_EXECUTOR}; "
                             f"matrix: executor); `seebench plugins` lists them")
    group = parser.add_argument_group("executor options", "declared by the registered executors as Params (also "
                                                         "[matrix] keys; the option wins)")
    for name, declared in sorted(executor_options(registry).items()):
        comps = [c.name for c, _ in declared]
        help_text = declared[0][1].help or name
        numeric = all(p.value_type in (int, float) for _, p in declared)
        group.add_argument(flag(name), dest=DEST_PREFIX + name, metavar="N" if numeric else name.upper(),
                           help=f"{help_text} [{', '.join(comps)}]")


def build_from_args(args: argparse.Namespace, registry: Any, settings: dict[str, Any], origin: str) -> Any:
    """The executor that `--executor` (else [matrix] executor, else local) names, with its options from the command
    line (read as TOML values, text for str Params) over the matrix's [matrix] keys."""
    name = args.executor or settings.get("executor", DEFAULT_EXECUTOR)
    comp = executor_component(registry, name, "--executor" if args.executor else f"{origin}: [matrix] executor")
    declared = {p.name: p for p in comp.params}
    options: dict[str, Any] = {}
    where: dict[str, str] = {}
    for key, value in settings.items():
        if key in declared:
            options[key], where[key] = value, f"{origin}: [matrix] {key}"
    for dest, text in vars(args).items():
        if not dest.startswith(DEST_PREFIX) or text is None:
            continue
        key = dest[len(DEST_PREFIX):]
        param = declared.get(key)
        options[key] = text if param is None or param.value_type is str else parse_value(text)
        where[key] = flag(key)
    return build_executor(registry, name, options, where)
