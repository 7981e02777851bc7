"""The exception types a rule reports as one line: bad input files and unusable settings."""

import os


class InputError(ValueError):
    """A file the pipeline was given is unusable; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class UnreadableError(InputError):
    """A file exists but cannot be read (truncated, corrupt). Where the workflow made it, the job that finds it
    so removes it, and the next run makes it again (:func:`rsseg.scripting.run_rule`)."""


class ConfigError(ValueError):
    """A setting cannot work here (e.g. ``device: cuda`` on a machine without a GPU); the message names it."""


def one_line(text: object, limit: int | None = None) -> str:
    """``text`` (an exception or a string) with its lines joined, cut to ``limit`` characters if given
    (for messages of other libraries, which may run to pages)."""
    joined = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return joined if limit is None or len(joined) <= limit else joined[:limit - 3] + "..."
