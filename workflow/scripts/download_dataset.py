"""Fetch a dataset's source, verify its sha256 and unpack it atomically (or link a local folder)."""

from pathlib import Path

from rsseg.datasets import link_folder, unpack
from rsseg.download import DownloadError, fetch, source_filename, verify_sha256
from rsseg.errors import InputError
from rsseg.scripting import run_rule

REMOTE_PREFIXES = ("https://", "http://", "file://", "pip:")


def main(snakemake):
    source, sha256 = snakemake.params.source, snakemake.params.sha256
    root = Path(snakemake.output.root)
    if not source.startswith(REMOTE_PREFIXES):
        link_folder(source, root)
        return
    manual_dir = Path(snakemake.params.manual_dir)
    name = source_filename(source) or f"{snakemake.wildcards.dataset}.download"
    archive = manual_dir / name
    if archive.exists():
        verify_sha256(archive, sha256)
    else:
        try:
            fetch(source, archive, sha256)
        except DownloadError as err:
            raise InputError(archive, f"missing and {err}; place a manual copy (sha256 {sha256}) "
                                      "at this path and rerun") from None
    unpack(archive, root)


run_rule(main, snakemake)
