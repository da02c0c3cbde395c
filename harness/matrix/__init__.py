"""Matrices and cells: TOML presets and files, component specs, cells and their content keys."""
