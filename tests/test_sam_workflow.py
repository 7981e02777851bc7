"""The ISAgrSC2 chain of the real workflow on the tiny dataset, with random-weight checkpoints.

Real-ESRGAN, SAM ViT-B and CLIP ViT-B-32 are randomly initialised models of the published
architectures, installed through `weights.<model>.path` and the same loaders as the real files.
One scene, one 32 px patch and one SAM round keep it to a single SAM image-encoder pass.
"""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
import rasterio

from checkpoint_fixtures import write_random_clip, write_random_realesrgan, write_random_sam
from conftest import sha256_file
from rsseg.evaluation.farmland import FARMLAND_COLUMNS

pytestmark = pytest.mark.e2e

PATCH = 32


@pytest.fixture(scope="session")
def random_weights(tmp_path_factory):
    """``weights`` config entries pointing at random-weight checkpoints (with their sha256)."""
    folder = tmp_path_factory.mktemp("weights")
    files = {
        "realesrgan": ("realesrgan_x4plus", write_random_realesrgan(folder / "esrgan.pth", num_feat=8, num_block=1)),
        "sam": ("sam_vit_b", write_random_sam(folder / "sam_vit_b.pth", "vit_b")),
        "clip": ("clip_vit_b_32_openai", write_random_clip(folder / "clip.pth", "ViT-B-32")),
    }
    weights = {model: {"checkpoint": name, "path": str(path), "sha256": sha256_file(path)}
               for model, (name, path) in files.items()}
    weights["clip"]["model"] = "ViT-B-32-quickgelu"
    return weights


def sam_chain_config(config, weights):
    config["datasets"]["tiny"]["scenes"] = ["scene_a"]
    config["methods"] = ["sam_clip"]
    config["farmland_iou"] = True
    config["weights"] = weights
    config["patches"].update(size=PATCH, n_patches=1, min_valid_fraction=0.9)
    config["upscale"].update(tile=16, overlap=4)
    # random SAM weights score every mask low: accept all, one round, nothing refined
    config["sam"].update(points_per_side=4, points_per_batch=16, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                         max_rounds=1, refine_min_area_fraction=1.0, min_mask_px=16, min_leftover_px=16)
    config["classifier"].update(confidence=0.5, epochs=3, batch_size=8)
    return config


