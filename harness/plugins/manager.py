"""Plugin discovery through the `seebench` entry-point group, allow/block lists, the registry."""

from __future__ import annotations

import difflib
import importlib.metadata as md
import os
from dataclasses import dataclass, field
from typing import Any, Iterable

import pluggy

from seebench.api import hookspecs
from seebench.api.components import GENERATOR, KINDS, SOURCE, Component
from seebench.api.errors import PluginError, UnknownComponentError

ENTRY_POINT_GROUP = "seebench"
ENV_ALLOW = "SEEBENCH_PLUGINS"
ENV_BLOCK = "SEEBENCH_DISABLE_PLUGINS"
HOST_DISTRIBUTION = "seebench"

REGISTRATION_HOOKS = {
    "source": "seebench_register_sources",
    "generator": "seebench_register_generators",
    "encoder": "seebench_register_encoders",
    "objective": "seebench_register_objectives",
    "evaluator": "seebench_register_evaluators",
}


@dataclass
class PluginInfo:
    """One entry point of the `seebench` group and what became of it."""

    name: str
    value: str
    distribution: str
    version: str
    origin: str
    status: str = "loaded"  # loaded | failed | disabled | not-allowed
    error: str = ""
    components: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _split_env(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _distribution_of(ep: md.EntryPoint) -> tuple[str, str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ("unknown", "", "unknown")
    name = dist.metadata["Name"] or "unknown"
    version = dist.version or ""
    if name.lower() == HOST_DISTRIBUTION:
        origin = "built-in"
    else:
        location = ""
        try:
            location = str(dist.locate_file(""))
        except Exception:  # pragma: no cover - exotic distributions
            pass
        origin = f"pip distribution {name}" + (f" in {location}" if location else "")
    return (name, version, origin)


class Registry:
    """Every component of every loaded plugin, by kind and name."""

    def __init__(self, pm: pluggy.PluginManager, plugins: list[PluginInfo]):
        self.pm = pm
        self.plugins = plugins
        self.components: dict[str, dict[str, Component]] = {k: {} for k in KINDS}
        self.warnings: list[str] = []

    # -- lookup ------------------------------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        return sorted(self.components[kind])

    def find(self, kind: str, name: str) -> Component | None:
        """Exact name, else a wildcard family: 'timm:resnet34' matches a component 'timm:*'."""
        comps = self.components[kind]
        if name in comps:
            return comps[name]
        prefix, sep, variant = name.partition(":")
        if sep and variant and f"{prefix}:*" in comps:
            return comps[f"{prefix}:*"]
        return None

    def get(self, kind: str, name: str, where: str = "") -> Component:
        comp = self.find(kind, name)
        if comp is None:
            raise UnknownComponentError(self._unknown(kind, [kind], name, where))
        return comp

    def resolve(self, kind: str | None, name: str, params: dict | None = None, where: str = "") -> tuple[Component, dict]:
        """Component and validated parameters for `name` (kind None: a source or generator).
        A wildcard family gets the name's variant as its `variant` parameter."""
        comp = self.get_data(name, where) if kind is None else self.get(kind, name, where)
        given = dict(params or {})
        if comp.name.endswith(":*"):
            given.setdefault("variant", name.partition(":")[2])
        return comp, comp.resolve_params(given, where)

    def get_data(self, name: str, where: str = "") -> Component:
        """A source or generator: both can be pretraining data."""
        for kind in (GENERATOR, SOURCE):
            comp = self.find(kind, name)
            if comp is not None:
                return comp
        raise UnknownComponentError(self._unknown("generator or source", [GENERATOR, SOURCE], name, where))

    def _unknown(self, what: str, kinds: list[str], name: str, where: str) -> str:
        pool = sorted({n for k in kinds for n in self.components[k]})
        hint = difflib.get_close_matches(name, pool, n=3, cutoff=0.5)
        prefix = f"{where}: " if where else ""
        tip = f"did you mean {', '.join(repr(h) for h in hint)}? " if hint else ""
        return f"{prefix}unknown {what} '{name}'; {tip}(`seebench plugins` lists all {len(pool)})"

    def all_components(self) -> Iterable[Component]:
        for kind in KINDS:
            yield from (self.components[kind][n] for n in sorted(self.components[kind]))

    # -- lifecycle hooks ---------------------------------------------------------------------
    def notify(self, hook: str, **kwargs: Any) -> list[str]:
        """Call a lifecycle hook on every plugin; a plugin that raises is reported, not fatal."""
        problems = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception as exc:  # a broken plugin must not lose finished work
                problems.append(
                    f"plugin '{impl.plugin_name}' raised in {hook}: {type(exc).__name__}: {exc} "
                    f"(disable it with --disable-plugin {impl.plugin_name})"
                )
        self.warnings.extend(problems)
        return problems


def _new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def load_registry(
    allow: Iterable[str] | None = None,
    block: Iterable[str] = (),
    extra: Iterable[tuple[str, object]] = (),
) -> Registry:
    """Discover plugins, register their components and return the registry.

    `allow` (default: $SEEBENCH_PLUGINS) keeps only the named entry points or distributions;
    `block` (plus $SEEBENCH_DISABLE_PLUGINS) drops them; `extra` registers (name, module) pairs
    directly, for embedding seebench in another program.
    """
    allow_set = set(allow) if allow is not None else set(_split_env(os.environ.get(ENV_ALLOW)))
    block_set = set(block) | set(_split_env(os.environ.get(ENV_BLOCK)))
    pm = _new_manager()
    infos: list[PluginInfo] = []
    warnings: list[str] = []

    eps = sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    seen_names: dict[str, PluginInfo] = {}
    for ep in eps:
        dist, version, origin = _distribution_of(ep)
        info = PluginInfo(ep.name, ep.value, dist, version, origin)
        if ep.name in seen_names:
            other = seen_names[ep.name]
            if other.distribution == dist:  # the same distribution seen twice on sys.path
                continue
            raise PluginError(
                f"two plugins share the entry-point name '{ep.name}': {other.value} from "
                f"{other.distribution} and {ep.value} from {dist}; uninstall one of them"
            )
        seen_names[ep.name] = info
        infos.append(info)
        if allow_set and ep.name not in allow_set and dist not in allow_set:
            info.status = "not-allowed"
            continue
        if ep.name in block_set or dist in block_set:
            info.status = "disabled"
            continue
        try:
            obj = ep.load()
            pm.register(obj, name=ep.name)
        except Exception as exc:
            info.status = "failed"
            info.error = f"{type(exc).__name__}: {exc}"
            warnings.append(
                f"plugin entry point '{ep.name} = {ep.value}' from distribution {dist} {version} "
                f"failed to load ({info.error}); the other plugins still work. Fix or uninstall "
                f"{dist}, or disable it with --disable-plugin {ep.name}"
            )
    for name, obj in extra:
        pm.register(obj, name=name)
        infos.append(PluginInfo(name, getattr(obj, "__name__", repr(obj)), "(in-process)", "", "registered in-process"))

    registry = Registry(pm, infos)
    registry.warnings.extend(warnings)
    info_by_name = {i.name: i for i in infos}
    for kind, hook in REGISTRATION_HOOKS.items():
        for impl in getattr(pm.hook, hook).get_hookimpls():
            plugin = info_by_name.get(impl.plugin_name)
            try:
                returned = impl.function() or []
                comps = list(returned)
                for comp in comps:
                    if not isinstance(comp, Component) or comp.kind != kind:
                        raise TypeError(f"{hook} must return Component objects of kind '{kind}', got {comp!r}")
            except Exception as exc:
                registry.warnings.append(
                    f"plugin '{impl.plugin_name}' raised in {hook}: {type(exc).__name__}: {exc}; "
                    f"its {kind}s are not available (disable it with --disable-plugin {impl.plugin_name})"
                )
                continue
            for comp in comps:
                comp.plugin = impl.plugin_name
                comp.plugin_version = plugin.version if plugin else ""
                existing = registry.components[kind].get(comp.name)
                if existing is not None:
                    raise PluginError(
                        f"{kind} '{comp.name}' is registered by two plugins: '{existing.plugin}' and "
                        f"'{comp.plugin}'; disable one with --disable-plugin NAME or SEEBENCH_DISABLE_PLUGINS"
                    )
                registry.components[kind][comp.name] = comp
                if plugin:
                    plugin.components.append(f"{kind}:{comp.name}")
    return registry
