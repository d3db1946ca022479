"""One exception family for leptoportal.

Every invalid input raises :class:`InputError` (a ``ValueError``) whose message
names the offending parameter and its valid range.  The CLI turns it into a
one-line message and exit code 2.
"""


class InputError(ValueError):
    """Invalid user input: the message names the parameter and its valid range."""

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")
