"""The `seebench` command line."""
