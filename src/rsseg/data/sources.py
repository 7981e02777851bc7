"""Placing a dataset's source in the workflow: fetching and unpacking its archives, or linking a local folder.

A dataset's files come from one or several archives (a URL, a Google Drive link or a package spec,
each with the checksum its publisher gives), unpacked together into one folder, or from a local
folder (data placed by hand after a data request form), linked in place, with the archives in it
unpacked: a user may put there the zips a publisher sends, as they come.
"""

import logging
import os
import shutil
import tarfile
import time
import zipfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InputError
from ..files import StrPath, atomic_directory
from ..placement import UNAVAILABLE
from ..scenes import find_scenes, why_no_scenes
from .download import DownloadError, fetch, verify_checksum

log = logging.getLogger(__name__)

ARCHIVE_SUFFIXES = (".zip", ".whl", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def fetch_archive(url: str, checksum: str | None, copy: StrPath) -> Path:
    """The verified archive of ``url`` at ``copy``: a file already there (a manual copy, or an earlier
    download) is checked, else ``url`` is fetched to it. Every failure says where a manual copy goes."""
    copy = Path(copy)
    hint = f"place a manual copy ({checksum}) at {copy} and rerun"
    if copy.exists():
        try:
            verify_checksum(copy, checksum)
        except InputError as err:
            raise InputError(copy, f"{err.problem}; this copy is not the published file: {hint}") from None
        return copy
    try:
        return fetch(url, copy, checksum=checksum)
    except DownloadError as err:
        raise InputError(copy, f"missing and {err}; {hint}") from None
    except InputError as err:  # fetched, but not the file the config's checksum names
        raise InputError(err.path, f"{err.problem}; {hint}") from None


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def top_level(member: str) -> str:
    """The first part of an archive member's path: the entry it creates in the folder it is unpacked into."""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    return parts[0] if parts else ""


def unsafe(member: str) -> bool:
    """Whether a zip member would land outside the folder it is unpacked into (absolute, ``..``, a drive)."""
    path = PurePosixPath(member.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or ":" in top_level(member)


def unsafe_member(member: str) -> str:
    return f"holds an unsafe path, {member!r}, that would be written outside the folder it is unpacked into; refused"


def _extract_zip(archive: Path, dest: Path, skip: Collection[str]) -> list[str]:
    """Unpack a zip's files but those under ``skip``, keeping their modification times: unpacking it again
    must not make the scenes prepared from them look out of date."""
    with zipfile.ZipFile(archive) as zf:
        hostile = next((name for name in zf.namelist() if unsafe(name)), None)
        if hostile is not None:
            raise InputError(archive, unsafe_member(hostile))
        members = [info for info in zf.infolist() if top_level(info.filename) not in skip]
        zf.extractall(dest, members=members)
    for info in members:
        if not info.is_dir():
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(dest / info.filename, (stamp, stamp))
    return [info.filename for info in members]


def _extract_tar(archive: Path, dest: Path, skip: Collection[str]) -> list[str]:
    with tarfile.open(archive) as tf:
        members = [member for member in tf.getmembers() if top_level(member.name) not in skip]
        try:
            tf.extractall(dest, members=members, filter="data")  # refuses links out of dest and absolute paths
        except tarfile.FilterError as err:
            raise InputError(archive, unsafe_member(err.tarinfo.name)) from None
    return [member.name for member in members]


def extract(archive: StrPath, dest: StrPath, *, skip: Collection[str] = (), nested: bool = False) -> None:
    """Unpack a zip (wheels included) or tar archive into ``dest``, but the members under a top-level name of
    ``skip``; with ``nested``, archives among its members are unpacked where they lie, in turn (ISPRS wraps
    its zips in one). The format is read from the content."""
    archive, dest = Path(archive), Path(dest)
    try:
        if zipfile.is_zipfile(archive):
            members = _extract_zip(archive, dest, skip)
        elif tarfile.is_tarfile(archive):
            members = _extract_tar(archive, dest, skip)
        else:
            raise InputError(archive, "is a damaged archive (neither a readable zip nor tar)")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
        raise InputError(archive, f"is a damaged archive ({err})") from None
    for member in members if nested else []:
        inner = dest / member
        if is_archive_name(member) and inner.is_file():
            extract(inner, inner.parent, nested=True)
            inner.unlink()  # unpacked: the copy inside the placed folder would only take disk


def unpack(archives: Sequence[StrPath], dest: StrPath) -> None:
    """Unpack zip or tar archives together into ``dest``, which appears only when complete.

    Any file that is not an archive is placed in ``dest`` as it is, unless its name says it is an archive,
    which then must be damaged.
    """
    with atomic_directory(dest) as tmp:
        for archive in map(Path, archives):
            if is_archive_name(archive.name) or zipfile.is_zipfile(archive) or tarfile.is_tarfile(archive):
                extract(archive, tmp)
            else:
                shutil.copyfile(archive, tmp / archive.name)


def place_folder(folder: StrPath, dest: StrPath, manual: str | None = None) -> None:
    """Expose a local copy of a dataset under ``dest``: its entries by symbolic links, without copying
    gigabytes, and the archives among them unpacked (nested ones too), so that the zips a publisher sends
    can be placed there as they come. A member of an archive whose top-level name an entry of the folder
    already has is taken from the folder (the user unpacked it already).

    ``manual``: how to get the data, said when the folder is missing.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise InputError(folder, "is not a folder (the dataset's source is a local path)"
                                 + (f"; {manual}" if manual else ""))
    entries = sorted(folder.iterdir())
    archives = [entry for entry in entries if entry.is_file() and is_archive_name(entry.name)]
    linked = {entry.name for entry in entries} - {archive.name for archive in archives}
    with atomic_directory(dest) as tmp:
        for name in sorted(linked):
            (tmp / name).symlink_to(folder / name)
        for archive in archives:
            log.info("unpacking %s", archive)
            extract(archive, tmp, skip=linked, nested=True)


def place_unavailable(dest: StrPath, reason: str) -> None:
    """Place a dataset that could not be downloaded as the record of why (:data:`rsseg.placement.UNAVAILABLE`)."""
    with atomic_directory(dest) as tmp:
        (tmp / UNAVAILABLE).write_text(reason + "\n")


def check_scenes(root: StrPath, layout: Mapping[str, Any], source: StrPath, dataset: str) -> None:
    """Stop, naming the source, when the placed dataset holds no scene of its layout (an empty folder, files
    in another folder than the layout's): the job fails, so the next run places the source again."""
    if not find_scenes(root, layout):
        raise InputError(source, f"{why_no_scenes(root, layout)}; see datasets.{dataset}.layout")
