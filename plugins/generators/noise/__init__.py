"""Procedural noise families of *Learning to See by Looking at Noise* as generator plugins."""
