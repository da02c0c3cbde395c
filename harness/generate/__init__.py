"""The generator verbs' back-end: image grids and resumable export to disk."""
