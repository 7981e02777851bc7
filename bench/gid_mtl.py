"""Benchmark the segmentation methods on real GID-MTL crops: per tile, or tiled into one mosaic scene.

Reads ``gid-mtl5`` and ``gid-mtl15`` from ``--data`` (default ``../shared/data/gid_mtl`` beside the
repository; the crops are research-only and never part of the repository) and runs K-means, ISODATA
and the superpixel FCN with the settings of ``config/config.yaml``.

Per tile (the default): every 224x224 crop is a scene of its own. K-means and ISODATA aim at k = the
number of classes present in the tile (the reference figures of the data README are K-means with
that k: about 0.28 and 0.19 mean AMI); the FCN keeps its configured ``n_classes`` as the paper does,
but gets one 224 px window per epoch, 10 training steps instead of the hundreds of a GID scene.

``--mosaic``: the crops of a collection, in name order, are tiled row-major into one scene (empty
places of the last row are no data; the few 225 px crops are cut to 224), as a GID scene would be:
the FCN then trains on dozens of 512 px windows per epoch. K-means and ISODATA get k = the classes
of the collection. Every method runs once per ``--seeds`` value and the FCN once per ``--precision``;
the superpixels (which do not depend on the seed) are computed once and their time is added to the
FCN's. ``--write-mosaic DIR`` also writes each mosaic as ``DIR/<collection>/images/mosaic.tif`` and
``labels/mosaic.tif``, the layout of the workflow's ``gid-mtl5`` and ``gid-mtl15`` datasets.

    .venv/bin/python bench/gid_mtl.py --limit 10
    .venv/bin/python bench/gid_mtl.py --mosaic --seeds 0 1 2 --precision float32 bfloat16 --json mosaic.json
"""

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
import torch
import yaml
from PIL import Image

from rsseg import IGNORE_LABEL
from rsseg.config import method_settings
from rsseg.data.raster import write_labels, write_raster
from rsseg.data.tiling import window_shape
from rsseg.evaluation.metrics import segmentation_scores
from rsseg.methods.baselines import IsodataParams, isodata_segment, kmeans_segment
from rsseg.methods.consensus import (
    ConsensusParams,
    cluster_runs,
    consensus_segment_scene,
    run_probabilities,
    run_seed,
    run_settings,
    superpixel_scene,
)
from rsseg.methods.device import resolve_device
from rsseg.methods.fcn import FCNParams, compute_setting, segment_scene
from rsseg.methods.superpixels import SuperpixelParams, felzenszwalb_superpixels

REPO = Path(__file__).resolve().parents[1]
UNLABELLED = {"gid-mtl5": 5, "gid-mtl15": 15}
"""Class code of unlabelled pixels in each collection."""
FCN_METHODS = ("superpixel_fcn", "superpixel_fcn_consensus")
MOSAIC_METHODS = ("kmeans", "isodata", *FCN_METHODS)
Segmenter = Callable[[np.ndarray, np.ndarray, int], np.ndarray]
"""``(image, valid, k) -> labels``: a method given the number of classes to aim at."""
FCNRunner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``(image, valid, superpixels) -> labels``."""
Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


def read_tile(folder: Path, name: str, unlabelled: int) -> tuple[np.ndarray, np.ndarray]:
    """RGB tile as float32 ``(3, h, w)`` and its class map with unlabelled pixels set to IGNORE_LABEL."""
    image = np.asarray(Image.open(folder / "images" / name).convert("RGB"), dtype=np.float32)
    truth = np.asarray(Image.open(folder / "labels" / name))
    if truth.shape != image.shape[:2]:
        raise ValueError(f"{folder / 'labels' / name}: {truth.shape} does not match its image {image.shape[:2]}")
    return np.moveaxis(image, -1, 0), np.where(truth == unlabelled, IGNORE_LABEL, truth).astype(np.uint8)


def evenly_spaced(names: list[str], limit: int | None) -> list[str]:
    """At most ``limit`` names spread over the sorted list (names are grouped by class prefix)."""
    if limit is None or limit >= len(names):
        return names
    return [names[i] for i in np.linspace(0, len(names) - 1, limit).round().astype(int)]


def tile_names(folder: Path, limit: int | None) -> list[str]:
    return evenly_spaced(sorted(path.name for path in (folder / "images").glob("*.png")), limit)


def build_mosaic(tiles: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tile ``(image (bands, h, w), truth (h, w))`` pairs row-major into one scene.

    Every tile is cut to the smallest tile's size (GID-MTL has a few 225 px crops among the 224 px ones).
    The grid has ``ceil(sqrt(n))`` columns and as many rows as needed; places left empty in the last
    row are no data (invalid pixels, IGNORE_LABEL). Returns ``(image, valid, truth)``.
    """
    bands = tiles[0][0].shape[0]
    height, width = (min(tile.shape[axis] for tile, _ in tiles) for axis in (1, 2))
    columns = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    image = np.zeros((bands, rows * height, columns * width), dtype=np.float32)
    valid = np.zeros((rows * height, columns * width), dtype=bool)
    truth = np.full((rows * height, columns * width), IGNORE_LABEL, dtype=np.uint8)
    for index, (tile, tile_truth) in enumerate(tiles):
        place = np.s_[index // columns * height:(index // columns + 1) * height,
                      index % columns * width:(index % columns + 1) * width]
        image[(slice(None), *place)] = tile[:, :height, :width]
        valid[place] = True
        truth[place] = tile_truth[:height, :width]
    return image, valid, truth


