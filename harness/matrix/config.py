"""Matrix files: TOML (preset or path) -> overrides -> cross product of axes -> cells."""

from __future__ import annotations

import copy
import itertools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from seebench.api.budget import Budget
from seebench.matrix.cell import Cell, ComponentRef
from seebench.api.components import AXES, ENCODER, EVALUATOR, OBJECTIVE, SOURCE, Component
from seebench.api.errors import ConfigError
from seebench.executors.select import executor_component, executor_options
from seebench.matrix.specs import parse_component_spec, parse_value

AXIS_KEYS = {"data": None, "encoders": ENCODER, "objectives": OBJECTIVE, "evaluators": EVALUATOR}
# plus the options (Params) of the registered executors, such as threads or cpus_per_cell (harness/executors/select.py)
MATRIX_KEYS = set(AXIS_KEYS) | {"name", "description", "seeds", "budgets", "executor"}
TOP_KEYS = {"matrix", "params", "vars", "exclude", "include"}
MATCH_KEYS = {"data", "encoder", "objective", "evaluator", "seed", "budget"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def preset_names() -> list[str]:
    return sorted(p.name[:-5] for p in resources.files("seebench.matrix.presets").iterdir() if p.name.endswith(".toml"))


def read_matrix_text(spec: str) -> tuple[str, str]:
    """(TOML text, where it came from) for a file path or a preset name."""
    path = Path(spec)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(f"{spec}: no such matrix file; presets are {', '.join(preset_names())}")
        return path.read_text(encoding="utf-8"), str(path)
    preset = resources.files("seebench.matrix.presets") / f"{spec}.toml"
    if not preset.is_file():
        raise ConfigError(f"'{spec}' is neither a matrix file nor a preset; presets are {', '.join(preset_names())}")
    return preset.read_text(encoding="utf-8"), f"preset {spec}"


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise ConfigError(f"{where}: invalid TOML: {exc}; fix that line") from None


def apply_overrides(config: dict[str, Any], overrides: list[str], where: str) -> dict[str, Any]:
    """`--set KEY=VALUE`: a [vars] name sets that variable, a dotted key sets that entry."""
    config = copy.deepcopy(config)
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set matrix.seeds=[0,1]")
        value = parse_value(raw.strip())
        if "." not in key:
            if key not in config.get("vars", {}):
                known = ", ".join(config.get("vars", {})) or "none"
                raise ConfigError(f"--set {key}: {where} has no variable '{key}' (its [vars]: {known}); "
                                  f"use a dotted key such as matrix.seeds for other entries")
            config["vars"][key] = value
            continue
        node = config
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: '{part}' is not a table in {where}")
        node[parts[-1]] = value
    return config


def substitute(value: Any, variables: Mapping[str, Any], where: str) -> Any:
    """Replace ${name} in every string; a string that is exactly ${name} takes the value's type."""
    if isinstance(value, dict):
        return {k: substitute(v, variables, where) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables, where) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(name: str) -> Any:
        if name not in variables:
            raise ConfigError(f"{where}: ${{{name}}} is used but [vars] does not define '{name}'")
        return variables[name]

    whole = _VAR.fullmatch(value)
    if whole:
        return lookup(whole.group(1))
    return _VAR.sub(lambda m: str(lookup(m.group(1))), value)


@dataclass
class AxisEntry:
    """One value of an axis: the component, its resolved params, the label it is shown with."""

    component: Component
    ref: ComponentRef

    @property
    def label(self) -> str:
        return self.ref.label


@dataclass
class Matrix:
    name: str
    description: str
    origin: str
    cells: list[Cell]
    config: dict[str, Any] = field(default_factory=dict)


def _provenance(comp: Component) -> str:
    """Which plugin (and its distribution's release) provided `comp`: recorded in results, never in a key."""
    return f"{comp.plugin}=={comp.plugin_version}"


def component_ref(registry: Any, kind: str | None, spec: str, params: Mapping[str, Any] | None = None,
                  where: str = "component", label: str | None = None) -> ComponentRef:
    """`NAME[:k=v,...]` (plus `params`) -> the ComponentRef a matrix makes of it: resolved parameters
    and the same version, so a plugin building a nested cell gets the key a matrix cell of the
    same components has. `kind` None means pretraining data (a generator or a source)."""
    name, spec_params = parse_component_spec(spec, where)
    comp = registry.get_data(name, where) if kind is None else registry.get(kind, name, where)
    _, resolved = registry.resolve(comp.kind, name, {**spec_params, **dict(params or {})}, where)
    return ComponentRef(comp.kind, name, resolved, label or name, comp.version, _provenance(comp))


def _axis_entry(raw: Any, kind: str | None, registry: Any, defaults: Mapping[str, Any], where: str) -> AxisEntry:
    if isinstance(raw, str):
        name, params = parse_component_spec(raw, where)
        label = name
    elif isinstance(raw, dict):
        raw = dict(raw)
        if "name" not in raw:
            raise ConfigError(f"{where}: an inline table needs a 'name' key, got {sorted(raw)}")
        name = raw.pop("name")
        label = raw.pop("label", None)
        name, spec_params = parse_component_spec(name, where)
        params = {**spec_params, **raw}
        label = label or name
    else:
        raise ConfigError(f"{where}: expected a component name or inline table, got {raw!r}")
    comp = registry.get_data(name, where) if kind is None else registry.get(kind, name, where)
    # [params."timm:*"] applies to every member of a wildcard family, [params."timm:x"] to one.
    merged = {**dict(defaults.get(comp.name, {})), **dict(defaults.get(name, {})), **params}
    _, resolved = registry.resolve(comp.kind, name, merged, where)
    ref = ComponentRef(comp.kind, name, resolved, label, comp.version, _provenance(comp))
    return AxisEntry(comp, ref)


def _entries(matrix: Mapping[str, Any], key: str, registry: Any, defaults: Mapping[str, Any], where: str) -> list[AxisEntry]:
    raw = matrix.get(key)
    if raw is None:
        raise ConfigError(f"{where}: [matrix] needs '{key}' (a list of component names)")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: [matrix] {key} must be a non-empty list")
    out = [_axis_entry(r, AXIS_KEYS[key], registry, defaults, f"{where}: [matrix] {key}") for r in raw]
    labels = [e.label for e in out]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise ConfigError(f"{where}: [matrix] {key} has two entries labelled {dupes[0]!r}; give each a distinct label")
    return out


def _budgets(matrix: Mapping[str, Any], where: str) -> list[Budget]:
    raw = matrix.get("budgets", [{}])
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: [matrix] budgets must be a list of tables")
    budgets = [Budget.from_dict(b, f"{where}: [matrix] budgets[{i}]") for i, b in enumerate(raw)]
    names = [b.name for b in budgets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: [matrix] budgets need distinct names, got {names}")
    return budgets


def _seeds(matrix: Mapping[str, Any], where: str) -> list[int]:
    seeds = matrix.get("seeds", [0])
    if isinstance(seeds, int):
        seeds = [seeds]
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(f"{where}: [matrix] seeds must be a list of integers, got {seeds!r}")
    return seeds


def _uses(comp: Component | None) -> tuple[str, ...]:
    if comp is None:
        return ()
    return AXES if comp.uses is None else tuple(comp.uses)


def make_cell(data: AxisEntry, encoder: AxisEntry, objective: AxisEntry, evaluator: AxisEntry,
              seed: int, budget: Budget) -> Cell:
    """Drop the axes the components do not use and place the cell on a leaderboard row."""
    ev_uses = _uses(evaluator.component)
    keep_encoder = "encoder" in ev_uses
    encoder_trainable = "objective" in _uses(encoder.component)
    keep_objective = keep_encoder and "objective" in ev_uses and encoder_trainable
    trains_on_data = keep_objective and "data" in _uses(objective.component)
    direct_data = "data" in ev_uses and "objective" not in ev_uses
    keep_data = trains_on_data or direct_data

    if keep_data:
        meta = data.component.metadata
        row = data.label
        role = meta.get("role", "real" if data.component.kind == SOURCE else "synthetic")
    elif keep_encoder and not encoder_trainable:
        meta = encoder.component.metadata
        row = meta.get("baseline_label", encoder.label)
        role = meta.get("role", "baseline")
    elif keep_objective:
        meta = objective.component.metadata
        row = meta.get("baseline_label", objective.label)
        role = meta.get("role", "random-init")
    else:
        row, role = evaluator.label, "baseline"
    return Cell(
        evaluator=evaluator.ref,
        data=data.ref if keep_data else None,
        encoder=encoder.ref if keep_encoder else None,
        objective=objective.ref if keep_objective else None,
        seed=seed,
        budget=budget,
        row=row,
        role=role,
    )


def _matches(rule: Mapping[str, Any], combo: Mapping[str, Any], where: str) -> bool:
    unknown = set(rule) - MATCH_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(MATCH_KEYS)}")
    for key, want in rule.items():
        have = combo[key]
        wants = want if isinstance(want, list) else [want]
        if have not in wants:
            return False
    return True


def build_matrix(config: dict[str, Any], registry: Any, origin: str) -> Matrix:
    """Expand a parsed matrix config into cells (deduplicated by content key, order kept)."""
    unknown = set(config) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level table(s) {sorted(unknown)}; allowed: {sorted(TOP_KEYS)}")
    config = substitute({k: v for k, v in config.items() if k != "vars"}, config.get("vars", {}), origin)
    matrix = config.get("matrix")
    if not isinstance(matrix, dict):
        raise ConfigError(f"{origin}: needs a [matrix] table (see docs/matrix-format.md)")
    allowed = MATRIX_KEYS | set(executor_options(registry))
    bad = set(matrix) - allowed
    if bad:
        raise ConfigError(f"{origin}: unknown key(s) in [matrix]: {sorted(bad)}; allowed: {sorted(allowed)}")
    if "executor" in matrix:
        executor_component(registry, matrix["executor"], f"{origin}: [matrix] executor")
    defaults = config.get("params", {})
    if not isinstance(defaults, dict) or not all(isinstance(v, dict) for v in defaults.values()):
        raise ConfigError(f"{origin}: [params.NAME] tables must hold parameter = value pairs")
    axes = {key: _entries(matrix, key, registry, defaults, origin) for key in AXIS_KEYS}
    seeds, budgets = _seeds(matrix, origin), _budgets(matrix, origin)
    excludes = config.get("exclude", [])
    includes = config.get("include", [])

    cells: dict[str, Cell] = {}
    for d, e, o, v, s, b in itertools.product(axes["data"], axes["encoders"], axes["objectives"],
                                              axes["evaluators"], seeds, budgets):
        combo = {"data": d.label, "encoder": e.label, "objective": o.label, "evaluator": v.label,
                 "seed": s, "budget": b.name}
        if any(_matches(rule, combo, f"{origin}: [[exclude]]") for rule in excludes):
            continue
        cell = make_cell(d, e, o, v, s, b)
        cells.setdefault(cell.key, cell)

    by_label = {key: {x.label: x for x in entries} for key, entries in axes.items()}
    for i, rule in enumerate(includes):
        where = f"{origin}: [[include]] #{i + 1}"
        _matches(rule, {k: None for k in MATCH_KEYS}, where)  # validates the keys

        def pick(axis: str, key: str) -> AxisEntry:
            entries = axes[axis]
            if key not in rule:
                if len(entries) == 1:
                    return entries[0]
                raise ConfigError(f"{where}: needs '{key}' (the axis has {len(entries)} values)")
            value = rule[key]
            if isinstance(value, str) and value in by_label[axis]:
                return by_label[axis][value]
            return _axis_entry(value, AXIS_KEYS[axis], registry, defaults, f"{where} {key}")

        seed = rule.get("seed", seeds[0])
        budget_name = rule.get("budget", budgets[0].name)
        budget = next((b for b in budgets if b.name == budget_name), None)
        if budget is None:
            raise ConfigError(f"{where}: budget '{budget_name}' is not in [matrix] budgets {[b.name for b in budgets]}")
        cell = make_cell(pick("data", "data"), pick("encoders", "encoder"), pick("objectives", "objective"),
                         pick("evaluators", "evaluator"), int(seed), budget)
        cells.setdefault(cell.key, cell)
    if not cells:
        raise ConfigError(f"{origin}: the matrix has no cells left after [[exclude]]")
    return Matrix(matrix.get("name", origin), matrix.get("description", ""), origin, list(cells.values()), config)


def load_matrix(spec: str, registry: Any, overrides: list[str] | None = None) -> Matrix:
    text, origin = read_matrix_text(spec)
    config = parse_toml(text, origin)
    config = apply_overrides(config, overrides or [], origin)
    return build_matrix(config, registry, origin)
