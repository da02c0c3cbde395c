"""Built-in executors (local, Ray, DDP inside a cell), written as third-party executors: only `from seebench import ...`."""
