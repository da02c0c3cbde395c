"""Parameter defaults written once: a factory's keyword defaults are taken from its component's `Param`s."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, TypeVar

from seebench.api.components import Param

T = TypeVar("T")


def _function_of(target: Any) -> Callable[..., Any]:
    return target.__init__ if isinstance(target, type) else target


def param_defaults(params: Iterable[Param]) -> Callable[[T], T]:
    """Class or function decorator: every keyword-only argument named by a `Param` gets that Param's default,
    so the default is written once (in the Param) and the factory still builds with no arguments.

        PARAMS = (Param("k", 20, "neighbours"),)

        @param_defaults(PARAMS)
        class KNN:
            def __init__(self, *, k: int): ...

    An argument named by a Param must be keyword-only and carry no default of its own (TypeError otherwise)."""
    by_name = {p.name: p for p in params}

    def apply(target: T) -> T:
        func = _function_of(target)
        where = getattr(target, "__qualname__", repr(target))
        written = dict(func.__kwdefaults__ or {})
        for arg in inspect.signature(func).parameters.values():
            if arg.name not in by_name:
                continue
            if arg.kind is not arg.KEYWORD_ONLY:
                raise TypeError(f"{where}: argument {arg.name!r} has a Param, so make it keyword-only (after `*`)")
            if arg.name in written:
                raise TypeError(f"{where}: argument {arg.name!r} writes its default twice (in the signature and in "
                                f"its Param); drop the one in the signature")
            written[arg.name] = by_name[arg.name].default
        func.__kwdefaults__ = written
        func.__param_defaults__ = frozenset(by_name)  # read by tests: these defaults come from Params
        return target

    return apply
