"""Whether a dataset's placed source (``resources/datasets/{dataset}``) is still what its config entry names, and
the state of the source files a job reads. Standard library only: the workflow's own process reads it.

A local folder is placed by links (and its archives unpacked); the placement is redone when the folder
changes at its top level (:func:`folder_state` is a parameter of the download rule), since entries added
or renamed there, unlike files changed inside its linked subfolders, are not seen through the links. A
file inside is read through the links by the job preparing its scene, whose parameters hold the file's
size and modification time (:func:`files_state`): Snakemake reruns a job whose input is newer than its
outputs, not one whose input was replaced by an older file. A download that failed where the study may go
without the dataset is placed as a record of why (:data:`UNAVAILABLE`), and tried again by the next run.
"""

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .files import StrPath
from .urls import is_remote

UNAVAILABLE = ".unavailable"
"""In a placed dataset whose download failed: the one-line reason."""


def folder_state(source: str | Sequence[Mapping[str, Any]]) -> str:
    """A digest of a local folder's top level (each entry's name, kind, and a file's size and modification
    time); "remote" for archives that are fetched, whose placement only their checksums decide."""
    if not isinstance(source, str) or is_remote(source):
        return "remote"
    folder = Path(source)
    if not folder.is_dir():
        return "absent"
    entries = [(entry.name, "dir") if entry.is_dir() else (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
               for entry in sorted(folder.iterdir())]
    return digest(entries)


def files_state(paths: Iterable[StrPath]) -> str:
    """A digest of files' paths, sizes and modification times (through links): a file replaced by another
    changes it even where the other is older, as what ``unzip -o``, ``cp -p``, ``rsync -a`` and ``tar x``
    write keeps the time of the archive or the copied file."""
    entries: list[tuple[str, int, int] | tuple[str, str]] = []
    for path in sorted(map(str, paths)):
        try:
            found = os.stat(path)
        except FileNotFoundError:  # the job itself then says which input is missing
            entries.append((path, "absent"))
        else:
            entries.append((path, found.st_size, found.st_mtime_ns))
    return digest(entries)


def digest(entries: Sequence[Any]) -> str:
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def unavailable_reason(root: StrPath) -> str | None:
    """Why the dataset placed at ``root`` could not be downloaded; None when it was."""
    record = Path(root) / UNAVAILABLE
    return record.read_text().strip() if record.exists() else None
