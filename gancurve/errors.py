"""The one exception family the CLI turns into a clean one-line error."""


class GancurveError(Exception):
    """An expected failure with a message the user can act on (exit code 1)."""

    exit_code = 1


class UsageError(GancurveError):
    """The user asked for something invalid, e.g. an out-of-range option (exit code 2)."""

    exit_code = 2
