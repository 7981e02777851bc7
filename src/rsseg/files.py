"""Writing outputs so that a failed or interrupted job never leaves one that looks finished.

Every file is written beside its final path and renamed into place only when complete; a folder is
filled beside its final path and renamed into place the same way. Both follow the umask, like files
any other tool writes, so results on a shared file system are readable by the group.
"""

import contextlib
import glob
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UnreadableError

if TYPE_CHECKING:  # pandas only for the annotation: the workflow's own process imports this module
    import pandas as pd

StrPath = str | os.PathLike[str]
"""A file system path as the entry points accept it."""
TEMPORARY_SUFFIX = ".part"
"""The end of the name of what is written beside an output until it is complete (``.<name>.<random>.part``, a file
or a folder), so that what a killed writer left can be found and removed."""
REMAKE_LOG = Path("results") / ".remake"
"""Outputs that the next run must make again, one path a line (relative to the working directory), kept
as a log: an output of an earlier job that a later job found unreadable and removed, a dataset placed as
unavailable after a failed download. How often an output is logged is a parameter of the rule making it
(common.smk), so a new entry makes it again with all made from it. Snakemake alone would not: it takes a
missing file whose consumers' outputs exist for an intermediate no longer needed."""


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: StrPath) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600 files; results are shared with collaborators, so follow the umask
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_directory(path: StrPath) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent))
    try:
        yield tmp
        # mkdtemp creates 0700 folders, which other members of the group could not enter
        os.chmod(tmp, 0o777 & ~current_umask())
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temporaries(path: StrPath) -> list[Path]:
    """Remove what writers of ``path`` left beside it when they were killed (``kill -9``, a lost node), which no
    ``finally`` could clean up; returns what was removed. Only for a path no other process is writing: a job's
    own output, which Snakemake lets one job make at a time."""
    path = Path(path)
    prefix = f".{path.name}."
    # the random part has no dot: .map.tif.json.<random>.part is another output's
    stale = sorted(found for found in path.parent.glob(f"{glob.escape(prefix)}*{TEMPORARY_SUFFIX}")
                   if "." not in found.name[len(prefix):-len(TEMPORARY_SUFFIX)])
    for temporary in stale:
        if temporary.is_dir() and not temporary.is_symlink():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
    return stale


def write_json(path: StrPath, record: Any) -> None:
    """Write ``record`` as indented JSON, atomically (run records, per-scene scores)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2))


def read_json(path: StrPath) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UnreadableError(path, f"is not valid JSON ({err})") from None


def write_csv(path: StrPath, frame: "pd.DataFrame", **to_csv: Any) -> None:
    """Write a pandas DataFrame as CSV without its index, atomically (tables, manifests)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, **to_csv)


def log_for_remaking(path: StrPath) -> None:
    """Log an output in :data:`REMAKE_LOG` for the next run to make again."""
    REMAKE_LOG.parent.mkdir(parents=True, exist_ok=True)
    with REMAKE_LOG.open("a") as log:  # one short line per write: the appends of parallel jobs do not mix
        log.write(f"{path}\n")


def discard_unreadable(path: StrPath) -> None:
    """Remove an output of an earlier job that cannot be read, for the next run to make it again."""
    Path(path).unlink(missing_ok=True)
    log_for_remaking(path)


def remake_counts() -> Counter[str]:
    """How often each output of :data:`REMAKE_LOG` was logged."""
    if not REMAKE_LOG.exists():
        return Counter()
    return Counter(line for line in REMAKE_LOG.read_text().splitlines() if line)
