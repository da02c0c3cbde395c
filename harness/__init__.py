"""seebench's public API: everything a plugin author imports comes from here (`from seebench import ...`)."""

if __name__ != "seebench":  # the folder is harness/, the import name is seebench (pyproject.toml maps it)
    raise ImportError("seebench's public API is imported as `seebench`, not `harness`: "
                      "write `from seebench import hookimpl, Component, Param` (and install seebench: scripts/install)")

from seebench.primitives.atomic import atomic_write_bytes, atomic_write_text
from seebench.api.budget import Budget
from seebench.primitives.cache_files import DamagedCacheFile, load_tensors, load_torch, read_or_set_aside, save_tensors, save_torch
from seebench.primitives.order import EpochOrder, permutation
from seebench.primitives.rng import (content_seed, keyed_generator, keyed_rng, keyed_seed, keyed_unit, philox_rng, stream_tag,
                                     torch_generator)
from seebench.matrix.cell import Cell, ComponentRef, content_key
from seebench.api.components import (
    AXES,
    ENCODER,
    EVALUATOR,
    EXECUTOR,
    GENERATOR,
    KINDS,
    OBJECTIVE,
    SOURCE,
    Component,
    Param,
)
from seebench.api.metrics import topk_accuracy
from seebench.run.context import CellContext, default_device
from seebench.run.pretrain_data import PretrainData
from seebench.api.errors import (
    CellFailed,
    ConfigError,
    DataMissingError,
    PluginError,
    ResultFileError,
    SeebenchError,
    UnknownComponentError,
)
from seebench.api.hookspecs import hookimpl
from seebench.api.param_defaults import param_defaults
from seebench.executors.execute import Executor, execute_cell, precompute, store_failed_cell
from seebench.plugins.manager import RegistrySpec
from seebench.api.images import ImageSet, to_model_input, to_rgb, to_uint8
from seebench.matrix.config import component_ref

__version__ = "0.1.0"

__all__ = [
    "EXECUTOR", "Executor", "execute_cell", "precompute", "store_failed_cell",
    "AXES", "Budget", "atomic_write_bytes", "atomic_write_text", "Cell", "CellContext", "CellFailed", "Component", "ComponentRef",
    "ConfigError", "DamagedCacheFile", "DataMissingError", "ENCODER", "EVALUATOR", "GENERATOR", "ImageSet", "KINDS",
    "OBJECTIVE", "Param", "PluginError", "PretrainData", "RegistrySpec", "ResultFileError", "SOURCE",
    "SeebenchError", "UnknownComponentError", "component_ref", "content_key", "default_device", "hookimpl",
    "load_tensors", "load_torch", "read_or_set_aside", "save_tensors", "save_torch",
    "to_model_input", "to_rgb", "to_uint8", "topk_accuracy", "__version__",
    "EpochOrder", "content_seed", "keyed_generator", "keyed_rng", "keyed_seed", "keyed_unit", "permutation", "philox_rng",
    "stream_tag", "torch_generator", "param_defaults",
]
