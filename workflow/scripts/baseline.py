"""Segment one prepared scene with a per-pixel baseline (the rule's method, K-means or ISODATA) and time it."""

import time
from dataclasses import asdict

from rsseg.methods.baselines import IsodataParams, KMeansParams, isodata_segment, kmeans_segment
from rsseg.files import write_json
from rsseg.evaluation.metrics import count_segments
from rsseg.data.raster import read_scene, write_labels
from rsseg.scripting import run_rule


def main(snakemake):
    method, settings, seed = snakemake.params.method, snakemake.params.settings, int(snakemake.params.seed)
    image, valid, profile = read_scene(snakemake.input.image)
    if method == "kmeans":
        params = asdict(KMeansParams.from_config(settings))
        start = time.perf_counter()
        labels = kmeans_segment(image, valid, seed=seed, **params)
    else:
        isodata = IsodataParams.from_config(settings)
        params = asdict(isodata)
        start = time.perf_counter()
        labels = isodata_segment(image, valid, isodata, seed=seed)
    seconds = time.perf_counter() - start
    write_labels(snakemake.output.labels, labels, profile)
    # scikit-learn's and numpy's kernels run on the rule's threads
    write_json(snakemake.output.info, {"method": method, "seconds": seconds, "threads": snakemake.threads,
                                       "n_segments": count_segments(labels, valid),
                                       "params": {**params, "seed": seed}})


run_rule(main, snakemake)
