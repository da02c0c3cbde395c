"""`seebench curves RUN_DIR [--out curves.png]`: draw the training curves the results of runs carry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def cmd_curves(args: argparse.Namespace, registry: Any = None) -> int:
    from seebench.leaderboard.curves_chart import render_curves
    from seebench.api.errors import ConfigError
    from seebench.results.store import load_results

    dirs = [Path(d) for d in args.dirs]
    for d in dirs:
        if not d.is_dir():
            raise ConfigError(f"{d}: no such run directory (give the --out folder of `seebench run`)")
    loaded = load_results(dirs)
    for problem in loaded.problems:
        print(f"seebench: skipped {problem}", file=sys.stderr)
    out = Path(args.out) if args.out else dirs[0] / "curves.png"
    if render_curves(loaded.results, out) is None:
        print(f"seebench: no training curves in {', '.join(map(str, dirs))} (results of cells that pretrain or fit "
              f"a GAN carry them; results written before curves were recorded do not)", file=sys.stderr)
        return 2
    print(f"seebench: curves written to {out}", file=sys.stderr)
    return 0


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "curves", formatter_class=argparse.RawDescriptionHelpFormatter, help="draw the training curves of runs",
        description="One panel per recorded curve (pretrain/loss, dcgan/loss_g, ...), one line per row (the mean "
                    "over its seeds), from the results of one or more run directories.",
        epilog="examples:\n  seebench curves seebench-runs/quick\n  seebench curves runs/a runs/b --out curves.png")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="run directories or folders of result JSONs")
    p.add_argument("--out", metavar="PNG", help="image to write (default: DIR/curves.png of the first DIR)")
    p.set_defaults(func=cmd_curves)
