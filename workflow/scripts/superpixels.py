"""Felzenszwalb superpixels of one prepared scene, cached for every run of the superpixel FCN."""

import logging
from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_scene, write_labels
from rsseg.methods.superpixels import SuperpixelParams, felzenszwalb_superpixels
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    image, valid, profile = read_scene(snakemake.input.image)
    params = SuperpixelParams.from_config(snakemake.params.superpixels)
    superpixels = felzenszwalb_superpixels(image[list(snakemake.params.bands)], valid, **asdict(params),
                                           workers=snakemake.threads)
    logging.getLogger("superpixels").info("%d superpixels", int(superpixels.max()) + 1)
    # Superpixel ids exceed uint8, and every id is a real segment, so the raster has no nodata value.
    write_labels(snakemake.output.superpixels, superpixels, profile, nodata=None)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
