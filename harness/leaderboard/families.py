"""Which group of the paper's figure a leaderboard row belongs to (dead leaves, statistical, StyleGAN, FractalDB, ...)."""

from __future__ import annotations

from typing import Any

# the paper's figure groups, in its order; tag (a component's `tags`) -> group shown in the legend
GROUP_OF_TAG = {"dead-leaves": "dead leaves", "statistical": "statistical", "stylegan": "StyleGAN",
                "fractal": "FractalDB", "feature-visualisation": "feature visualisations"}
# when the component is not installed here: the family by its name's start
GROUP_OF_PREFIX = (("dead-leaves", "dead leaves"), ("spectrum", "statistical"), ("wmm", "statistical"),
                   ("stat-", "statistical"), ("stylegan", "StyleGAN"), ("fractal", "FractalDB"),
                   ("featvis", "feature visualisations"), ("feature-vis", "feature visualisations"))
BASELINES = "baselines / real"
OTHER = "other"
GROUP_COLOUR = {"dead leaves": "#d62728", "statistical": "#1f77b4", "StyleGAN": "#9467bd", "FractalDB": "#8c564b",
                "feature visualisations": "#e377c2", BASELINES: "#7f7f7f", OTHER: "#bcbd22"}


def _registry() -> Any | None:
    try:
        from seebench.plugins.manager import load_registry

        return load_registry()
    except Exception:  # no plugins here (or a broken one): the name prefix decides
        return None


def family_group(role: str, ref: tuple[str, str] | None, registry: Any | None = None) -> str:
    """The figure group of a row: baselines and real data together; else by the data component's tags
    (via `registry` when it has the component), else by its name's prefix."""
    if role in ("real", "random-init", "baseline"):
        return BASELINES
    kind, name = ref or ("", "")
    try:
        component = registry.find(kind, name) if registry is not None and kind and name else None
    except KeyError:  # a kind this registry does not know
        component = None
    for tag in getattr(component, "tags", ()) or ():
        if tag in GROUP_OF_TAG:
            return GROUP_OF_TAG[tag]
    if name == "white-noise" or "noise" in getattr(component, "tags", ()):
        return BASELINES  # structure-free: the baseline every family must beat
    for prefix, group in GROUP_OF_PREFIX:
        if name.startswith(prefix):
            return group
    return OTHER


def row_groups(board: Any, registry: Any | None = None, load: bool = True) -> dict[tuple, str]:
    """{row key: figure group} for every row of a leaderboard."""
    registry = registry if registry is not None or not load else _registry()
    return {k: family_group(board.roles[k], board.data_refs.get(k[0]) or ("", k[0]), registry) for k in board.rows()}
