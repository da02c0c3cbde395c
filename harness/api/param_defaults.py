"""Parameter defaults written once: a factory's keyword defaults are taken from its component's `Param`s."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, TypeVar

from seebench.api.components import Param

T = TypeVar("T")


def _function_of(target: Any) -> Callable[..., Any]:
    return target.__init__ if isinstance(target, type) else target


def param_defaults(params: Iterable[Param]) -> Callable[[T], T]:
    """Class or function decorator: every argument named by a `Param` gets that Param's default, so the default
    is written once (in the Param) and the factory still builds with no arguments.

        PARAMS = (Param("k", 20, "neighbours"),)

        @param_defaults(PARAMS)
        class KNN:
            def __init__(self, *, k: int): ...

    An argument named by a Param carries no default of its own, and is keyword-only or one of the last positional
    arguments (so that `PhotoFolder(path, *, ...)` keeps its positional path); TypeError otherwise."""
    by_name = {p.name: p for p in params}

    def apply(target: T) -> T:
        func = _function_of(target)
        where = getattr(target, "__qualname__", repr(target))
        written = dict(func.__kwdefaults__ or {})
        args = list(inspect.signature(func).parameters.values())
        positional = [a for a in args if a.kind in (a.POSITIONAL_ONLY, a.POSITIONAL_OR_KEYWORD)]
        defaults = list(func.__defaults__ or ())
        first_default = len(positional) - len(defaults)
        tail: list[Any] = []
        for i, arg in enumerate(args):
            if arg.name not in by_name:
                if tail and arg in positional:
                    raise TypeError(f"{where}: positional argument {arg.name!r} follows one with a Param; "
                                    f"make the Param arguments keyword-only (after `*`)")
                continue
            if arg.name in written or (arg in positional and positional.index(arg) >= first_default):
                raise TypeError(f"{where}: argument {arg.name!r} writes its default twice (in the signature and in "
                                f"its Param); drop the one in the signature")
            if arg.kind is arg.KEYWORD_ONLY:
                written[arg.name] = by_name[arg.name].default
            elif arg.kind is arg.POSITIONAL_OR_KEYWORD:
                tail.append(by_name[arg.name].default)
            else:
                raise TypeError(f"{where}: argument {arg.name!r} has a Param, so it must be nameable (not *args)")
        if tail:
            func.__defaults__ = tuple(tail)
        func.__kwdefaults__ = written
        func.__param_defaults__ = frozenset(by_name)  # read by tests: these defaults come from Params
        return target

    return apply
