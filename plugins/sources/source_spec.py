"""Resolving a source named by a spec string ("photos:path=DIR,camera=iPod touch 4") plus overrides."""

from __future__ import annotations

from typing import Any, Mapping

from seebench import SOURCE, ConfigError
from seebench.matrix.specs import parse_component_spec


def resolve_source(ctx: Any, spec: str, extra: Mapping[str, Any] | None = None,
                   **overrides: Any) -> tuple[str, dict[str, Any]]:
    """(name, params) of a source: the spec's parameters, then `extra`, then `overrides` for the
    parameters the source declares (e.g. mode/size for camera sources; ignored by others).

    Values that came out of the spec as numbers are turned back into text where the source's
    parameter is text (photos:path=2024 is a folder called "2024")."""
    if not spec:
        raise ConfigError("camera track: no source given; pass source=camera-sim or source=photos:path=DIR")
    name, params = parse_component_spec(spec, "source")
    params.update(dict(extra or {}))
    comp = ctx.registry.get(SOURCE, name, where=f"source spec {spec!r}")
    declared = {p.name: p for p in comp.params}
    for key, value in overrides.items():
        if key in declared and value is not None:
            params[key] = value
    for key, value in list(params.items()):
        p = declared.get(key)
        if p is not None and p.value_type is str and not isinstance(value, str):
            params[key] = str(value)
    return name, params


def other_device_params(name: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The negative control's source: for camera-sim, the same simulation with another device seed."""
    if name != "camera-sim":
        return None
    out = dict(params)
    out["device"] = int(out.get("device", 0)) + 1
    return name, out
