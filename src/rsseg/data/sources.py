"""Placing a dataset's source in the workflow: fetching and unpacking its archives, or linking a local folder.

A dataset's files come from one or several archives (a URL, a Google Drive link or a package spec,
each with the checksum its publisher gives), unpacked together into one folder, or from a local
folder (data placed by hand after a data request form), linked in place.
"""

import shutil
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .download import DownloadError, fetch, verify_checksum
from ..errors import InputError
from ..files import StrPath, atomic_directory

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


def unpack(archives: Sequence[StrPath], dest: StrPath) -> None:
    """Unpack zip (wheels included) or tar archives together into ``dest``, which appears only when complete.

    The format is read from the content; any other file is placed in ``dest`` as it is, unless its
    name says it is an archive, which then must be damaged.
    """
    with atomic_directory(dest) as tmp:
        for archive in map(Path, archives):
            is_zip, is_tar = zipfile.is_zipfile(archive), tarfile.is_tarfile(archive)
            if not (is_zip or is_tar) and archive.name.lower().endswith(ARCHIVE_SUFFIXES):
                raise InputError(archive, "is a damaged archive (neither a readable zip nor tar)")
            try:
                if is_zip:
                    with zipfile.ZipFile(archive) as zf:
                        zf.extractall(tmp)
                elif is_tar:
                    with tarfile.open(archive) as tf:
                        tf.extractall(tmp, filter="data")
                else:
                    shutil.copyfile(archive, tmp / archive.name)
            except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
                raise InputError(archive, f"is a damaged archive ({err})") from None


def link_folder(folder: StrPath, dest: StrPath, manual: str | None = None) -> None:
    """Expose a local copy of a dataset under ``dest`` by symbolic links, without copying gigabytes.

    ``manual``: how to get the data, said when the folder is missing.
    """
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise InputError(folder, "is not a folder (the dataset's source is a local path)"
                                 + (f"; {manual}" if manual else ""))
    with atomic_directory(dest) as tmp:
        for entry in folder.iterdir():
            (tmp / entry.name).symlink_to(entry)