def write_mosaic(folder: Path, image: np.ndarray, valid: np.ndarray, truth: np.ndarray) -> None:
    """``folder/images/mosaic.tif`` (uint8 RGB, 0 in every band where no data) and ``folder/labels/mosaic.tif``
    (class codes, 255 unlabelled), without georeferencing: the layout of the workflow's gid-mtl5 dataset."""
    pixels = np.where(valid, image, 0).astype(np.uint8)
    profile = dict(driver="GTiff", width=image.shape[2], height=image.shape[1], nodata=0, compress="deflate")
    write_raster(Path(folder) / "images" / "mosaic.tif", pixels, profile)
    write_labels(Path(folder) / "labels" / "mosaic.tif", truth, profile)


def superpixel_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``felzenszwalb_superpixels`` the config gives."""
    return asdict(SuperpixelParams.from_config(method_settings(config, "superpixels")))


def baseline_methods(config: Mapping[str, Any], seed: int) -> dict[str, Segmenter]:
    """``(image, valid, k) -> labels`` for K-means and ISODATA, configured as in the study but for k."""
    kmeans = {key: value for key, value in config["kmeans"].items() if key != "n_clusters"}
    isodata = {key: value for key, value in config["isodata"].items() if key != "desired_clusters"}
    return {
        "kmeans": lambda image, valid, k: kmeans_segment(image, valid, k, seed=seed, **kmeans),
        "isodata": lambda image, valid, k: isodata_segment(
            image, valid, IsodataParams(desired_clusters=k, **isodata), seed=seed),
    }


def cpu_timed(function: Callable[Arguments, Result], *args: Arguments.args, **kwargs: Arguments.kwargs
              ) -> tuple[Result, float, float]:
    """``(function(*args, **kwargs), wall seconds, CPU seconds of this process over all its threads)``."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start, time.process_time() - cpu


