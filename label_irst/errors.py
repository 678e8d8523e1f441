"""The one exception type that the command line turns into a one-line error."""


class LabelIrstError(Exception):
    """A user-facing error: bad input, missing file, wrong model. Its message is one line."""
