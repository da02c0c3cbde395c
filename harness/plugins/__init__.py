"""The plugin system: discovery through the `seebench` entry-point group, allow/block lists, the registry."""
