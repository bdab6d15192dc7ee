"""The one exception that means "bad input": the CLI prints its problems and exits 2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_PROBLEM_LINES = 10
"""Most lines the CLI prints for one bad input (``reporter check`` prints them all)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: ``where`` (the file, and the key when there is one)
    and ``problem`` (what is wrong), printed as ``where: problem``."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


class InputError(Exception):
    """Bad input: a spec, bundle, option or output folder that cannot be used.

    ``where`` names the file (and key, when there is one); ``problem`` says what is wrong.
    An input can have several problems at once (a spec with three misspelled keys):
    ``problems`` holds them all, the first being ``where``/``problem``. ``str(error)`` is a
    single line: the first problem, followed by how many more there are; :meth:`lines`
    gives one line per problem, which is what the CLI prints.
    """

    def __init__(self, where: str, problem: str, *, more: Sequence[Problem] = ()) -> None:
        self.where = where
        self.problem = problem
        self.problems: tuple[Problem, ...] = (Problem(where, problem), *more)
        extra = len(self.problems) - 1
        suffix = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        super().__init__(f"{where}: {problem}{suffix}")

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> InputError:
        """One error carrying every problem of ``problems`` (at least one), in order."""
        if not problems:
            raise ValueError("InputError.of needs at least one problem")
        first, *rest = problems
        return cls(first.where, first.problem, more=rest)

    def lines(self, limit: int | None = MAX_PROBLEM_LINES, hint: str = "") -> list[str]:
        """One line per problem, at most ``limit`` lines (``None``: every problem).

        When there are more problems than lines, the last line says how many were left
        out, followed by ``hint`` (such as how to see them all).
        """
        texts = [str(p) for p in self.problems]
        if limit is None or len(texts) <= limit:
            return texts
        shown = max(limit - 1, 1)
        left = len(texts) - shown
        return [
            *texts[:shown],
            f"... and {left} more problems{hint}",
        ]


class Cancelled(Exception):
    """The run was interrupted (Ctrl-C): collectors stop promptly and nothing is written.

    Long-running work (a log scan, git, a paged AWS call) takes a ``threading.Event`` and
    raises this once the event is set; the CLI turns it into exit 130.
    """
