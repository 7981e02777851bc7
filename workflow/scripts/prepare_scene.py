"""Write a scene's configured bands and decoded labels as analysis-ready GeoTIFFs."""

import json

from rsseg.datasets import prepare_scene
from rsseg.raster import atomic_path
from rsseg.scripting import run_rule


def main(snakemake):
    summary = prepare_scene(snakemake.input.image, snakemake.input.label, snakemake.output.image,
                            snakemake.output.label, snakemake.params.dataset)
    with atomic_path(snakemake.output.info) as tmp:
        tmp.write_text(json.dumps({"scene": snakemake.wildcards.scene, **summary}, indent=2))


run_rule(main, snakemake)
