"""Write a scene's configured bands and decoded labels as analysis-ready GeoTIFFs."""

from rsseg.data.datasets import prepare_scene
from rsseg.files import write_json
from rsseg.scripting import run_rule


def main(snakemake):
    summary = prepare_scene(snakemake.input.image, snakemake.input.label, image_out=snakemake.output.image,
                            label_out=snakemake.output.label, dataset=snakemake.params.dataset,
                            skip_unscored=snakemake.params.skip_unscored,
                            georeferenced=snakemake.params.georeferenced)
    write_json(snakemake.output.info, {"scene": snakemake.wildcards.scene, **summary})


run_rule(main, snakemake)
