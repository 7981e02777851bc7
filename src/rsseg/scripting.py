"""Glue shared by the thin rule scripts: logging into the rule's log file and one-line errors."""

import contextlib
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from .errors import ConfigError, InputError, UnreadableError, one_line
from .files import StrPath, discard_unreadable, remove_stale_temporaries

WORKFLOW_OUTPUTS = "results"
"""The folder of everything the workflow makes (the sources it reads are elsewhere and never removed)."""
INTERRUPTED = "interrupted; rerun to resume"


def is_workflow_output(path: StrPath, inputs: Iterable[StrPath]) -> bool:
    """Whether ``path`` is one of a job's inputs that an earlier job of the workflow made."""
    path = os.path.normpath(path)
    return Path(path).parts[:1] == (WORKFLOW_OUTPUTS,) and path in {os.path.normpath(p) for p in inputs}


def for_the_console(record: logging.LogRecord) -> bool:
    """Console filter: GDAL's INFO lines (rasterio relays them) before a real error only bury it, and the job's
    error is printed as its one ``error:`` line; the log keeps both."""
    if getattr(record, "log_only", False):
        return False
    return record.levelno >= logging.WARNING or not record.name.startswith("rasterio")


def run_rule(main: Callable[[Any], None], snakemake: Any) -> None:
    """Run ``main(snakemake)``, logging to the rule's log; any failure ends the job with one line on stderr.

    What an earlier run of the job left beside its outputs when it was killed is removed first.

    Bad input and unusable settings (:class:`InputError`, :class:`ConfigError`) are the message itself;
    an unreadable output of an earlier job is also removed, for the next run to make it again; Ctrl-C
    says to rerun (the job's outputs are written atomically, so none is left half-written); anything else
    is a bug or an unforeseen failure, so its traceback goes to the rule's log file, which the line names.
    """
    log_path = snakemake.log[0] if len(snakemake.log) else None
    log_file = logging.FileHandler(log_path, mode="w") if log_path else None
    console = logging.StreamHandler(sys.stderr)
    console.addFilter(for_the_console)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        handlers=[console, *([log_file] if log_file else [])], force=True)
    logging.captureWarnings(True)  # a library's warnings (scikit-learn's) belong in the job's log too
    log = logging.getLogger(snakemake.rule)
    try:
        for output in getattr(snakemake, "output", []):
            for stale in remove_stale_temporaries(output):
                log.info("removed %s, left by an interrupted run of this job", stale)
        main(snakemake)
    except UnreadableError as err:
        message = one_line(err)
        if is_workflow_output(err.path, getattr(snakemake, "input", [])):
            discard_unreadable(err.path)
            message += "; removed it: the next run makes it again"
    except (InputError, ConfigError) as err:
        message = one_line(err)
    except KeyboardInterrupt:
        message = INTERRUPTED
    except Exception as err:  # the safety net: one line for the console, the traceback for the log
        message = one_line(f"{type(err).__name__}: {err}", 300)
        if log_file:
            traceback.print_exc(file=log_file.stream)
            message += f" (traceback in {log_path})"
        else:
            traceback.print_exc()
    else:
        return
    log.error("%s", message, extra={"log_only": True})
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


@contextlib.contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """The wall seconds and the CPU seconds (of this process, all its threads) the block took, as the run records
    give them: ``{"seconds", "cpu_seconds"}``, filled in when the block ends. CPU seconds compare methods that ran
    on different numbers of threads or beside other load."""
    times: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    yield times
    times.update(seconds=time.perf_counter() - wall, cpu_seconds=time.process_time() - cpu)
