"""Exceptions whose message is the one line a user sees: what is wrong, where, and what to do."""


class SeebenchError(Exception):
    """Base class; the CLI prints `seebench: <message>` and exits with `exit_code`."""

    exit_code = 2


class ConfigError(SeebenchError):
    """A matrix file, a --set override or a component parameter is wrong."""


class UnknownComponentError(ConfigError):
    """A component name that no loaded plugin registers."""


class PluginError(SeebenchError):
    """A plugin is broken: it failed to import, its hook raised, or it clashes with another."""


class DataMissingError(SeebenchError):
    """A dataset's files are not where a source expects them."""


class ResultFileError(SeebenchError):
    """A result JSON is truncated, hand-edited or does not match the schema."""


class CellFailed(SeebenchError):
    """Raised inside a cell to stop it with a recorded reason (e.g. NaN loss)."""

    exit_code = 1
