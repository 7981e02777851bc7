"""Felzenszwalb superpixels of one prepared scene, cached for every run of the superpixel FCN."""

import logging
from typing import Any

from rsseg.data.raster import read_scene, write_labels
from rsseg.methods.superpixels import felzenszwalb_superpixels
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    image, valid, profile = read_scene(snakemake.input.image)
    params = snakemake.params
    superpixels = felzenszwalb_superpixels(image[list(params.bands)], valid, scale=params.scale,
                                           sigma=params.sigma, min_size=params.min_size,
                                           tile_size=params.tile_size, workers=snakemake.threads)
    logging.getLogger("superpixels").info("%d superpixels", int(superpixels.max()) + 1)
    # Superpixel ids exceed uint8, and every id is a real segment, so the raster has no nodata value.
    write_labels(snakemake.output.superpixels, superpixels, profile, nodata=None)


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
