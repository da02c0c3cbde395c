"""Component and parameter descriptions that plugins return from registration hooks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from seebench.api.errors import ConfigError

SOURCE = "source"
GENERATOR = "generator"
ENCODER = "encoder"
OBJECTIVE = "objective"
EVALUATOR = "evaluator"
EXECUTOR = "executor"  # runs a matrix's cells (docs/plugin-api.md, Executors)
KINDS = (SOURCE, GENERATOR, ENCODER, OBJECTIVE, EVALUATOR, EXECUTOR)

# Axes of a cell a component may depend on (see Component.uses).
AXES = ("data", "encoder", "objective")

_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "table"}


@dataclass(frozen=True)
class Param:
    """One constructor parameter of a component, with its default and a one-line help."""

    name: str
    default: Any
    help: str = ""
    type: type | None = None  # inferred from the default when None
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False  # None is accepted (and is the default when default is None)
    # Left out of the resolved parameters (so of cell keys) while it holds its default: a component
    # can gain a parameter without changing the keys of existing cells. The factory's own default
    # must then equal `default`, since the factory is called without it.
    omit_at_default: bool = False

    @property
    def value_type(self) -> type | None:
        if self.type is not None:
            return self.type
        if self.default is None:
            return None
        return type(self.default)

    def check(self, value: Any, owner: str) -> Any:
        """Return `value` coerced to this parameter's type, or raise ConfigError naming `owner`."""
        if value is None and (self.nullable or self.default is None):
            return None
        want = self.value_type
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if want is list and isinstance(value, tuple):
            value = list(value)
        if want is not None and not (
            isinstance(value, want) and not (want is int and isinstance(value, bool))
        ):
            raise ConfigError(
                f"{owner}: parameter '{self.name}' must be {_TYPE_NAMES.get(want, want.__name__)}, "
                f"got {value!r} ({type(value).__name__}); default is {self.default!r}"
            )
        if self.choices is not None and value not in self.choices:
            raise ConfigError(
                f"{owner}: parameter '{self.name}' must be one of {list(self.choices)}, got {value!r}"
            )
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{owner}: parameter '{self.name}' must be >= {self.minimum}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{owner}: parameter '{self.name}' must be <= {self.maximum}, got {value!r}")
        return value


@dataclass
class Component:
    """A named thing a plugin offers: a source, generator, encoder, objective, evaluator or executor.

    `factory(**params)` builds it; `params` lists every accepted parameter with its default.
    `uses` names the cell axes the component's output depends on (an objective that ignores its
    data, an evaluator that ignores the encoder); None means all of them. `metadata` holds facts
    such as `role` ("real", "synthetic", "random-init"), `baseline_label`, `reference` (e.g. the
    paper's number) and `metrics` (name -> {"higher_is_better": bool, "unit": str}).
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    description: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    uses: tuple[str, ...] | None = None
    version: str = "1"  # bump when the component's numbers change for the same parameters
    # Filled in by the plugin manager:
    plugin: str = ""
    plugin_version: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"component {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if not self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"component name {self.name!r} must be non-empty without spaces")
        if not self.description or "\n" in self.description.strip():
            raise ValueError(f"component {self.name!r}: description must be one line")
        self.params = tuple(self.params)
        self.tags = tuple(self.tags)
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"component {self.name!r}: duplicate parameter names {names}")

    @property
    def label(self) -> str:
        return f"{self.kind} '{self.name}'"

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve_params(self, given: Mapping[str, Any] | None, where: str = "") -> dict[str, Any]:
        """Defaults overlaid with `given`, every value type-checked; unknown names suggested.
        Parameters marked `omit_at_default` are left out while they hold their default."""
        owner = f"{where}: {self.label}" if where else self.label
        by_name = {p.name: p for p in self.params}
        out = self.defaults()
        for key, value in (given or {}).items():
            if key not in by_name:
                hint = difflib.get_close_matches(key, list(by_name), n=1)
                known = ", ".join(by_name) or "none"
                tip = f"did you mean '{hint[0]}'? " if hint else ""
                raise ConfigError(f"{owner} has no parameter '{key}'; {tip}(parameters: {known})")
            out[key] = by_name[key].check(value, owner)
        for p in self.params:
            if p.omit_at_default and out.get(p.name) == p.default:
                del out[p.name]
        return out

    def build(self, params: Mapping[str, Any] | None = None, where: str = "") -> Any:
        return self.factory(**self.resolve_params(params, where))

    def reference_numbers(self) -> dict[str, float]:
        """metadata['reference'] as {column: number}; anything else there (a citation) is ignored."""
        ref = self.metadata.get("reference")
        if not isinstance(ref, Mapping):
            return {}
        return {str(k): float(v) for k, v in ref.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}

    def describe(self) -> dict[str, Any]:
        """JSON-able description for `seebench plugins --json`."""
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "version": self.version,
            "tags": list(self.tags),
            "uses": list(self.uses) if self.uses is not None else list(AXES),
            "params": [
                {"name": p.name, "default": p.default, "help": p.help,
                 **({"choices": list(p.choices)} if p.choices else {})}
                for p in self.params
            ],
            "metadata": dict(self.metadata),
        }
