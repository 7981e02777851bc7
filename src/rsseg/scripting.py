"""Glue shared by the thin rule scripts: logging into the rule's log file and one-line errors."""

import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .errors import ConfigError, InputError, one_line


def run_rule(main: Callable[[Any], None], snakemake: Any) -> None:
    """Run ``main(snakemake)``, logging to the rule's log; any failure ends the job with one line on stderr.

    Bad input and unusable settings (:class:`InputError`, :class:`ConfigError`) are the message itself;
    anything else is a bug or an unforeseen failure, so its traceback goes to the rule's log file,
    which the line names.
    """
    log_path = snakemake.log[0] if len(snakemake.log) else None
    log_file = logging.FileHandler(log_path, mode="w") if log_path else None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr), *([log_file] if log_file else [])]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        handlers=handlers, force=True)
    log = logging.getLogger(snakemake.rule)
    try:
        main(snakemake)
    except (InputError, ConfigError) as err:
        message = one_line(err)
    except Exception as err:  # the safety net: one line for the console, the traceback for the log
        message = one_line(f"{type(err).__name__}: {err}", 300)
        if log_file:
            traceback.print_exc(file=log_file.stream)
            message += f" (traceback in {log_path})"
        else:
            traceback.print_exc()
    else:
        return
    log.error("%s", message)
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


class NamedFiles(Protocol):
    """A rule's named inputs or outputs as a script sees them (Snakemake's ``Namedlist``)."""

    def items(self) -> Iterable[tuple[str, Any]]: ...


def named_inputs(files: NamedFiles, group: str) -> dict[str, Any]:
    """``{key: file or files}`` of the inputs a rule names ``<group>/<key>``: a script reads each dataset's,
    scene's or parameter point's files by name, never by their position in a list."""
    prefix = f"{group}/"
    return {name.removeprefix(prefix): value for name, value in files.items() if name.startswith(prefix)}
