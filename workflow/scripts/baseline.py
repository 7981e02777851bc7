"""Segment one prepared scene with a per-pixel baseline (K-means or ISODATA) and time it."""

import json
import time
from dataclasses import asdict

import numpy as np

from rsseg.baselines import IsodataParams, isodata_segment, kmeans_segment
from rsseg.raster import atomic_path, read_scene, write_labels
from rsseg.scripting import run_rule


def main(snakemake):
    method = snakemake.wildcards.method
    seed = int(snakemake.params.seed)
    image, valid, profile = read_scene(snakemake.input.image)
    if method == "kmeans":
        params = {"n_clusters": int(snakemake.params.n_clusters), **snakemake.params.kmeans}
        start = time.perf_counter()
        labels = kmeans_segment(image, valid, seed=seed, **params)
    elif method == "isodata":
        isodata = IsodataParams(**snakemake.params.isodata)
        params = asdict(isodata)
        start = time.perf_counter()
        labels = isodata_segment(image, valid, isodata, seed=seed)
    else:
        raise ValueError(f"unknown baseline method {method!r}; expected kmeans or isodata")
    seconds = time.perf_counter() - start
    write_labels(snakemake.output.labels, labels, profile)
    info = {"method": method, "seconds": seconds, "n_segments": int(np.count_nonzero(np.bincount(labels[valid]))),
            "params": {**params, "seed": seed}}
    with atomic_path(snakemake.output.info) as tmp:
        tmp.write_text(json.dumps(info, indent=2))


run_rule(main, snakemake)
