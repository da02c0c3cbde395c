"""CLI verbs over any registered generator: `preview`, `gallery` and `generate` (export to disk)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from seebench.api.components import GENERATOR, Component
from seebench.api.errors import ConfigError, SeebenchError
from seebench.generate.export import ExportPlan, check_plain, default_workers, export, is_terminal
from seebench.generate.grids import image_grid, labelled_rows, save_png
from seebench.api.images import check_uint8_batch
from seebench.matrix.specs import parse_component_spec, parse_value

MAX_SIZE = 4096


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def _guard(handler: Callable[[argparse.Namespace, Any], int]) -> Callable[[argparse.Namespace, Any], int]:
    """Bad input -> one line `seebench: ...` on stderr and its exit code (2), never a traceback."""

    def call(args: argparse.Namespace, registry: Any) -> int:
        try:
            return handler(args, registry)
        except SeebenchError as exc:
            print(f"seebench: {exc}", file=sys.stderr)
            return exc.exit_code

    call.__name__ = handler.__name__
    call.__doc__ = handler.__doc__
    return call


def _positive(what: str, value: int, maximum: int | None = None) -> int:
    if value < 1 or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum else ""
        raise ConfigError(f"{what} must be at least 1{upper}, got {value}")
    return value


def resolve_generator(registry: Any, spec: str, extra: list[str] | None = None) -> tuple[Component, dict[str, Any], Any]:
    """`NAME[:k=v,...]` plus `--param k=v` -> (component, resolved params, built generator)."""
    name, params = parse_component_spec(spec)
    for item in extra or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r} must look like KEY=VALUE")
        params[key.strip()] = parse_value(value.strip())
    comp = registry.get(GENERATOR, name)
    resolved = comp.resolve_params(params)
    try:
        gen = comp.factory(**resolved)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"generator '{name}': {exc}") from None
    if callable(getattr(gen, "fit", None)):
        raise ConfigError(
            f"generator '{name}' must be fitted to a source first (it has fit()); "
            f"use it inside a matrix (`seebench run`) instead"
        )
    return comp, resolved, gen


def generate_images(gen: Any, name: str, indices: list[int], seed: int, size: int) -> torch.Tensor:
    try:
        images = gen.generate(indices, seed, size)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"generator '{name}' at size {size}: {exc}") from None
    return check_uint8_batch(images, f"generator '{name}'.generate")


# -- handlers ----------------------------------------------------------------------------------
@_guard
def cmd_preview(args: argparse.Namespace, registry: Any) -> int:
    """Write a grid of the first N images of one generator."""
    n = _positive("--n", args.n, 1024)
    size = _positive("--size", args.size, MAX_SIZE)
    if args.start < 0:
        raise ConfigError(f"--start must be >= 0, got {args.start}")
    comp, _, gen = resolve_generator(registry, args.name, args.param)
    images = generate_images(gen, comp.name, list(range(args.start, args.start + n)), args.seed, size)
    save_png(image_grid(images, ncol=args.cols), args.out)
    print(f"wrote {args.out}: {n} images of {comp.name} at {size} px, seed {args.seed}")
    return 0


def gallery_families(registry: Any, only: list[str] | None) -> list[Component]:
    if only:
        return [registry.get(GENERATOR, name) for name in only]
    comps = [registry.get(GENERATOR, name) for name in registry.names(GENERATOR)]
    return sorted(comps, key=lambda c: ((c.tags or ("~",))[0], c.name))


def load_references() -> dict:
    """The families' plain references (family -> render(index, seed, size)), from a source checkout.

    They are test code (tests/references/, the official algorithms step by step), not part of the
    installed package, so `gallery --reference` works from a clone (editable install) only.
    """
    tests = Path(__file__).resolve().parents[2] / "tests"
    if not (tests / "references" / "__init__.py").is_file():
        raise ConfigError(f"gallery --reference needs a source checkout of seebench: no {tests / 'references'} "
                          "(clone the repository and pip install -e it)")
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    from references import all_references  # noqa: PLC0415 (test code, found at run time)

    return all_references()


def reference_images(render: Any, indices: list[int], seed: int, size: int) -> torch.Tensor:
    """A reference renderer's images as the uint8 (N, 3, H, W) batch a generator returns."""
    return torch.from_numpy(np.stack([np.asarray(render(i, seed, size), dtype=np.uint8) for i in indices]))


