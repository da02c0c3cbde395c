"""The `seebench` command line: run, plugins, leaderboard, publish (and the generator verbs)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from rich.console import Console

from seebench.api.errors import SeebenchError
from seebench.cli.executor_flags import add_executor_flags, build_from_args

DEFAULT_OUT = Path("seebench-runs")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--disable-plugin", action="append", default=[], metavar="NAME",
                        help="do not load this plugin (entry-point or distribution name); repeatable; "
                             "also $SEEBENCH_DISABLE_PLUGINS=a,b")
    return common


def _console() -> Console:
    """The terminal's width on a terminal; wide enough for the leaderboard when piped or logged."""
    return Console() if sys.stdout.isatty() else Console(width=int(os.environ.get("COLUMNS", 0) or 160))


def _registry(args: argparse.Namespace):
    """The registry `main` loaded before parsing (`run`: its executors' options are flags), else a new one."""
    if getattr(args, "_registry", None) is not None:
        return args._registry
    return _load_registry(args.disable_plugin)


def _load_registry(block: list[str]):
    from seebench.plugins.manager import load_registry

    registry = load_registry(block=block)
    for warning in registry.warnings:
        print(f"seebench: warning: {warning}", file=sys.stderr)
    registry.warnings.clear()
    return registry


# -- run ------------------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from seebench.leaderboard import table as leaderboard
    from seebench.leaderboard import render
    from seebench.matrix.config import load_matrix
    from seebench.run.runner import run_matrix
    from seebench.results.store import ResultStore, load_results

    registry = _registry(args)
    matrix = load_matrix(args.matrix, registry, args.set)
    run_dir = Path(args.out) if args.out else DEFAULT_OUT / matrix.name
    # the executor and its options (flags over [matrix] keys) are checked before a dry run too
    executor = build_from_args(args, registry, matrix.config["matrix"], matrix.origin)
    if args.dry_run:
        return _dry_run(matrix, registry, run_dir, args.force)
    summary = run_matrix(matrix, registry, run_dir, force=args.force, executor=executor)
    keys = {c.key for c in matrix.cells}
    loaded = load_results([run_dir])
    mine = [r for r in loaded.results if r["key"] in keys]
    boards = [(name, leaderboard.attach_artifacts(b, mine, loaded.artifact_paths))
              for name, b in leaderboard.build_all(mine)]
    render.boards_to_terminal(boards, _console(), title=f"seebench {matrix.name} — {run_dir}")
    ran = f"{summary.ran} ran, {summary.skipped} already finished"
    if summary.failed:
        print(f"seebench: {len(summary.failed)} of {summary.total} cell(s) failed ({ran}); their errors are in "
              f"{ResultStore(run_dir).folder}/<key>.json; re-run to retry them", file=sys.stderr)
    else:
        print(f"seebench: all {summary.total} cells finished ({ran}); results in {run_dir}", file=sys.stderr)
    _write_report(run_dir, boards, mine, f"seebench {matrix.name}")
    return summary.exit_code


def _write_report(run_dir: Path, boards: list, results: list, title: str) -> None:
    """leaderboard.md, chart.png, curves.png, index.html in the run folder, named on stderr; a failure here
    is one line, never a lost run (the results are stored already)."""
    from seebench.leaderboard.run_report import write_run_report

    try:
        written = write_run_report(run_dir, boards, results, title)
    except Exception as exc:  # noqa: BLE001 - drawing must not turn a finished run into an error
        print(f"seebench: warning: could not write the run's leaderboard files ({type(exc).__name__}: {exc}); "
              f"`seebench leaderboard {run_dir}` shows the table", file=sys.stderr)
        return
    for what, path in written.items():  # the run's last lines: what to open
        print(f"seebench: {what}: {path}", file=sys.stderr)


def _dry_run(matrix, registry, run_dir: Path, force: bool) -> int:
    from seebench.planning.dry_run import render

    print(render(matrix, registry, run_dir, force))
    return 0


