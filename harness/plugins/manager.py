"""Plugin discovery through the `seebench` entry-point group, allow/block lists, the registry."""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

import pluggy

from seebench.api import hookspecs
from seebench.api.components import GENERATOR, KINDS, SOURCE, Component
from seebench.api.errors import PluginError, UnknownComponentError

ENTRY_POINT_GROUP = "seebench"
ENV_ALLOW = "SEEBENCH_PLUGINS"
ENV_BLOCK = "SEEBENCH_DISABLE_PLUGINS"
HOST_DISTRIBUTION = "seebench"

OLD_NAME = ("imports `harness`; seebench's API is now imported as `seebench`: write "
            "`from seebench import hookimpl, ...`")

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
    aliases = (key for key, mod in list(sys.modules.items()) if mod is obj and key not in ("__main__", "__mp_main__"))
    return next(aliases, None)


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
        problems = [  # a broken plugin must not lose finished work
            f"plugin '{name}' raised in {hook}: {type(exc).__name__}: {exc} (disable it with --disable-plugin {name})"
            for name, _, exc in call_each(self.pm, hook, kwargs) if exc is not None
        ]
        self.warnings.extend(problems)
        return problems


def call_each(pm: pluggy.PluginManager, hook: str, kwargs: dict[str, Any], skip: Iterable[str] = ()
              ) -> Iterator[tuple[str, list, Exception | None]]:
    """Call `hook` through pluggy once per implementing plugin, in registration order, yielding (plugin name,
    its results, its exception or None): one plugin's exception never keeps another from being called.

    Each call is `pm.subset_hook_caller` with the other plugins' implementations left out, so hook wrappers
    (`hookwrapper=True` / `wrapper=True`, which stay in every subset) wrap each plugin's call and see its
    exception, and `pm.add_hookcall_monitoring` / `pm.enable_tracing` see every call. A hook only wrappers
    implement is called once, so they still see it. Plugins named in `skip` are not called."""
    caller = getattr(pm.hook, hook, None)
    if caller is None:  # no spec and no implementation of that name
        return
    impls = caller.get_hookimpls()
    plain = [impl for impl in impls if not (impl.wrapper or impl.hookwrapper)]
    skipped = set(skip)
    if not plain and impls:
        try:
            yield impls[0].plugin_name, caller(**kwargs), None
        except Exception as exc:  # noqa: BLE001 - reported by the caller, never fatal
            yield impls[0].plugin_name, [], exc
        return
    others = {impl.plugin for impl in plain}
    for impl in plain:
        if impl.plugin_name in skipped:
            continue
        one = pm.subset_hook_caller(hook, remove_plugins=others - {impl.plugin})
        try:
            results = one(**kwargs)
        except Exception as exc:  # noqa: BLE001 - reported by the caller, never fatal
            yield impl.plugin_name, [], exc
        else:
            yield impl.plugin_name, results, None


def _imports_old_name(exc: BaseException) -> bool:
    """Whether loading a plugin failed on `import harness`, seebench's import name before issue 15: the module is
    absent, or its folder is on sys.path and its guard raised (a frame of a module named `harness`)."""
    if not isinstance(exc, ImportError):
        return False
    if isinstance(exc, ModuleNotFoundError) and (exc.name == "harness" or (exc.name or "").startswith("harness.")):
        return True
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") == "harness":
            return True
        tb = tb.tb_next
    return False


def _drop_unknown_hooks(pm: pluggy.PluginManager, info_by_name: dict[str, PluginInfo]) -> list[str]:
    """`pm.check_pending()`, a plugin at a time: a plugin implementing a hook no spec declares (a misspelt name
    such as seebench_register_generator) is unregistered and marked failed, naming the hook and the closest real
    one, as a plugin that fails to import is; the others still load."""
    known = sorted(name for name, caller in vars(pm.hook).items() if not name.startswith("_") and caller.has_spec())
    problems = []
    while True:
        try:
            pm.check_pending()
            return problems
        except pluggy.PluginValidationError as exc:
            plugin = exc.plugin
        name = pm.get_name(plugin) or repr(plugin)
        unknown = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [] if not caller.has_spec()
                         and any(impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls()))
        pm.unregister(plugin)
        hints = []
        for hook in unknown:
            close = difflib.get_close_matches(hook, known, n=1, cutoff=0.6)
            hints.append(f"'{hook}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        reason = f"implements unknown hook{'s' if len(hints) > 1 else ''} {', '.join(hints)}"
        info = info_by_name.get(name)
        if info is not None:
            info.status, info.error = "failed", reason
        problems.append(f"plugin '{name}' {reason}, so none of its hooks are used; fix the name (the hooks are "
                        f"listed in docs/plugin-api.md), or disable it with --disable-plugin {name}")


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
            where = f"plugin entry point '{ep.name} = {ep.value}' from distribution {dist} {version}"
            if _imports_old_name(exc):
                info.error = OLD_NAME
                warnings.append(f"{where} {OLD_NAME} (the other plugins still work; or disable it with "
                                f"--disable-plugin {ep.name})")
                continue
            info.error = " ".join(f"{type(exc).__name__}: {exc}".split())  # pluggy's messages span lines
            warnings.append(
                f"{where} failed to load ({info.error}); the other plugins still work. Fix or uninstall "
                f"{dist}, or disable it with --disable-plugin {ep.name}"
            )
    for name, obj in extra:
        pm.register(obj, name=name)
        infos.append(PluginInfo(name, getattr(obj, "__name__", repr(obj)), "(in-process)", "", "registered in-process"))
    info_by_name = {i.name: i for i in infos}
    warnings.extend(_drop_unknown_hooks(pm, info_by_name))

    registry = Registry(pm, infos, recipe, not_importable)
    registry.warnings.extend(warnings)
    for kind, hook in REGISTRATION_HOOKS.items():
        for plugin_name, results, exc in call_each(pm, hook, {}):
            plugin = info_by_name.get(plugin_name)
            try:
                if exc is not None:
                    raise exc
                comps = [comp for returned in results for comp in (returned or [])]
                for comp in comps:
                    if not isinstance(comp, Component) or comp.kind != kind:
                        raise TypeError(f"{hook} must return Component objects of kind '{kind}', got {comp!r}")
            except Exception as error:
                registry.warnings.append(
                    f"plugin '{plugin_name}' raised in {hook}: {type(error).__name__}: {error}; "
                    f"its {kind}s are not available (disable it with --disable-plugin {plugin_name})"
                )
                continue
            for comp in comps:
                comp.plugin = plugin_name
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
