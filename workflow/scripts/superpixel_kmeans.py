"""Cluster one scene's superpixels on their mean spectra (the control of the FCN rows); write the label map and
the run record."""

from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_labels, read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import read_json, write_json
from rsseg.methods.superpixel_kmeans import SuperpixelKMeansParams, superpixel_kmeans_segment
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    settings = snakemake.params.superpixel_kmeans
    if hasattr(snakemake.input, "clusters_of"):  # the control at the FCN's count of the same seed and scene
        settings = {**settings, "clusters": max(2, read_json(snakemake.input.clusters_of)["n_segments"])}
    params = SuperpixelKMeansParams.from_config(settings)
    seed = int(snakemake.params.seed)
    image, valid, profile = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    with stopwatch() as times:
        labels, run = superpixel_kmeans_segment(image, valid, superpixels, params, seed=seed)
    write_labels(snakemake.output.labels, labels, profile)
    # scikit-learn's kernels run on the rule's threads
    write_json(snakemake.output.info, {"method": "superpixel_kmeans", **times, "threads": snakemake.threads,
                                       "n_segments": count_segments(labels, valid), **run,
                                       "params": {**asdict(params), "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
