"""The noise families' keyed streams: seebench's one keyed-RNG helper, under the names the families import."""

from seebench import keyed_rng, stream_tag as tag

__all__ = ["keyed_rng", "tag"]