def per_tile(folder: Path, unlabelled: int, config: Mapping[str, Any], device: torch.device, seed: int,
             limit: int | None) -> list[tuple[str, str, int, float, float]]:
    """Rows ``(collection, method, tiles, mean AMI, seconds per Mpx)`` over the tiles of ``folder``."""
    superpixels = superpixel_settings(config)
    fcn = fcn_runner("superpixel_fcn", config, config["superpixel_fcn"]["precision"], device, seed)
    methods = {**baseline_methods(config, seed), "superpixel_fcn": lambda image, valid, k: fcn(
        image, valid, felzenszwalb_superpixels(image, valid, **superpixels))}
    names = tile_names(folder, limit)
    amis: dict[str, list[float]] = {method: [] for method in methods}
    seconds = dict.fromkeys(methods, 0.0)
    megapixels = 0.0
    for index, name in enumerate(names, 1):
        image, truth = read_tile(folder, name, unlabelled)
        valid = np.ones(truth.shape, dtype=bool)
        k = len(np.unique(truth[truth != IGNORE_LABEL]))
        megapixels += truth.size / 1e6
        line = []
        for method, segment in methods.items():
            labels, took, _ = cpu_timed(segment, image, valid, k)
            amis[method].append(segmentation_scores(labels, truth)["ami"])
            seconds[method] += took
            line.append(f"{method} {amis[method][-1]:.3f} ({took:.1f} s)")
        print(f"{folder.name} {index}/{len(names)} {name} k={k}: " + ", ".join(line), file=sys.stderr, flush=True)
    return [(folder.name, method, len(names), float(np.mean(amis[method])), seconds[method] / megapixels)
            for method in methods]


def fcn_runner(method: str, config: Mapping[str, Any], precision: str, device: torch.device, seed: int) -> FCNRunner:
    """``(image, valid, segments) -> labels`` of the published FCN or of the consensus of short runs."""
    fcn = FCNParams.from_config({**config["superpixel_fcn"], "precision": precision})
    if method == "superpixel_fcn":
        return lambda image, valid, segments: segment_scene(image, valid, segments, fcn, device=device, seed=seed)[0]
    consensus = ConsensusParams.from_config(config.get(ConsensusParams.section))
    return lambda image, valid, segments: consensus_segment_scene(image, valid, segments, fcn, consensus,
                                                                  device=device, seed=seed)[0]


def consensus_prefixes(image: np.ndarray, valid: np.ndarray, segments: np.ndarray, config: Mapping[str, Any],
                       precision: str, device: torch.device, seed: int, run_counts: Sequence[int],
                       save_to: Path | None = None) -> dict[int, tuple[np.ndarray, float, float]]:
    """The consensus of the first ``k`` runs for every ``k`` of ``run_counts``, from one training of the most:
    ``{k: (labels, wall seconds, CPU seconds)}``, each as if the method ran with ``runs: k`` (the first runs of
    a consensus do not depend on how many follow). ``save_to``: also write every run's superpixel probabilities
    there (``.npz``), to study other ways of combining them without training again."""
    fcn = FCNParams.from_config({**config["superpixel_fcn"], "precision": precision})
    params = ConsensusParams.from_config(config.get(ConsensusParams.section))

    scene, scene_wall, scene_cpu = cpu_timed(superpixel_scene, image, valid, segments)
    (run_params, compute, _), settings_wall, settings_cpu = cpu_timed(run_settings, fcn, params, scene, device)
    wall, cpu = scene_wall + settings_wall, scene_cpu + settings_cpu
    runs = []
    for run in range(max(run_counts)):
        (probabilities, _), run_wall, run_cpu = cpu_timed(run_probabilities, scene, run_params, device=device,
                                                          seed=run_seed(seed, run), setting=compute)
        runs.append((probabilities, run_wall, run_cpu))
    if save_to:
        np.savez_compressed(save_to, *[probabilities for probabilities, _, _ in runs])
    results: dict[int, tuple[np.ndarray, float, float]] = {}
    for count in run_counts:
        (labels, _), cluster_wall, cluster_cpu = cpu_timed(
            cluster_runs, scene, [probabilities for probabilities, _, _ in runs[:count]], params, seed=seed)
        results[count] = (labels, wall + cluster_wall + sum(run[1] for run in runs[:count]),
                          cpu + cluster_cpu + sum(run[2] for run in runs[:count]))
    return results


