"""SAM+CLIP semantic map of one scene: k-means of its patches' segment embeddings, on the scene grid."""

import json
import time

from rsseg import IGNORE_LABEL
from rsseg.classifier import iter_scene_patches
from rsseg.device import resolve_device, seed_everything
from rsseg.raster import atomic_path, open_raster, write_labels
from rsseg.sam_clip import scene_semantic_map
from rsseg.sam_iterative import read_manifest
from rsseg.scripting import run_rule
from rsseg.weights import load_clip


def main(snakemake):
    params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output
    seed_everything(params.seed)
    device = resolve_device(params.device)
    clip = load_clip(inputs.clip, params.clip_model, device)
    with open_raster(inputs.image) as src:
        profile, shape = src.profile, src.shape
    manifest = read_manifest(inputs.manifest)
    placement = {p.patch_id: (int(p.row), int(p.col)) for p in manifest.itertuples()}
    start = time.perf_counter()
    patches = iter_scene_patches([inputs.manifest], [inputs.upscaled], [inputs.sam_labels])
    labels, n_segments = scene_semantic_map(patches, placement, shape, clip, device, params.n_clusters,
                                            params.seed, params.batch_size)
    seconds = time.perf_counter() - start
    write_labels(outputs.labels, labels, profile)
    sam_info = json.loads(open(inputs.sam_info).read())
    # SAM's time is part of the method's; Real-ESRGAN's is not timed (a shared preprocessing step)
    info = {"method": "sam_clip", "seconds": sam_info["seconds"] + seconds, "sam_seconds": sam_info["seconds"],
            "clip_seconds": seconds, "device": str(device), "n_segments": n_segments,
            "n_clusters": params.n_clusters, "labelled_fraction": float((labels != IGNORE_LABEL).mean()),
            "seed": params.seed}
    with atomic_path(outputs.info) as tmp:
        tmp.write_text(json.dumps(info, indent=2))


run_rule(main, snakemake)
