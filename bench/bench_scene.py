"""Benchmark superpixel_fcn, its consensus and K-means on one full-size scene: seconds per stage, peak memory, AMI.

Builds a GID-sized scene (default 7200x6800 px, 4 bands) by mirror-tiling a prepared scene of the
workflow and its labels (default: the demo Landsat scene; make it first with
``snakemake --cores 1 results/demo/scenes/landsat/image.tif results/demo/scenes/landsat/label.tif``),
writes it as a GeoTIFF in a temporary folder, then runs the work of each workflow rule in a fresh
process, as Snakemake does: ``superpixels`` (read, Felzenszwalb, write), ``superpixel_fcn`` (read,
standardise, training, inference, write), ``consensus_runs`` and ``superpixel_fcn_consensus`` (the runs, then
their clustering, the consensus's CPU seconds against the FCN's of the same setting) and ``kmeans`` (read,
cluster, write). Each rule's peak resident memory is that process's ``ru_maxrss``, so it counts everything the
rule itself holds.
Hyper-parameters come from ``config/config.yaml``; options override a few of them for the benchmark.

    nice -n 10 .venv/bin/python bench/bench_scene.py --epochs 1 --device cpu
    .venv/bin/python bench/bench_scene.py --precision float32 bfloat16   # both, one after the other
    .venv/bin/python bench/bench_scene.py --precision float32 --layout channels_last contiguous
    .venv/bin/python bench/bench_scene.py --device cuda                  # published 10 epochs on a GPU
    .venv/bin/python bench/bench_scene.py --rules superpixels superpixel_fcn_consensus --size 3600x3400
"""

import argparse
import json
import logging
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import rasterio
import yaml
from rasterio.windows import Window

REPO = Path(__file__).resolve().parents[1]
PUBLISHED_EPOCHS = 10
RULES = ["superpixels", "superpixel_fcn", "superpixel_fcn_consensus", "kmeans"]
ROWS_PER_WRITE = 256
"""Rows of the built scene written at a time, so building it never holds the whole scene."""
Result = TypeVar("Result")


def mirror_indices(length: int, source_length: int) -> np.ndarray:
    """Indices ``0, 1, .., n-1, n-1, .., 0, 0, ..`` of length ``length``: a seamless mirror tiling."""
    period = np.arange(length) % (2 * source_length)
    return np.where(period < source_length, period, 2 * source_length - 1 - period)


