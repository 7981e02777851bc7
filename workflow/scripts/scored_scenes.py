"""List a dataset's scenes with and without a scored pixel, from their prepare_scene records."""

import logging
from pathlib import Path
from typing import Any

from rsseg.files import read_json, write_json
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    scored: list[str] = []
    unscored: list[str] = []
    for path in snakemake.input.infos:
        (scored if read_json(path)["scored_pixels"] else unscored).append(Path(path).parent.name)
    if unscored:
        logging.getLogger("scored_scenes").warning(
            "%d of %d scenes have no scored pixel and are left out of the score tables: %s", len(unscored),
            len(scored) + len(unscored), ", ".join(unscored))
    write_json(snakemake.output.scenes, {"scored": scored, "unscored": unscored})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
