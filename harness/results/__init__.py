"""The result store: one validated JSON file per cell key, its schema and provenance."""
