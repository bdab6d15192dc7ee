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


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C): collectors stop promptly and nothing is written.

    Long-running work (a log scan, git, a paged AWS call) takes a ``threading.Event`` and
    raises this once the event is set; the CLI turns it into exit 130.
    """