# -- plugins --------------------------------------------------------------------------------------
def cmd_plugins(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.json:
        print(json.dumps({"plugins": [p.to_dict() for p in registry.plugins],
                          "components": [c.describe() for c in registry.all_components()]}, indent=1, default=str))
        return 0
    from rich.table import Table

    console = _console()
    table = Table(title="plugins (entry-point group 'seebench')", title_justify="left")
    for col in ("plugin", "version", "origin", "module", "status", "components"):
        table.add_column(col, overflow="fold")
    for p in registry.plugins:  # module: where a component's code is, from its name in two steps (docs/architecture.md)
        status = p.status if not p.error else f"{p.status}: {p.error}"
        table.add_row(p.name, p.version, p.origin, p.value, status, ", ".join(p.components))
    console.print(table)
    from seebench.api.components import KINDS

    for kind in KINDS:
        comps = [registry.components[kind][n] for n in registry.names(kind)]
        if not comps:
            continue
        t = Table(title=f"{kind}s", title_justify="left", show_lines=False)
        for col in ("name", "description", "parameters (defaults)", "plugin"):
            t.add_column(col, overflow="fold")
        for c in comps:
            params = ", ".join(f"{p.name}={p.default!r}" for p in c.params) or "-"
            ref = c.reference_numbers()
            desc = c.description + (f" [paper: {', '.join(f'{k} {v}' for k, v in ref.items())}]" if ref else "")
            t.add_row(c.name, desc, params, c.plugin)
        console.print(t)
    return 0


# -- leaderboard / publish ------------------------------------------------------------------------
def cmd_leaderboard(args: argparse.Namespace) -> int:
    from seebench.leaderboard import chart
    from seebench.leaderboard import table as leaderboard
    from seebench.leaderboard import render
    from seebench.results.store import load_results

    dirs = [Path(d) for d in (args.dirs or [DEFAULT_OUT])]
    if not args.dirs and DEFAULT_OUT.is_dir():
        dirs = sorted(p for p in DEFAULT_OUT.iterdir() if p.is_dir()) or dirs
    loaded = load_results(dirs)
    for problem in loaded.problems:
        print(f"seebench: skipped {problem}", file=sys.stderr)
    boards = [(name, leaderboard.attach_artifacts(b, loaded.results, loaded.artifact_paths))
              for name, b in leaderboard.build_all(loaded.results, metric=args.metric)]
    if args.format == "terminal":
        render.boards_to_terminal(boards, _console())
    else:
        sys.stdout.write(render.boards_to_text(boards, args.format))
    if args.chart:
        board = boards[0][1]
        if board.table.empty:
            print("seebench: no finished results, no chart written", file=sys.stderr)
            return 2
        chart.render_chart(board, Path(args.chart))
        print(f"seebench: chart written to {args.chart}", file=sys.stderr)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from seebench.api.errors import ConfigError
    from seebench.leaderboard.publish import publish

    run_dir = Path(args.dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run directory (give the --out folder of `seebench run`)")
    report = publish(run_dir, Path(args.to), replace=args.replace)
    for line in report.skipped + report.kept_existing:
        print(f"seebench: {line}", file=sys.stderr)
    print(f"seebench: published {len(report.copied)} result(s) to {args.to}/results "
          f"({len(report.unchanged)} unchanged, {len(report.kept_existing)} kept, {len(report.skipped)} skipped); "
          f"regenerated {args.to}/README.md, chart.png and index.html (open it in a browser)", file=sys.stderr)
    return 0


# -- parser ---------------------------------------------------------------------------------------
def build_parser(registry: Any = None) -> argparse.ArgumentParser:
    """The command line; with `registry`, `run` gets --executor and a flag per executor option."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="seebench", formatter_class=_Formatter,
        description="Benchmark what vision models learn from noise, random networks and small photo folders.",
        epilog="examples:\n  seebench run quick\n  seebench plugins\n  seebench leaderboard seebench-runs/quick")
    parser.add_argument("--version", action="version", version=f"seebench {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], formatter_class=_Formatter, help="run a benchmark matrix",
                       description="Expand a matrix (a preset name or a TOML file) into cells and run those not "
                                   "finished yet; each cell writes one JSON result.",
                       epilog="examples:\n  seebench run quick\n  seebench run my.toml --out runs/mine --set matrix.seeds=[0,1,2]\n"
                              "  seebench run quick --dry-run\n  seebench run cpu-full --executor ray --address auto")
    p.add_argument("matrix", nargs="?", default="quick", help="preset name or matrix TOML file (default: quick)")
    p.add_argument("--out", metavar="DIR", help="run directory (default: seebench-runs/<matrix name>)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a [vars] variable or a dotted entry, e.g. params.knn.k=10; repeatable")
    p.add_argument("--dry-run", action="store_true", help="print the cells and a rough cost, run nothing")
    p.add_argument("--force", action="store_true", help="rerun cells that are already finished")
    if registry is not None:  # `seebench run`: main loaded the registry first (pytest's addoption, in Params)
        add_executor_flags(p, registry)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("plugins", parents=[common], formatter_class=_Formatter, help="list plugins and components",
                       description="Every plugin of the entry-point group 'seebench' with version and origin, and "
                                   "every component by kind with its description and parameters.",
                       epilog="examples:\n  seebench plugins\n  seebench plugins --json | jq '.components[].name'")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("leaderboard", parents=[common], formatter_class=_Formatter, help="merge results into a table",
                       description="Merge results of one or more run directories (several contributors) into one "
                                   "table: a row per pretraining dataset, mean ± std over seeds.",
                       epilog="examples:\n  seebench leaderboard seebench-runs/quick\n"
                              "  seebench leaderboard runs/alice runs/bob --format markdown --chart chart.png")
    p.add_argument("dirs", nargs="*", metavar="DIR", help="run directories or folders of result JSONs "
                                                          "(default: every run under seebench-runs/)")
    p.add_argument("--format", choices=("terminal", "markdown", "csv", "json"), default="terminal")
    p.add_argument("--chart", metavar="PNG", help="also write the bar chart here")
    p.add_argument("--metric", help="column to sort and chart by (default: the first metric)")
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("publish", parents=[common], formatter_class=_Formatter, help="publish a run to leaderboard/",
                       description="Validate a run's results, copy them into leaderboard/results/ and regenerate "
                                   "leaderboard/README.md, leaderboard.csv and chart.png.",
                       epilog="example:\n  seebench publish seebench-runs/quick")
    p.add_argument("dir", metavar="DIR", help="run directory")
    p.add_argument("--to", default="leaderboard", metavar="DIR", help="leaderboard folder (default: ./leaderboard)")
    p.add_argument("--replace", action="store_true", help="overwrite published results of the same cell")
    p.set_defaults(func=cmd_publish)

    _extra_commands(sub, common)
    return parser


def _extra_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Verb modules inside harness (generator preview/gallery/generate, ...)."""
    import importlib.util

    for module in ("seebench.cli.generate", "seebench.cli.curves"):
        if importlib.util.find_spec(module) is None:
            continue
        mod = __import__(module, fromlist=["add_commands"])
        before = set(sub.choices)
        mod.add_commands(sub)
        for name in set(sub.choices) - before:  # give them --disable-plugin and a registry
            sp = sub.choices[name]
            if "--disable-plugin" not in sp._option_string_actions:
                sp.add_argument("--disable-plugin", action="append", default=[], metavar="NAME",
                                help="do not load this plugin; repeatable")
            handler = sp.get_default("func")
            sp.set_defaults(func=_with_registry(handler), _wants_registry=True)


def _with_registry(handler: Callable) -> Callable:
    def call(args: argparse.Namespace) -> int:
        return handler(args, _registry(args))
    return call


def _version() -> str:
    from seebench import __version__

    return __version__


def _registry_before_parsing(argv: list[str]):
    """For `seebench run` (its executors' options are flags): the registry, with --disable-plugin read first."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command != "run":
        return None
    return _load_registry(_common().parse_known_args(argv)[0].disable_plugin)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        registry = _registry_before_parsing(argv)
        parser = build_parser(registry)
    except SeebenchError as exc:
        print(f"seebench: {exc}", file=sys.stderr)
        return exc.exit_code
    args = parser.parse_args(argv)
    args._registry = registry
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SeebenchError as exc:
        print(f"seebench: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("seebench: interrupted; finished cells are saved, run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