def test_sam_chain_writes_farmland_iou_and_sam_clip_rows_then_rejects_a_wrong_sam_file(tiny_workflow,
                                                                                        random_weights):
    tiny_workflow.write_config(sam_chain_config(tiny_workflow.config, random_weights))
    # once the scenes are prepared (scene names come from the dataset, and which have a scored pixel from their
    # preparation), a dry run lays out the whole chain
    tiny_workflow.run("results/tiny/scored_scenes.json")
    plan = tiny_workflow.run("--dry-run", "results/tiny_farmland_iou.csv")
    stats = (plan.stdout + plan.stderr).partition("Job stats:")[2].partition("total")[0].splitlines()[3:]
    jobs = dict(line.split() for line in stats)
    assert jobs == {"fetch_weights": "3", "sample_patches": "1", "upscale_patches": "1", "sam_iterative": "1",
                    "train_classifier": "1", "classify_segments": "1", "farmland_iou_table": "1"}
    tiny_workflow.run()  # the default target: with farmland_iou set, the whole chain and its figures
    results = tiny_workflow.workdir / "results"

    manifest = pd.read_csv(results / "tiny/patches/scene_a/manifest.csv")
    assert manifest["patch_id"].tolist() == ["scene_a_p000"]
    patch = manifest.iloc[0]
    patch_image, patch_label = (tiny_workflow.workdir / patch[c] for c in ("image", "label"))  # relative paths

    # SAM: an instance map on the patch grid, its segments listed
    with rasterio.open(patch_image) as img, rasterio.open(results / "tiny/sam/scene_a/labels/scene_a_p000.tif") as sam:
        sam_labels = sam.read(1)
        assert sam.dtypes[0] == "int32" and sam.shape == (PATCH, PATCH)
        assert sam.transform == img.transform and sam.crs == img.crs
    segments = pd.read_csv(results / "tiny/sam/scene_a/segments.csv")
    ids = np.unique(sam_labels[sam_labels > 0])
    assert ids.size >= 1 and sorted(segments["segment_id"]) == ids.tolist()
    assert (segments["round"] == 1).all() and not segments["refined"].any()
    assert segments["area_px"].tolist() == [int((sam_labels == i).sum()) for i in segments["segment_id"]]
    sam_info = json.loads((results / "tiny/sam/scene_a/info.json").read_text())
    assert sam_info["device"] == "cpu" and sam_info["model_type"] == "vit_b" and sam_info["seconds"] > 0

    # classifier: a head, its curve, and a zero-shot score for every segment
    head = joblib.load(results / "tiny/classifier/model.joblib")
    assert set(head.classes_) <= {0, 1}
    curve = pd.read_csv(results / "tiny/classifier/training_curve.csv")
    assert list(curve.columns) == ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    scored = pd.read_csv(results / "tiny/classifier/segments.csv")
    assert len(scored) == ids.size and scored["zero_shot_score"].between(0, 1).all() and scored["usable"].all()

    # farmland masks and their scores: the patch row and the pooled total agree for a single patch
    with rasterio.open(results / "tiny/farmland/scene_a/scene_a_p000.tif") as src:
        mask = src.read(1)
    assert mask.shape == (PATCH, PATCH) and set(np.unique(mask)) <= {0, 1}
    assert not mask[sam_labels == 0].any()
    table = pd.read_csv(results / "tiny_farmland_iou.csv")
    assert list(table.columns) == FARMLAND_COLUMNS
    assert table["patch_id"].tolist() == ["scene_a_p000", "total"]
    with rasterio.open(patch_label) as src:
        truth = src.read(1)
    farmland = truth == 1                                          # GID-5 class 1: farmland
    row = table.iloc[0]
    assert row.n_pixels == int((truth != 255).sum())
    assert row.tp == int((mask.astype(bool) & farmland).sum()) and row.fn == int((~mask.astype(bool) & farmland).sum())
    assert table.iloc[1][["tp", "fp", "fn", "n_pixels"]].tolist() == row[["tp", "fp", "fn", "n_pixels"]].tolist()

    # SAM+CLIP: on the scene grid, labelled only inside the patch, scored in the AMI table
    with rasterio.open(results / "tiny/scenes/scene_a/image.tif") as img, \
            rasterio.open(results / "tiny/segmentations/sam_clip/seed0/scene_a.tif") as seg:
        semantic = seg.read(1)
        assert seg.shape == img.shape == (96, 96) and seg.transform == img.transform and seg.crs == img.crs
    window = np.zeros(semantic.shape, dtype=bool)
    window[patch.row:patch.row + PATCH, patch.col:patch.col + PATCH] = True
    assert (semantic[~window] == 255).all()
    inside = semantic[window].reshape(PATCH, PATCH)
    np.testing.assert_array_equal(inside == 255, sam_labels == 0)
    assert inside[inside != 255].max() < 5                         # k = the dataset's 5 classes
    ami = pd.read_csv(results / "tiny_ami.csv").set_index("method")
    assert ami.index.tolist() == ["sam_clip"]
    assert ami.loc["sam_clip", "n_pixels"] == int(((inside != 255) & (truth != 255)).sum())
    assert ami.loc["sam_clip", "seconds"] >= sam_info["seconds"]

    # the report holds the farmland table and chart beside the AMI ones
    stored, html = tiny_workflow.report()
    # scene_a.png twice: the scene's figure and its quick-look
    assert stored == sorted(["tiny_ami.csv", "tiny_summary.csv", "tiny_clusters.csv", "tiny_farmland_iou.csv",
                             "ami.png", "clusters.png", "farmland_iou.png", "scene_a.png", "scene_a.png"])
    assert "Reference farmland classes: farmland." in html

    targets = ("results/tiny_farmland_iou.csv", "results/tiny_ami.csv")
    again = tiny_workflow.run(*targets)
    assert "Nothing to be done" in again.stdout + again.stderr

    # a Real-ESRGAN file given as SAM passes its checksum but not the SAM loader: one line naming it
    config = tiny_workflow.config
    config["weights"]["sam"] = {**random_weights["realesrgan"], "checkpoint": "sam_vit_b"}
    tiny_workflow.write_config(config)
    done = tiny_workflow.run(*targets, check=False)
    assert done.returncode != 0
    assert "resources/weights/sam.pth: is not a SAM vit_b checkpoint" in done.stderr


def test_missing_weights_file_names_it_its_sha256_and_where_to_get_it(tiny_workflow):
    config = tiny_workflow.config
    config["weights"]["clip"]["path"] = "/nonexistent/ViT-B-32.pt"
    tiny_workflow.write_config(config)
    done = tiny_workflow.run("resources/weights/clip.pth", check=False)
    assert done.returncode != 0
    assert ("/nonexistent/ViT-B-32.pt: does not exist (configured as weights.clip.path); download "
            "https://openaipublic.azureedge.net/clip/models/") in done.stderr
    assert "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af" in done.stderr
    assert not (tiny_workflow.workdir / "resources/weights/clip.pth").exists()
