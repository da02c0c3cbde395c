"""Plugin discovery through the `seebench` entry-point group, allow/block lists, the registry."""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import os
import sys
import types
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
    "executor": "seebench_register_executors",
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


def _module_name(obj: object) -> str | None:
    """The name a worker process imports to get `obj` again: a module's name in sys.modules (a script run as
    __main__ counts under another name it is known by, e.g. `sys.modules['my_plugin'] = sys.modules[__name__]`);
    None for anything else (a class, an instance, a module made with types.ModuleType)."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, types.ModuleType):
        return None
    spec = getattr(obj, "__spec__", None)
    name = spec.name if spec is not None else obj.__name__
    if name != "__main__" and sys.modules.get(name) is obj:
        return name
    return next((key for key, mod in list(sys.modules.items()) if mod is obj and key not in ("__main__", "__mp_main__")),
                None)


@dataclass(frozen=True)
class RegistrySpec:
    """How to build a registry again in another process (a Ray worker, a DDP rank, an export worker): picklable,
    the environment's allow/block lists already read, in-process plugins as importable module names."""

    allow: tuple[str, ...] = ()  # entry-point or distribution names; empty: every plugin
    block: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()  # (plugin name, importable module name), registered in-process

    @classmethod
    def create(cls, allow: Iterable[str] | None = None, block: Iterable[str] = (),
               extra: Iterable[tuple[str, str]] = ()) -> "RegistrySpec":
        """`allow` None reads $SEEBENCH_PLUGINS; `block` is joined by $SEEBENCH_DISABLE_PLUGINS, now, once."""
        allow_set = set(allow) if allow is not None else set(_split_env(os.environ.get(ENV_ALLOW)))
        block_set = set(block) | set(_split_env(os.environ.get(ENV_BLOCK)))
        return cls(tuple(sorted(allow_set)), tuple(sorted(block_set)), tuple((n, m) for n, m in extra))

    def load(self) -> "Registry":
        """The registry this describes; the environment of the calling process is not read again."""
        extra = []
        for name, module in self.extra:
            try:
                extra.append((name, importlib.import_module(module)))
            except ImportError as exc:
                raise PluginError(f"in-process plugin '{name}': module '{module}' cannot be imported in this process "
                                  f"({type(exc).__name__}: {exc}); install it or put its folder on PYTHONPATH") from exc
        return _build(self, extra)


class Registry:
    """Every component of every loaded plugin, by kind and name."""

    def __init__(self, pm: pluggy.PluginManager, plugins: list[PluginInfo], recipe: RegistrySpec | None = None,
                 not_importable: Iterable[str] = ()):
        self.pm = pm
        self.plugins = plugins
        self.components: dict[str, dict[str, Component]] = {k: {} for k in KINDS}
        self.warnings: list[str] = []
        self._recipe = recipe
        self._not_importable = list(not_importable)  # in-process plugins a worker could not import by name

    def spec(self) -> RegistrySpec:
        """What a worker process needs to build this same registry (RegistrySpec.load)."""
        if self._not_importable:
            name = self._not_importable[0]
            raise PluginError(f"in-process plugin '{name}' is not an importable module, so a worker process cannot "
                              f"load it; register a module that is in sys.modules under its name (or pass the name)")
        if self._recipe is None:
            raise PluginError("this registry was not built by load_registry, so it has no RegistrySpec")
        return self._recipe

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
    directly, for embedding seebench in another program (a module, or its importable name).
    `registry.spec()` describes the result for worker processes.
    """
    extra = [(name, importlib.import_module(obj) if isinstance(obj, str) else obj) for name, obj in extra]
    names = [(name, _module_name(obj)) for name, obj in extra]
    recipe = RegistrySpec.create(allow, block, [(n, m) for n, m in names if m is not None])
    return _build(recipe, extra, not_importable=[n for n, m in names if m is None])


def _build(recipe: RegistrySpec, extra: list[tuple[str, object]], not_importable: Iterable[str] = ()) -> Registry:
    """The registry of `recipe`, with `extra`'s objects (already imported) registered in-process."""
    allow_set, block_set = set(recipe.allow), set(recipe.block)
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

    registry = Registry(pm, infos, recipe, not_importable)
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
