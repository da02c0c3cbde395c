"""Running a matrix: the runner, one cell's engine and context, caches, progress, locks, threads."""
