"""Executors in the core: the registry lookup and options of executor plugins, what they call, the DDP hand-off."""
