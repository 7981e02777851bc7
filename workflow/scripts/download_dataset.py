"""Fetch a dataset's archives, verify their checksums and unpack them atomically (or place a local folder).

Where the study may go without the dataset (``study.skip_missing``), a download that fails places the
dataset as the record of why, which the study table shows; the next run tries again.
"""

import logging
from pathlib import Path
from typing import Any

from rsseg.data.sources import check_scenes, fetch_archive, place_folder, place_unavailable, unpack
from rsseg.errors import InputError, one_line
from rsseg.files import log_for_remaking, remove_stale_temporaries
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    params, root = snakemake.params, snakemake.output.root
    if not params.archives:
        place_folder(params.source, root, manual=params.manual)
        check_scenes(root, params.layout, params.source, snakemake.wildcards.dataset)
        return
    for archive in params.archives:  # the job's own copies: a download killed half-way leaves up to gigabytes
        for stale in remove_stale_temporaries(Path(params.manual_dir) / archive["filename"]):
            logging.getLogger("download").info("removed %s, left by an interrupted download", stale)
    try:
        copies = [fetch_archive(archive["url"], archive["checksum"], Path(params.manual_dir) / archive["filename"])
                  for archive in params.archives]
    except InputError as err:
        if not params.may_be_missing:
            raise
        place_unavailable(root, one_line(err))
        log_for_remaking(root)
        logging.getLogger("download").warning("%s; the study lists dataset %s as missing (study.skip_missing), "
                                              "and the next run tries again", one_line(err),
                                              snakemake.wildcards.dataset)
        return
    unpack(copies, root)
    check_scenes(root, params.layout, root, snakemake.wildcards.dataset)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
