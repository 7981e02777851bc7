"""Segment one prepared scene with a per-pixel baseline (the rule's method, K-means or ISODATA) and time it."""

from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import write_json
from rsseg.methods.baselines import IsodataParams, KMeansParams, isodata_segment, kmeans_segment
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    method, settings, seed = snakemake.params.method, snakemake.params.settings, int(snakemake.params.seed)
    image, valid, profile = read_scene(snakemake.input.image)
    if method == "kmeans":
        params = asdict(KMeansParams.from_config(settings))
        with stopwatch() as times:
            labels = kmeans_segment(image, valid, seed=seed, **params)
    else:
        isodata = IsodataParams.from_config(settings)
        params = asdict(isodata)
        with stopwatch() as times:
            labels = isodata_segment(image, valid, isodata, seed=seed)
    write_labels(snakemake.output.labels, labels, profile)
    # scikit-learn's and numpy's kernels run on the rule's threads
    write_json(snakemake.output.info, {"method": method, **times, "threads": snakemake.threads,
                                       "n_segments": count_segments(labels, valid),
                                       "params": {**params, "seed": seed}})

snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
