"""The CUDA paths of both chains against the CPU's: the consensus, Real-ESRGAN, SAM and CLIP with small random weights.

Skipped on a machine without a CUDA GPU (CI); the FCN's settings on CUDA are in test_fcn.py.
"""

import copy
import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import adjusted_mutual_info_score

from checkpoint_fixtures import write_random_clip, write_random_sam
from rsseg import IGNORE_LABEL
from rsseg.isagrsc2.classifier import zero_shot_scores
from rsseg.isagrsc2.sam_iterative import SamParams, iterative_segment, make_sam_generator
from rsseg.isagrsc2.segment_features import clip_embeddings
from rsseg.isagrsc2.weights import load_clip, load_sam
from rsseg.methods.consensus import ConsensusParams, consensus_segment_scene
from test_consensus import TINY_FCN, tiny_scene
from test_upscale import display_range_model, upscale_image

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
CUDA = torch.device("cuda")


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_consensus_on_cuda_labels_whole_superpixels_and_finds_the_classes(precision):
    image, valid, superpixels, classes = tiny_scene()
    fcn = dataclasses.replace(TINY_FCN, precision=precision, layout="channels_last")
    params = ConsensusParams(runs=3, epochs=1, min_steps=6, downsample=2, window=24)
    labels, info = consensus_segment_scene(image.astype(np.float32), valid, superpixels, fcn, params, device=CUDA,
                                           seed=1)
    again, _ = consensus_segment_scene(image.astype(np.float32), valid, superpixels, fcn, params, device=CUDA,
                                       seed=1)
    assert info["dtype"] == precision and info["run_steps"] == 6
    assert (labels[~valid] == IGNORE_LABEL).all() and (labels[valid] < info["n_clusters"]).all()
    for segment in np.unique(superpixels[valid]):
        assert np.unique(labels[valid & (superpixels == segment)]).size == 1
    assert adjusted_mutual_info_score(classes[valid], labels[valid]) > 0.3
    # cuDNN may pick other kernels from one call to the next: the same seed agrees, if not bit for bit
    assert adjusted_mutual_info_score(labels[valid], again[valid]) > 0.9


def test_realesrgan_on_cuda_matches_the_cpu_in_float32_and_half(tmp_path):
    model = display_range_model(tmp_path)
    image = np.random.default_rng(0).integers(0, 256, size=(3, 40, 48), dtype=np.uint8)
    on_cpu = upscale_image(copy.deepcopy(model), image, tile=24, overlap=8).astype(int)
    on_cuda = upscale_image(copy.deepcopy(model), image, tile=24, overlap=8, device=CUDA).astype(int)
    in_half = upscale_image(copy.deepcopy(model), image, tile=24, overlap=8, device=CUDA, half=True).astype(int)
    assert on_cuda.shape == in_half.shape == (3, 160, 192) and on_cpu.std() > 20
    assert np.abs(on_cuda - on_cpu).max() <= 1 and np.abs(in_half - on_cpu).max() <= 2


def test_sam_on_cuda_embeds_like_the_cpu_and_the_iterative_loop_runs(tmp_path):
    path = write_random_sam(tmp_path / "sam.pth", "vit_b")
    image = np.random.default_rng(0).integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    batch = torch.from_numpy(np.random.default_rng(1).normal(size=(1, 3, 1024, 1024)).astype(np.float32))
    embeddings = {}
    for device in ("cpu", "cuda"):
        sam = load_sam(path, "vit_b", device)
        with torch.inference_mode():
            embeddings[device] = sam.image_encoder(batch.to(device)).float().cpu()
    assert embeddings["cuda"].shape == (1, 256, 64, 64)
    assert torch.allclose(embeddings["cuda"], embeddings["cpu"], rtol=1e-2, atol=1e-2)
    # random weights give no confident masks: thresholds at 0 let every mask through the whole loop on the GPU
    params = SamParams(points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0, min_mask_px=0,
                       min_leftover_px=0, max_rounds=2)
    generate = make_sam_generator(load_sam(path, "vit_b", CUDA), params)
    masks = generate(image)
    assert masks and all(mask.shape == (64, 64) and mask.dtype == bool for mask in masks)
    labels, props = iterative_segment(image, generate, params)
    assert labels.shape == (64, 64) and len(props) == np.unique(labels[labels > 0]).size


def test_clip_on_cuda_embeds_and_scores_like_the_cpu(tmp_path):
    path = write_random_clip(tmp_path / "clip.pth", "ViT-B-32")
    rng = np.random.default_rng(0)
    crops = [Image.fromarray(rng.integers(0, 256, size=(40, 40, 3), dtype=np.uint8)) for _ in range(3)]
    scores = {}
    for device in ("cpu", "cuda"):
        model, preprocess, tokenizer = load_clip(path, "ViT-B-32-quickgelu", device)
        embeddings = clip_embeddings(model, preprocess, crops, torch.device(device), batch_size=2)
        scores[device] = (embeddings, zero_shot_scores(model, tokenizer, embeddings, ["a field of wheat"],
                                                       ["a river", "a town"], device))
    assert scores["cuda"][0].shape == (3, 512)
    assert np.allclose((scores["cuda"][0] * scores["cpu"][0]).sum(axis=1), 1, atol=1e-3)  # cosine of unit vectors
    assert np.allclose(scores["cuda"][1], scores["cpu"][1], atol=1e-3)
