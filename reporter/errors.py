"""The one exception that means "bad input": the CLI prints it as one line and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: a spec, bundle, option or output folder that cannot be used.

    ``where`` names the file (and key, when there is one); ``problem`` says what is wrong.
    ``str(error)`` is the single line the CLI prints.
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