def build_scene(image_path: Path, label_path: Path, width: int, height: int, folder: Path) -> tuple[Path, Path]:
    """Mirror-tile a scene and its labels to ``width`` x ``height`` px; returns the two new paths."""
    from rsseg.data.raster import block_layout

    out = {}
    for name, path in (("image", image_path), ("label", label_path)):
        with rasterio.open(path) as src:
            data, profile = src.read(), src.profile
        rows, cols = mirror_indices(height, data.shape[1]), mirror_indices(width, data.shape[2])
        profile.update(width=width, height=height, compress="deflate", **block_layout(width, height))
        out[name] = Path(folder) / f"{name}.tif"
        with rasterio.open(out[name], "w", **profile) as dst:
            for top in range(0, height, ROWS_PER_WRITE):
                block = data[:, rows[top:top + ROWS_PER_WRITE]][:, :, cols]
                dst.write(block, window=Window(0, top, width, block.shape[1]))
    return out["image"], out["label"]


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far (Linux reports ``ru_maxrss`` in KiB).

    Forked Felzenszwalb workers are left out: ``RUSAGE_CHILDREN`` would count the parent's pages
    they only share, so it says nothing about what they add (about one tile's graph each).
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of its finished children (worker processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class Stopwatch:
    """Wall-clock and CPU seconds (all threads, worker processes included) of consecutive named stages.

    CPU seconds are reported beside wall seconds because the machine may be shared: they do not
    grow when other processes take the cores, wall seconds do.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.last, self.last_cpu = time.perf_counter(), cpu_seconds()

    def lap(self, stage: str) -> None:
        now, now_cpu = time.perf_counter(), cpu_seconds()
        self.seconds[stage], self.cpu_seconds[stage] = now - self.last, now_cpu - self.last_cpu
        self.last, self.last_cpu = now, now_cpu

    def result(self, **extra: Any) -> dict[str, Any]:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "peak_rss_gib": peak_rss_gib(), **extra}


def setup_child_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="    %(name)s: %(message)s")


def superpixels_rule(image_path: Path, out_path: Path, bands: list[int], params: dict[str, Any]) -> dict[str, Any]:
    """The work of the ``superpixels`` rule; returns stage seconds, peak RSS and the superpixel count."""
    from rsseg.data.raster import read_scene, write_labels
    from rsseg.methods.superpixels import felzenszwalb_superpixels

    setup_child_logging()
    clock = Stopwatch()
    image, valid, profile = read_scene(image_path)
    clock.lap("read")
    superpixels = felzenszwalb_superpixels(image[bands], valid, **params)
    clock.lap("superpixels")
    write_labels(out_path, superpixels, profile, nodata=None)
    clock.lap("write")
    return clock.result(n_superpixels=int(superpixels.max()) + 1)


def superpixel_fcn_rule(image_path: Path, superpixels_path: Path, out_path: Path, settings: dict[str, Any],
                        device_choice: str, seed: int) -> dict[str, Any]:
    """The work of the ``superpixel_fcn`` rule; returns stage seconds, peak memory and the losses.

    Calls the steps of :func:`rsseg.methods.fcn.segment_scene` one by one to time each of them.
    """
    import torch

    from rsseg.data.raster import read_labels, read_scene, write_labels
    from rsseg.data.spectra import standardise
    from rsseg.data.tiling import window_shape
    from rsseg.methods.compute import describe_hardware
    from rsseg.methods.device import resolve_device
    from rsseg.methods.fcn import FCNParams, compute_setting, predict_labels, train_fcn

    setup_child_logging()
    device, params = resolve_device(device_choice), FCNParams.from_config(settings)
    clock = Stopwatch()
    image, valid, profile = read_scene(image_path)
    superpixels = read_labels(superpixels_path, shape=valid.shape)
    clock.lap("read")
    standardised = standardise(image, valid, in_place=True)  # as the rule does; it keeps ``superpixels``
    clock.lap("standardise")
    setting, choice = compute_setting(params, bands=image.shape[0], device=device,
                                      window=window_shape(valid.shape[0], valid.shape[1], params.window))
    clock.lap("choose")
    model, losses = train_fcn(standardised, valid, superpixels, params, device=device, seed=seed, setting=setting)
    clock.lap("training")
    labels = predict_labels(model, standardised, valid, params, device=device, setting=setting)
    clock.lap("inference")
    write_labels(out_path, labels, profile)
    clock.lap("write")
    extra = {"epoch_losses": losses, "device": str(device), "setting": setting.name, "chosen_by": choice["chosen_by"],
             "hardware": describe_hardware(choice["hardware"])}
    if device.type == "cuda":
        extra.update(gpu=torch.cuda.get_device_name(device),
                     peak_gpu_gib=torch.cuda.max_memory_allocated(device) / 2**30)
    return clock.result(**extra)


def consensus_runs_rule(image_path: Path, superpixels_path: Path, out_path: Path, fcn_settings: dict[str, Any],
                        consensus_settings: dict[str, Any], device: str, seed: int) -> dict[str, Any]:
    """The work of the ``consensus_runs`` rule; returns stage seconds, peak memory and how the runs computed."""
    from rsseg.data.raster import read_labels, read_scene
    from rsseg.methods.compute import describe_hardware
    from rsseg.methods.consensus import ConsensusParams, save_runs, train_runs
    from rsseg.methods.device import resolve_device
    from rsseg.methods.fcn import FCNParams
    from rsseg.methods.superpixel_features import superpixel_scene

    setup_child_logging()
    clock = Stopwatch()
    image, valid, _ = read_scene(image_path)
    superpixels = read_labels(superpixels_path, shape=valid.shape)
    clock.lap("read")
    scene = superpixel_scene(image, valid, superpixels, in_place=True)
    clock.lap("standardise")
    probabilities, info = train_runs(scene, FCNParams.from_config(fcn_settings),
                                     ConsensusParams.from_config(consensus_settings), device=resolve_device(device),
                                     seed=seed)
    clock.lap("runs")
    save_runs(out_path, probabilities)
    clock.lap("write")
    return clock.result(setting=f"{info['dtype']}/{info['layout']}", grid_windows=info["grid_windows"],
                        hardware=describe_hardware(info["compute_setting"]["hardware"]))


def consensus_cluster_rule(image_path: Path, superpixels_path: Path, runs_path: Path, out_path: Path,
                           consensus_settings: dict[str, Any], seed: int) -> dict[str, Any]:
    """The work of the ``superpixel_fcn_consensus`` rule (the clustering of the runs); returns stage seconds and
    peak memory."""
    from rsseg.data.raster import read_labels, read_scene, write_labels
    from rsseg.methods.consensus import ConsensusParams, cluster_runs, load_runs
    from rsseg.methods.superpixel_features import superpixel_scene

    setup_child_logging()
    clock = Stopwatch()
    probabilities = load_runs(runs_path)
    image, valid, profile = read_scene(image_path)
    superpixels = read_labels(superpixels_path, shape=valid.shape)
    clock.lap("read")
    scene = superpixel_scene(image, valid, superpixels, in_place=True)
    labels, _ = cluster_runs(scene, probabilities, ConsensusParams.from_config(consensus_settings), seed=seed)
    clock.lap("cluster")
    write_labels(out_path, labels, profile)
    clock.lap("write")
    return clock.result()


def kmeans_rule(image_path: Path, out_path: Path, n_clusters: int, params: dict[str, Any], seed: int) -> dict[str, Any]:
    """The work of the ``kmeans`` rule; returns stage seconds and peak RSS."""
    from rsseg.data.raster import read_scene, write_labels
    from rsseg.methods.baselines import kmeans_segment

    clock = Stopwatch()
    image, valid, profile = read_scene(image_path)
    clock.lap("read")
    labels = kmeans_segment(image, valid, n_clusters, seed=seed, **params)
    clock.lap("kmeans")
    write_labels(out_path, labels, profile)
    clock.lap("write")
    return clock.result()


def score(labels_path: Path, truth_path: Path) -> dict[str, Any]:
    from rsseg.data.raster import read_labels
    from rsseg.evaluation.metrics import segmentation_scores

    truth = read_labels(truth_path)
    return segmentation_scores(read_labels(labels_path, shape=truth.shape), truth)


def in_fresh_process(function: Callable[..., Result], *args: Any) -> Result:
    """Run ``function(*args)`` in a new process (spawned, like a Snakemake job) and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)


def report_rule(name: str, result: dict[str, Any]) -> None:
    stages = ", ".join(f"{stage} {seconds:.1f}/{result['cpu_seconds'][stage]:.1f}"
                       for stage, seconds in result["seconds"].items())
    print(f"{name:<24} {sum(result['seconds'].values()):8.1f} s wall {sum(result['cpu_seconds'].values()):8.1f} s CPU  "
          f"peak RSS {result['peak_rss_gib']:.2f} GiB  (wall/CPU s: {stages})", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from rsseg.config import method_settings
    from rsseg.methods.superpixels import SuperpixelParams

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="demo", help="dataset of the source scene (default: %(default)s)")
    parser.add_argument("--scene", default="landsat", help="prepared scene to tile (default: %(default)s)")
    parser.add_argument("--size", type=parse_size, default=(7200, 6800), metavar="WxH",
                        help="width x height of the benchmark scene in px (default: 7200x6800, a GID scene)")
    parser.add_argument("--epochs", type=int, help="FCN training epochs (default: the config's, published 10)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--precision", nargs="+", choices=["float32", "bfloat16", "auto"],
                        help="FCN precision; several run the FCN rule once each, one after the other, on the "
                             "same scene and superpixels (default: the config's)")
    parser.add_argument("--layout", nargs="+", choices=["channels_last", "contiguous", "auto"],
                        help="FCN memory layout; several run the FCN rule once per precision and layout "
                             "(default: the config's)")
    parser.add_argument("--superpixel-tile-size", type=int, metavar="PX",
                        help="Felzenszwalb tile size (default: the config's; 0: whole scene at once)")
    parser.add_argument("--superpixel-workers", type=int, metavar="N",
                        help="tiles segmented at once (default: the superpixels rule's threads in the config)")
    parser.add_argument("--rules", nargs="+", choices=RULES, default=RULES,
                        help="rules to run (default: all; superpixel_fcn needs superpixels)")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--seed", type=int, help="default: the config's first seed")
    parser.add_argument("--workdir", type=Path, help="keep the scene and outputs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if {"superpixel_fcn", "superpixel_fcn_consensus"} & set(args.rules) and "superpixels" not in args.rules:
        parser.error("superpixel_fcn and superpixel_fcn_consensus need the superpixels rule")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():  # say so now, not after building the scene and its superpixels
            parser.error("--device cuda, but torch sees no CUDA GPU on this machine")

    config = yaml.safe_load(args.config.read_text())
    dataset = config["datasets"][args.dataset]
    source = REPO / "results" / args.dataset / "scenes" / args.scene
    if not (source / "image.tif").exists() or not (source / "label.tif").exists():
        print(f"{source}/image.tif and label.tif are missing; make them with\n  .venv/bin/snakemake --cores 1 "
              f"{source.relative_to(REPO)}/image.tif {source.relative_to(REPO)}/label.tif", file=sys.stderr)
        return 1
    seed = config["seeds"][0] if args.seed is None else args.seed
    superpixels = asdict(SuperpixelParams.from_config(method_settings(config, "superpixels")))
    if args.superpixel_tile_size is not None:
        superpixels["tile_size"] = args.superpixel_tile_size or None
    rule_threads = config["resources"].get("superpixels", config["resources"]["default"])["threads"]
    superpixels["workers"] = rule_threads if args.superpixel_workers is None else args.superpixel_workers
    bands = [dataset["band_names"].index(name) for name in config["superpixels"]["bands"]]
    fcn = dict(config["superpixel_fcn"])
    if args.epochs is not None:
        fcn["epochs"] = args.epochs
    settings = [(precision, layout) for precision in args.precision or [fcn["precision"]]
                for layout in args.layout or [fcn["layout"]]]
    consensus = dict(config["superpixel_fcn_consensus"])
    n_clusters = config["kmeans"]["n_clusters"] or len(dataset["labels"]["classes"])
    kmeans = {key: value for key, value in config["kmeans"].items() if key != "n_clusters"}

    with tempfile.TemporaryDirectory(prefix="bench_scene.") as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        width, height = args.size
        start = time.perf_counter()
        image, truth = build_scene(source / "image.tif", source / "label.tif", width, height, folder)
        print(f"scene: {width}x{height} px ({width * height / 1e6:.1f} Mpx), mirror-tiled from "
              f"{source.relative_to(REPO)} "
              f"in {time.perf_counter() - start:.1f} s; seed {seed}; superpixels {superpixels}; "
              f"FCN {fcn}", flush=True)

        results = {}
        if "superpixels" in args.rules:
            results["superpixels"] = in_fresh_process(superpixels_rule, image, folder / "superpixels.tif", bands,
                                                      superpixels)
            report_rule("superpixels", results["superpixels"])
            print(f"{'':<24} {results['superpixels']['n_superpixels']} superpixels", flush=True)
        fcn_runs = []
        for precision, layout in settings if "superpixel_fcn" in args.rules else []:
            name = f"superpixel_fcn_{precision}_{layout}"
            fcn_runs.append(name)
            run = results[name] = in_fresh_process(
                superpixel_fcn_rule, image, folder / "superpixels.tif", folder / f"{name}.tif",
                {**fcn, "precision": precision, "layout": layout}, args.device, seed)
            report_rule(name, run)
            epoch = run["seconds"]["training"] / fcn["epochs"]
            epoch_cpu = run["cpu_seconds"]["training"] / fcn["epochs"]
            print(f"{'':<24} {run['hardware']}", flush=True)
            print(f"{'':<24} device {run['device']}, {run['setting']} ({run['chosen_by']}); "
                  f"per epoch {epoch:.1f} s wall, {epoch_cpu:.1f} s "
                  f"CPU; the published {PUBLISHED_EPOCHS} epochs: {PUBLISHED_EPOCHS * epoch:.0f} s wall, "
                  f"{PUBLISHED_EPOCHS * epoch_cpu:.0f} s CPU; "
                  f"losses {[round(loss, 4) for loss in run['epoch_losses']]}",
                  flush=True)
            if "gpu" in run:
                print(f"{'':<24} {run['gpu']}, peak GPU memory {run['peak_gpu_gib']:.2f} GiB", flush=True)
        consensus_runs = []
        for precision, layout in settings if "superpixel_fcn_consensus" in args.rules else []:
            name = f"superpixel_fcn_consensus_{precision}_{layout}"
            consensus_runs.append(name)
            trained = in_fresh_process(
                consensus_runs_rule, image, folder / "superpixels.tif", folder / f"{name}.npz",
                {**fcn, "precision": precision, "layout": layout}, consensus, args.device, seed)
            clustered = in_fresh_process(consensus_cluster_rule, image, folder / "superpixels.tif",
                                         folder / f"{name}.npz", folder / f"{name}.tif", consensus, seed)
            report_rule(f"{name} (runs)", trained)
            report_rule(f"{name} (clustering)", clustered)
            print(f"{'':<24} {trained['hardware']}; {trained['setting']}, {trained['grid_windows']} windows of the "
                  "runs' grid", flush=True)
            results[name] = {key: {**trained[key], **clustered[key]} for key in ("seconds", "cpu_seconds")}
            results[name]["peak_rss_gib"] = max(trained["peak_rss_gib"], clustered["peak_rss_gib"])
        if "kmeans" in args.rules:
            results["kmeans"] = in_fresh_process(kmeans_rule, image, folder / "kmeans.tif", n_clusters, kmeans, seed)
            report_rule("kmeans", results["kmeans"])

        methods = fcn_runs + consensus_runs + (["kmeans"] if "kmeans" in results else [])
        scores = {m: in_fresh_process(score, folder / f"{m}.tif", truth) for m in methods}
        total = {m: sum(results[m]["seconds"].values()) for m in methods}
        if methods:
            print(f"{'method':<24} {'AMI':>6} {'segments':>8} {'rule s':>8}  "
                  "(superpixel_fcn: without the superpixels rule)")
        for m in methods:
            print(f"{m:<24} {scores[m]['ami']:6.4f} {scores[m]['n_segments']:8d} {total[m]:8.1f}")
        cpu = {m: sum(results[m]["cpu_seconds"].values()) for m in methods}
        for published, consensus_run in zip(fcn_runs, consensus_runs, strict=False):  # the same settings, in order
            gain = scores[consensus_run]["ami"] - scores[published]["ami"]
            print(f"{consensus_run}: {cpu[consensus_run]:.0f} CPU s, {cpu[consensus_run] / cpu[published]:.2f}x "
                  f"{published}'s {cpu[published]:.0f}; AMI {gain:+.4f}; "
                  f"{cpu[consensus_run] / (width * height / 1e6):.2f} CPU s per Mpx")
        for m in fcn_runs[1:]:
            print(f"{fcn_runs[0]} / {m}: {total[fcn_runs[0]] / total[m]:.2f}x the rule's wall time, "
                  f"{results[fcn_runs[0]]['seconds']['training'] / results[m]['seconds']['training']:.2f}x the "
                  f"training's; AMI {scores[m]['ami'] - scores[fcn_runs[0]]['ami']:+.4f}")
        if fcn_runs and "superpixels" in results:
            superpixel_seconds = sum(results["superpixels"]["seconds"].values())
            for m in fcn_runs:
                line = f"{m}: superpixels + FCN rules {superpixel_seconds + total[m]:.0f} s"
                if fcn["epochs"] != PUBLISHED_EPOCHS:
                    training = results[m]["seconds"]["training"]
                    estimate = superpixel_seconds + total[m] + (PUBLISHED_EPOCHS / fcn["epochs"] - 1) * training
                    line += f"; with the published {PUBLISHED_EPOCHS} epochs (training scaled): {estimate:.0f} s"
                if "kmeans" in total:
                    line += (f"; {(superpixel_seconds + total[m]) / total['kmeans']:.1f}x K-means' time, "
                             f"AMI {scores[m]['ami'] - scores['kmeans']['ami']:+.4f}")
                print(line)
        peak = max(result["peak_rss_gib"] for result in results.values())
        print(f"peak RSS of any rule: {peak:.2f} GiB; of this driver: {peak_rss_gib():.2f} GiB")
        if args.workdir:
            (folder / "bench.json").write_text(json.dumps({"results": results, "scores": scores}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
