"""The one exception type for bad input, so rule scripts can report it as a single line."""


class InputError(ValueError):
    """A file the pipeline was given is unusable; the message names the file and the problem."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
