"""Primitives used everywhere, each written once: atomic writes, self-checking cache files, keyed random streams, resumable order."""