def mosaic(folder: Path, unlabelled: int, config: Mapping[str, Any], device: torch.device, seeds: Sequence[int],
           precisions: Sequence[str], limit: int | None, methods: Sequence[str], write_to: Path | None = None,
           run_counts: Sequence[int] | None = None, save_runs: Path | None = None) -> list[dict[str, Any]]:
    """One result dict per method (and FCN precision) and seed on the mosaic of ``folder``'s tiles; with
    ``run_counts``, one for the consensus of each number of runs (:func:`consensus_prefixes`)."""
    names = tile_names(folder, limit)
    image, valid, truth = build_mosaic([read_tile(folder, name, unlabelled) for name in names])
    if write_to:
        write_mosaic(Path(write_to) / folder.name, image, valid, truth)
    k = len(np.unique(truth[truth != IGNORE_LABEL]))
    height, width = truth.shape
    print(f"{folder.name}: {len(names)} tiles in a {width}x{height} px mosaic, {k} classes", file=sys.stderr,
          flush=True)
    if not set(methods) & set(FCN_METHODS):
        return []
    segments, superpixel_seconds, superpixel_cpu = cpu_timed(felzenszwalb_superpixels, image, valid,
                                                             **superpixel_settings(config))
    results: list[dict[str, Any]] = []

    def record(method: str, precision: str | None, seed: int, labels: np.ndarray, seconds: float,
               cpu_seconds: float) -> None:
        scores = segmentation_scores(labels, truth)
        results.append(dict(collection=folder.name, method=method, precision=precision, seed=seed, ami=scores["ami"],
                            n_segments=scores["n_segments"], seconds=seconds, cpu_seconds=cpu_seconds,
                            threads=torch.get_num_threads(), megapixels=truth.size / 1e6, tiles=len(names)))
        print(f"  {method} {precision or ''} seed {seed}: AMI {scores['ami']:.4f}, {seconds:.1f} s, "
              f"{cpu_seconds:.1f} CPU s", file=sys.stderr, flush=True)

    for seed in seeds:
        for method, segment in baseline_methods(config, seed).items():
            if method in methods:
                record(method, None, seed, *cpu_timed(segment, image, valid, k))
        for precision in precisions:
            params = FCNParams.from_config({**config["superpixel_fcn"], "precision": precision})
            setting = compute_setting(params, bands=image.shape[0], window=window_shape(height, width, params.window),
                                      device=device)[0].name
            for method in (m for m in FCN_METHODS if m in methods):
                if method == "superpixel_fcn_consensus" and run_counts:
                    save_to = save_runs and Path(save_runs) / f"{folder.name}-{setting.replace('/', '-')}-{seed}.npz"
                    prefixes = consensus_prefixes(image, valid, segments, config, precision, device, seed,
                                                  run_counts, save_to)
                    for count, (labels, seconds, cpu_seconds) in prefixes.items():
                        record(f"{method}/{count}runs", setting, seed, labels, superpixel_seconds + seconds,
                               superpixel_cpu + cpu_seconds)
                    continue
                labels, seconds, cpu_seconds = cpu_timed(fcn_runner(method, config, precision, device, seed), image,
                                                         valid, segments)
                record(method, setting, seed, labels, superpixel_seconds + seconds, superpixel_cpu + cpu_seconds)
    return results


