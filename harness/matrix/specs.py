"""Component spec strings: "name", "timm:resnet50", "photos:path=/data/cup,camera=iPod touch 4"."""

from __future__ import annotations

import tomllib
from typing import Any

from seebench.api.errors import ConfigError


def parse_value(text: str) -> Any:
    """A TOML value when `text` parses as one (3, 0.5, true, [0, 1], "x"), else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_component_spec(text: str, where: str = "") -> tuple[str, dict[str, Any]]:
    """Split a spec on ':'; segments holding '=' are comma-separated parameters, the rest the name."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where or 'component'}: expected a component name, got {text!r}")
    name_parts: list[str] = []
    params: dict[str, Any] = {}
    for segment in text.split(":"):
        if "=" not in segment:
            if params:
                raise ConfigError(f"{where or text}: name part {segment!r} after parameters in {text!r}")
            name_parts.append(segment.strip())
            continue
        for item in segment.split(","):
            if not item.strip():
                continue
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"{where or text}: parameter {item!r} in {text!r} must look like key=value")
            params[key.strip()] = parse_value(value.strip())
    name = ":".join(name_parts)
    if not name:
        raise ConfigError(f"{where or text}: no component name in {text!r}")
    return name, params
