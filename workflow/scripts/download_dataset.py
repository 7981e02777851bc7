"""Fetch a dataset's archives, verify their checksums and unpack them atomically (or link a local folder)."""

from pathlib import Path

from rsseg.scripting import run_rule
from rsseg.data.sources import fetch_archive, link_folder, unpack


def main(snakemake):
    params = snakemake.params
    if not params.archives:
        link_folder(params.source, snakemake.output.root, manual=params.manual)
        return
    copies = [fetch_archive(archive["url"], archive["checksum"], Path(params.manual_dir) / archive["filename"])
              for archive in params.archives]
    unpack(copies, snakemake.output.root)


run_rule(main, snakemake)