def summarise_mosaic(results: list[dict[str, Any]]) -> None:
    """Mean and sample standard deviation over the seeds per collection, method and precision; ratios to
    float32."""
    groups: dict[tuple[str, str, str | None], list[dict[str, Any]]] = {}
    for row in results:
        groups.setdefault((row["collection"], row["method"], row["precision"]), []).append(row)
    print(f"{'collection':<11} {'method':<24} {'setting':<21} {'seeds':>5} {'mean AMI':>8} {'std':>6} "
          f"{'segments':>8} {'seconds':>8} {'CPU s':>8}")
    for (collection, method, precision), rows in groups.items():
        ami = [row["ami"] for row in rows]
        print(f"{collection:<11} {method:<24} {precision or '':<21} {len(rows):>5} {np.mean(ami):>8.4f} "
              f"{np.std(ami, ddof=1) if len(ami) > 1 else 0.0:>6.4f} "
              f"{np.mean([row['n_segments'] for row in rows]):>8.1f} {np.mean([row['seconds'] for row in rows]):>8.1f} "
              f"{np.mean([row['cpu_seconds'] for row in rows]):>8.1f}")
    for (collection, method, precision), rows in groups.items():
        published = groups.get((collection, "superpixel_fcn", precision))
        if not method.startswith("superpixel_fcn_consensus") or published is None:
            continue
        ami, published_ami = [row["ami"] for row in rows], [row["ami"] for row in published]
        cpu = np.mean([row["cpu_seconds"] for row in rows]) / np.mean([row["cpu_seconds"] for row in published])
        print(f"{collection} consensus against the published FCN ({precision}): mean AMI "
              f"{np.mean(ami) - np.mean(published_ami):+.4f}, sd {np.std(ami, ddof=1) if len(ami) > 1 else 0.0:.4f} "
              f"against {np.std(published_ami, ddof=1) if len(published_ami) > 1 else 0.0:.4f}, {cpu:.2f}x the CPU "
              "seconds")
    for (collection, method, precision), rows in groups.items():
        reference = groups.get((collection, method, "float32/" + (precision or "").partition("/")[2]))
        if precision is None or precision.startswith("float32") or reference is None:
            continue
        speed = np.mean([row["seconds"] for row in reference]) / np.mean([row["seconds"] for row in rows])
        change = np.mean([row["ami"] for row in rows]) - np.mean([row["ami"] for row in reference])
        print(f"{collection} {method} {precision}: {speed:.2f}x faster than float32, mean AMI {change:+.4f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data" / "gid_mtl",
                        help="folder holding gid-mtl5/ and gid-mtl15/ (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="tiles per collection, spread over the sorted names")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--seed", type=int, help="per-tile mode: the seed (default: the config's first)")
    parser.add_argument("--mosaic", action="store_true", help="tile each collection into one scene")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="mosaic mode (default: 0 1 2)")
    parser.add_argument("--precision", nargs="+", choices=["float32", "bfloat16", "auto"],
                        help="mosaic mode: FCN precisions to run (default: the config's)")
    parser.add_argument("--write-mosaic", type=Path, metavar="DIR", help="mosaic mode: also write the mosaics here")
    parser.add_argument("--json", type=Path, help="mosaic mode: write every run's scores and seconds here")
    parser.add_argument("--consensus-runs", type=int, nargs="+", metavar="K",
                        help="mosaic mode: score the consensus of the first K runs for each K, from one training")
    parser.add_argument("--save-runs", type=Path, metavar="DIR",
                        help="mosaic mode, with --consensus-runs: keep every run's superpixel probabilities here")
    parser.add_argument("--methods", nargs="*", choices=MOSAIC_METHODS, default=MOSAIC_METHODS,
                        help="mosaic mode: methods to run (default: all; none with --write-mosaic only writes)")
    args = parser.parse_args(argv)
    folders = [args.data / name for name in UNLABELLED if (args.data / name / "images").is_dir()]
    if not folders:
        print(f"No GID-MTL tiles under {args.data.resolve()} (expected gid-mtl5/ and gid-mtl15/ with images/ "
              "and labels/); nothing to benchmark.")
        return 0
    config = yaml.safe_load(args.config.read_text())
    device = resolve_device(args.device)
    if args.mosaic:
        precisions = args.precision or [config["superpixel_fcn"]["precision"]]
        results = [row for folder in folders for row in mosaic(
            folder, UNLABELLED[folder.name], config, device, args.seeds, precisions, args.limit, args.methods,
            args.write_mosaic, args.consensus_runs, args.save_runs)]
        print(f"device: {device}, seeds: {args.seeds}")
        summarise_mosaic(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0
    seed = config["seeds"][0] if args.seed is None else args.seed
    rows = [row for folder in folders
            for row in per_tile(folder, UNLABELLED[folder.name], config, device, seed, args.limit)]
    print(f"device: {device}, seed: {seed}")
    print(f"{'collection':<11} {'method':<15} {'tiles':>5} {'mean AMI':>8} {'s/Mpx':>8}")
    for collection, method, tiles, ami, speed in rows:
        print(f"{collection:<11} {method:<15} {tiles:>5} {ami:>8.3f} {speed:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
