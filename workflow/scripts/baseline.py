"""Segment one prepared scene with a per-pixel baseline (K-means or ISODATA) and time it."""

import time
from dataclasses import asdict
from typing import Any

from rsseg.data.raster import read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import write_json
from rsseg.methods.baselines import IsodataParams, KMeansParams, isodata_segment, kmeans_segment
from rsseg.scripting import run_rule


def main(snakemake: Any) -> None:
    method = snakemake.wildcards.method
    seed = int(snakemake.params.seed)
    image, valid, profile = read_scene(snakemake.input.image)
    if method == "kmeans":
        kmeans = KMeansParams.from_config({"n_clusters": int(snakemake.params.n_clusters), **snakemake.params.kmeans})
        params = asdict(kmeans)
        start = time.perf_counter()
        labels = kmeans_segment(image, valid, seed=seed, **params)
    elif method == "isodata":
        isodata = IsodataParams.from_config(snakemake.params.isodata)
        params = asdict(isodata)
        start = time.perf_counter()
        labels = isodata_segment(image, valid, isodata, seed=seed)
    else:
        raise ValueError(f"unknown baseline method {method!r}; expected kmeans or isodata")
    seconds = time.perf_counter() - start
    write_labels(snakemake.output.labels, labels, profile)
    # scikit-learn's and numpy's kernels run on the rule's threads
    write_json(snakemake.output.info, {"method": method, "seconds": seconds, "threads": snakemake.threads,
                                       "n_segments": count_segments(labels, valid),
                                       "params": {**params, "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
