"""seebench's public API: everything a plugin author imports comes from here."""

from .atomic import atomic_write_bytes, atomic_write_text
from .budget import Budget
from .cache_files import DamagedCacheFile, load_tensors, load_torch, read_or_set_aside, save_tensors, save_torch
from .cell import Cell, ComponentRef, content_key
from .components import (
    AXES,
    ENCODER,
    EVALUATOR,
    GENERATOR,
    KINDS,
    OBJECTIVE,
    SOURCE,
    Component,
    Param,
)
from .context import CellContext, PretrainData, default_device, topk_accuracy
from .errors import (
    CellFailed,
    ConfigError,
    DataMissingError,
    PluginError,
    ResultFileError,
    SeebenchError,
    UnknownComponentError,
)
from .hookspecs import hookimpl
from .images import ImageSet, to_model_input, to_rgb, to_uint8
from .matrix import component_ref

__version__ = "0.1.0"

__all__ = [
    "AXES", "Budget", "atomic_write_bytes", "atomic_write_text", "Cell", "CellContext", "CellFailed", "Component", "ComponentRef",
    "ConfigError", "DamagedCacheFile", "DataMissingError", "ENCODER", "EVALUATOR", "GENERATOR", "ImageSet", "KINDS",
    "OBJECTIVE", "Param", "PluginError", "PretrainData", "ResultFileError", "SOURCE",
    "SeebenchError", "UnknownComponentError", "component_ref", "content_key", "default_device", "hookimpl",
    "load_tensors", "load_torch", "read_or_set_aside", "save_tensors", "save_torch",
    "to_model_input", "to_rgb", "to_uint8", "topk_accuracy", "__version__",
]
