"""What a source string names: a remote file (and its file name) or a local folder. Standard library only,
as the workflow's own process reads it too."""

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

REMOTE_PREFIXES = ("https://", "http://", "file://", "pip:")
GOOGLE_DRIVE_FILE = re.compile(r"^https://drive\.google\.com/(?:file/d/|open\?id=|uc\?(?:.*&)?id=)([\w-]+)")


def is_remote(source: str) -> bool:
    """Whether ``source`` is fetched (a URL or a package spec) rather than a local folder."""
    return source.startswith(REMOTE_PREFIXES)


def source_filename(source: str) -> str | None:
    """File name a source is saved under (for the manual-copy hint); None where the source names none."""
    if source.startswith("pip:") or GOOGLE_DRIVE_FILE.match(source):
        return None
    return Path(unquote(urlparse(source).path)).name or None
