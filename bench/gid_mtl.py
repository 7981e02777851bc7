"""Benchmark the segmentation methods on real GID-MTL tiles: mean per-tile AMI and seconds per megapixel.

Reads ``gid-mtl5`` and ``gid-mtl15`` from ``--data`` (default ``../shared/data/gid_mtl`` beside the
repository; the tiles are research-only and never part of the repository), runs K-means, ISODATA and
the superpixel FCN on every tile with the settings of ``config/config.yaml`` and prints a table.
K-means and ISODATA aim at k = the number of classes present in the tile (the reference figures in
the data README are K-means with that k: about 0.28 and 0.19 mean AMI); the FCN keeps its configured
``n_classes`` as the paper does. The superpixel FCN's time includes its Felzenszwalb superpixels.

    .venv/bin/python bench/gid_mtl.py --limit 10 --device auto
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from rsseg import IGNORE_LABEL
from rsseg.baselines import IsodataParams, isodata_segment, kmeans_segment
from rsseg.device import resolve_device
from rsseg.fcn import FCNParams, segment_scene
from rsseg.metrics import segmentation_scores
from rsseg.superpixels import felzenszwalb_superpixels

REPO = Path(__file__).resolve().parents[1]
UNLABELLED = {"gid-mtl5": 5, "gid-mtl15": 15}
"""Class code of unlabelled pixels in each collection."""


def read_tile(folder, name, unlabelled):
    """RGB tile as float32 ``(3, h, w)`` and its class map with unlabelled pixels set to IGNORE_LABEL."""
    image = np.asarray(Image.open(folder / "images" / name).convert("RGB"), dtype=np.float32)
    truth = np.asarray(Image.open(folder / "labels" / name))
    if truth.shape != image.shape[:2]:
        raise ValueError(f"{folder / 'labels' / name}: {truth.shape} does not match its image {image.shape[:2]}")
    return np.moveaxis(image, -1, 0), np.where(truth == unlabelled, IGNORE_LABEL, truth).astype(np.uint8)


def evenly_spaced(names, limit):
    """At most ``limit`` names spread over the sorted list (names are grouped by class prefix)."""
    if limit is None or limit >= len(names):
        return names
    return [names[i] for i in np.linspace(0, len(names) - 1, limit).round().astype(int)]


def build_methods(config, device, seed):
    """Functions ``(image, valid, k) -> labels`` per method, configured as in the study."""
    kmeans = {key: value for key, value in config["kmeans"].items() if key != "n_clusters"}
    isodata = {key: value for key, value in config["isodata"].items() if key != "desired_clusters"}
    superpixels = {key: config["superpixels"][key] for key in ("scale", "sigma", "min_size")}
    fcn = FCNParams(**config["superpixel_fcn"])

    def superpixel_fcn(image, valid, k):
        segments = felzenszwalb_superpixels(image, valid, **superpixels)
        return segment_scene(image, valid, segments, fcn, device, seed)[0]

    return {
        "kmeans": lambda image, valid, k: kmeans_segment(image, valid, k, seed=seed, **kmeans),
        "isodata": lambda image, valid, k: isodata_segment(
            image, valid, IsodataParams(desired_clusters=k, **isodata), seed=seed),
        "superpixel_fcn": superpixel_fcn,
    }


def benchmark(folder, unlabelled, methods, limit):
    """Per-method lists of per-tile AMI and total seconds and megapixels over the tiles of ``folder``."""
    names = evenly_spaced(sorted(path.name for path in (folder / "images").glob("*.png")), limit)
    results = {method: {"ami": [], "seconds": 0.0, "megapixels": 0.0} for method in methods}
    for index, name in enumerate(names, 1):
        image, truth = read_tile(folder, name, unlabelled)
        valid = np.ones(truth.shape, dtype=bool)
        k = len(np.unique(truth[truth != IGNORE_LABEL]))
        line = []
        for method, segment in methods.items():
            start = time.perf_counter()
            labels = segment(image, valid, k)
            seconds = time.perf_counter() - start
            ami = segmentation_scores(labels, truth)["ami"]
            results[method]["ami"].append(ami)
            results[method]["seconds"] += seconds
            results[method]["megapixels"] += truth.size / 1e6
            line.append(f"{method} {ami:.3f} ({seconds:.1f} s)")
        print(f"{folder.name} {index}/{len(names)} {name} k={k}: " + ", ".join(line), file=sys.stderr, flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data" / "gid_mtl",
                        help="folder holding gid-mtl5/ and gid-mtl15/ (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="tiles per collection, spread over the sorted names")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--seed", type=int, help="default: the config's seed")
    args = parser.parse_args(argv)
    folders = [args.data / name for name in UNLABELLED if (args.data / name / "images").is_dir()]
    if not folders:
        print(f"No GID-MTL tiles under {args.data.resolve()} (expected gid-mtl5/ and gid-mtl15/ with images/ "
              "and labels/); nothing to benchmark.")
        return 0
    config = yaml.safe_load(args.config.read_text())
    seed = config["seed"] if args.seed is None else args.seed
    device = resolve_device(args.device)
    methods = build_methods(config, device, seed)
    rows = []
    for folder in folders:
        for method, result in benchmark(folder, UNLABELLED[folder.name], methods, args.limit).items():
            rows.append((folder.name, method, len(result["ami"]), float(np.mean(result["ami"])),
                         result["seconds"] / result["megapixels"]))
    print(f"device: {device}, seed: {seed}")
    print(f"{'collection':<11} {'method':<15} {'tiles':>5} {'mean AMI':>8} {'s/Mpx':>8}")
    for collection, method, tiles, ami, speed in rows:
        print(f"{collection:<11} {method:<15} {tiles:>5} {ami:>8.3f} {speed:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
