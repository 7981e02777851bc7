"""List a dataset's scenes with and without a scored pixel, from their prepare_scene records; a scene without one
stops the run unless skip_unscored_scenes (prepare_scene stopped on it already unless it was prepared with the
setting on)."""

import logging
from pathlib import Path
from typing import Any

from rsseg.data.datasets import UNSCORED_HINT
from rsseg.errors import InputError
from rsseg.files import read_json, write_json
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    scored: list[str] = []
    unscored: dict[str, Any] = {}
    for path in snakemake.input.infos:
        info = read_json(path)
        scene = Path(path).parent.name
        if info["scored_pixels"]:
            scored.append(scene)
        else:
            unscored[scene] = info["unscored"]
    if unscored and not snakemake.params.skip_unscored:
        first, *others = unscored
        more = f" ({len(others)} more scene(s) without one: {', '.join(others)})" if others else ""
        raise InputError(unscored[first]["file"], f"{unscored[first]['problem']}; {UNSCORED_HINT}{more}")
    if unscored:
        logging.getLogger("scored_scenes").warning(
            "%d of %d scenes have no scored pixel and are left out of the score tables: %s", len(unscored),
            len(scored) + len(unscored), ", ".join(unscored))
    write_json(snakemake.output.scenes, {"scored": scored, "unscored": list(unscored)})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
