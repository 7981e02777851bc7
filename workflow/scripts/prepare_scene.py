"""Write a scene's configured bands and decoded labels as analysis-ready GeoTIFFs."""

from typing import Any

from rsseg.data.datasets import prepare_scene
from rsseg.files import write_json
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    summary = prepare_scene(snakemake.input.image, snakemake.input.label, image_out=snakemake.output.image,
                            label_out=snakemake.output.label, dataset=snakemake.params.dataset,
                            skip_unscored=snakemake.params.skip_unscored,
                            georeferenced=snakemake.params.georeferenced)
    write_json(snakemake.output.info, {"scene": snakemake.wildcards.scene, **summary})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
