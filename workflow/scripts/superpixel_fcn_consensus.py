"""Cluster the trained runs of the consensus on one scene; write the label map and the run record, whose seconds
are the training's and the clustering's together."""

from typing import Any

from rsseg.data.raster import read_labels, read_scene, write_labels
from rsseg.evaluation.metrics import count_segments
from rsseg.files import read_json, write_json
from rsseg.methods.consensus import ConsensusParams, cluster_runs, load_runs
from rsseg.methods.superpixel_features import superpixel_scene
from rsseg.scripting import run_rule, stopwatch


def main(snakemake: Any) -> None:
    params = ConsensusParams.from_config(snakemake.params.consensus)  # the clustering's settings; the rest unused
    seed = int(snakemake.params.seed)
    training = read_json(snakemake.input.runs_info)
    probabilities = load_runs(snakemake.input.runs)
    image, valid, profile = read_scene(snakemake.input.image)
    superpixels = read_labels(snakemake.input.superpixels, shape=valid.shape)
    with stopwatch() as times:
        scene = superpixel_scene(image, valid, superpixels, in_place=True)
        labels, clustering = cluster_runs(scene, probabilities, params, seed=seed)
    write_labels(snakemake.output.labels, labels, profile)
    seconds = {name: training[name] + times[name] for name in times}
    write_json(snakemake.output.info, {
        "method": "superpixel_fcn_consensus", **seconds, "cluster_seconds": times["seconds"],
        "n_segments": count_segments(labels, valid), **clustering,
        **{key: training[key] for key in ("threads", "dtype", "layout", "device", "run_seeds", "run_steps",
                                          "grid_windows", "run_losses", "train_seconds")},
        "params": {**training["params"], **snakemake.params.consensus, "seed": seed}})


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
