"""Planning a run before it starts: cost estimates and --dry-run."""
