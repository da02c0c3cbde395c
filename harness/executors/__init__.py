"""Executors: run a list of cells locally, on Ray, or one cell's pretraining under DDP."""
