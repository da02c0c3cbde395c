"""The hook specifications every seebench plugin implements a subset of."""

from __future__ import annotations

import pluggy

PROJECT = "seebench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- registration: each returns a list of seebench.Component of that kind -------------------

@hookspec
def seebench_register_sources():
    """Return the real-image sources this plugin offers (list of Component, kind 'source')."""


@hookspec
def seebench_register_generators():
    """Return the image generators this plugin offers (list of Component, kind 'generator')."""


@hookspec
def seebench_register_encoders():
    """Return the encoders this plugin offers (list of Component, kind 'encoder')."""


@hookspec
def seebench_register_objectives():
    """Return the pretraining objectives this plugin offers (list of Component, kind 'objective')."""


@hookspec
def seebench_register_evaluators():
    """Return the evaluators this plugin offers (list of Component, kind 'evaluator')."""


@hookspec
def seebench_register_executors():
    """Return the executors this plugin offers (list of Component, kind 'executor'): each Param is also a
    `seebench run` option and a [matrix] key; the factory's object runs cells (docs/plugin-api.md, Executors)."""


# --- lifecycle: called by the harness; exceptions are reported and never stop a run --------

@hookspec
def seebench_matrix_started(cells, run_dir):
    """Called once before the first cell of `seebench run` (cells: list of seebench.Cell)."""


@hookspec
def seebench_cell_started(cell):
    """Called just before a cell runs (not for cells skipped because they are finished)."""


@hookspec
def seebench_cell_finished(cell, result):
    """Called after a cell's result (a dict, status 'ok' or 'failed') was written to the store."""


@hookspec
def seebench_matrix_finished(results, run_dir):
    """Called once after the last cell (results: list of result dicts of this matrix)."""


@hookspec
def seebench_step(cell, step, metrics, run_dir):
    """Called while a cell trains, whenever it records its curves (CellContext.record_step): `metrics` maps a
    curve name such as 'pretrain/loss' or 'dcgan/loss_g' to this step's float value. Runs in the process that
    trains (a Ray worker, DDP rank 0), often: keep it cheap. An implementation may take any subset of the
    arguments (e.g. only cell, step, metrics); run_dir is the run's folder."""