@_guard
def cmd_gallery(args: argparse.Namespace, registry: Any) -> int:
    """One row per registered generator family, labelled on the left (the paper's dataset figure)."""
    n = _positive("--n", args.n, 64)
    size = _positive("--size", args.size, MAX_SIZE)
    only = [s.strip() for s in args.families.split(",") if s.strip()] if args.families else None
    refs = load_references() if args.reference else {}
    rows, skipped = [], []
    for comp in gallery_families(registry, only):
        t0 = time.perf_counter()
        try:
            _, _, gen = resolve_generator(registry, comp.name)
            images = generate_images(gen, comp.name, list(range(n)), args.seed, size)
        except SeebenchError as exc:
            if only:
                raise
            skipped.append(f"{comp.name} ({exc})")
            continue
        if args.reference:
            if comp.name not in refs:
                skipped.append(f"{comp.name} (no reference in tests/references/)")
                continue
            rows.append((f"{comp.name} · fast", images))
            images = reference_images(refs[comp.name], list(range(n)), args.seed, size)
            rows.append((f"{comp.name} · reference", images))
        else:
            rows.append((comp.name, images))
        if args.verbose:
            print(f"  {comp.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not rows:
        raise ConfigError("no generator could draw a row for the gallery")
    save_png(labelled_rows(rows), args.out)
    families = len(rows) // 2 if args.reference else len(rows)
    extra = " (each above its reference)" if args.reference else ""
    print(f"wrote {args.out}: {families} families x {n} images at {size} px{extra}")
    for s in skipped:
        print(f"seebench: skipped {s}", file=sys.stderr)
    return 0


class _Bar:
    """A rich progress bar on a terminal, otherwise a line every ~10%."""

    def __init__(self, what: str, enabled: bool):
        self.what, self.enabled, self.bar, self.task, self.last = what, enabled, None, None, -1

    def __enter__(self) -> "_Bar":
        if self.enabled and is_terminal():
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), transient=False)
            self.bar.__enter__()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task(self.what, total=total)
            self.bar.update(self.task, completed=done)
        elif self.enabled:
            tenth = 10 * done // max(total, 1)
            if tenth != self.last:
                self.last = tenth
                print(f"{self.what}: {done}/{total}", file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@_guard
def cmd_generate(args: argparse.Namespace, registry: Any) -> int:
    """Export N images of a generator as PNG files under OUT/<shard>/<index>.png with a manifest."""
    n = _positive("--n", args.n)
    size = _positive("--size", args.size, MAX_SIZE)
    workers = _positive("--workers", args.workers or default_workers(), 256)
    shard = _positive("--shard-size", args.shard_size)
    comp, params, gen = resolve_generator(registry, args.name, args.param)
    generate_images(gen, comp.name, [0], args.seed, size)  # fail fast on a bad size, before forking
    plan = ExportPlan(comp, check_plain(params), args.seed, n, size, Path(args.out),
                      shard_size=shard, workers=workers, registry_spec=registry.spec())
    try:
        with _Bar(f"{comp.name} -> {args.out}", not args.quiet) as bar:
            result = export(plan, gen, progress=bar)
    except KeyboardInterrupt:
        print("seebench: interrupted; every file written is whole - run the same command again to resume",
              file=sys.stderr)
        return 130
    rate = result.written / result.seconds if result.seconds > 0 else 0.0
    print(f"wrote {result.written} images ({result.skipped} already there) to {args.out} "
          f"in {result.seconds:.1f} s ({rate:.0f} img/s, {workers} workers); manifest: "
          f"{Path(args.out) / 'manifest.json'}")
    return 0 if result.complete else 1


# -- argparse ----------------------------------------------------------------------------------
def add_commands(subparsers: Any) -> None:
    """Add `preview`, `gallery` and `generate` to the `seebench` CLI."""
    p = subparsers.add_parser(
        "preview", formatter_class=_Formatter, help="grid of one generator's images",
        description="Draw the first N images of a generator (image i under seed S is always the same) "
                    "and save them as one grid PNG.",
        epilog="example:\n  seebench preview dead-leaves-shapes --n 16 --size 128 --out grid.png\n"
               "  seebench preview spectrum:alpha_min=2.0 --seed 3 --out smooth.png")
    p.add_argument("name", metavar="NAME", help="generator name, optionally NAME:param=value,...")
    p.add_argument("--n", type=int, default=16, help="number of images")
    p.add_argument("--size", type=int, default=128, help="image size in pixels")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator")
    p.add_argument("--start", type=int, default=0, help="index of the first image")
    p.add_argument("--cols", type=int, default=None, help="images per row (default: square grid)")
    p.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                   help="generator parameter; repeatable")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.set_defaults(func=cmd_preview)

    p = subparsers.add_parser(
        "gallery", formatter_class=_Formatter, help="one row per generator family",
        description="One row of images per registered generator, labelled on the left, like the "
                    "dataset figure of Learning to See by Looking at Noise.",
        epilog="example:\n  seebench gallery --out gallery.png\n"
               "  seebench gallery --families spectrum,wmm,fractaldb --n 6 --size 96 --out some.png\n"
               "  seebench gallery --reference --size 128 --out fast-vs-reference.png")
    p.add_argument("--n", type=int, default=8, help="images per row")
    p.add_argument("--size", type=int, default=96, help="image size in pixels")
    p.add_argument("--seed", type=int, default=0, help="seed of every generator")
    p.add_argument("--families", default="", metavar="A,B,...", help="only these generators, in this order")
    p.add_argument("--verbose", "-v", action="store_true", help="print the time of each row")
    p.add_argument("--reference", action="store_true",
                   help="under each family's row, the same indices from its plain reference (tests/references/, "
                        "the official algorithm step by step; needs a source checkout)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.set_defaults(func=cmd_gallery)

    p = subparsers.add_parser(
        "generate", formatter_class=_Formatter, help="export a generator's images to PNG files",
        description="Write images 0..N-1 of a generator as OUT/<shard>/<index>.png (shards of "
                    "--shard-size files) in parallel worker processes, with OUT/manifest.json "
                    "recording family, parameters, seed and seebench version. Files are written "
                    "atomically; an interrupted export resumes where it stopped when run again.",
        epilog="example:\n  seebench generate dead-leaves-squares --n 105000 --size 128 --out data/dl-squares\n"
               "  seebench generate fractaldb -p categories=100 --n 10000 --out data/fractal100")
    p.add_argument("name", metavar="NAME", help="generator name, optionally NAME:param=value,...")
    p.add_argument("--n", type=int, required=True, help="number of images")
    p.add_argument("--size", type=int, default=128, help="image size in pixels")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator")
    p.add_argument("--param", "-p", action="append", default=[], metavar="KEY=VALUE",
                   help="generator parameter; repeatable")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: CPU count)")
    p.add_argument("--shard-size", type=int, default=1000, help="files per subfolder")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_generate)
