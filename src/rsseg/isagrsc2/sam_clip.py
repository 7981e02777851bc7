"""The SAM+CLIP semantic map: SAM segments grouped by k-means of their CLIP image embeddings.

All segments of a scene's patches are clustered together, so a cluster id means the same thing in
every patch; the patch maps are then pasted into the scene grid, so the map is scored like any other
method. Pixels outside the patches, and unsegmented pixels inside them, are :data:`IGNORE_LABEL`.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.cluster import KMeans

from .. import IGNORE_LABEL
from ..params import FromConfig, Range
from .segment_features import Clip, SegmentModels, paint_segment_values, patch_features
from .segmented_patches import SegmentedPatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamClipParams(FromConfig):
    """The SAM+CLIP map: ``n_clusters`` K-means clusters of the segments' CLIP embeddings (the workflow sets it to the
    dataset's number of classes unless configured), the best of ``n_init`` starts; ``batch_size`` segment crops
    per CLIP pass."""

    n_clusters: int
    n_init: int = 4
    batch_size: int = 32

    section = "sam_clip"
    bounds = {"n_clusters": Range(minimum=1, maximum=IGNORE_LABEL - 1), "n_init": Range(minimum=1),
              "batch_size": Range(minimum=1)}


def cluster_segments(embeddings: np.ndarray, k: int, seed: int, n_init: int = SamClipParams.n_init) -> np.ndarray:
    """KMeans cluster (0..k-1) per segment embedding, the best of ``n_init`` starts; k is capped at the number of
    segments."""
    if not 1 <= k < IGNORE_LABEL:
        raise ValueError(f"the number of clusters must be in [1, {IGNORE_LABEL - 1}], got {k}")
    if len(embeddings) == 0:
        return np.zeros(0, dtype=np.int64)
    model = KMeans(n_clusters=min(k, len(embeddings)), n_init=n_init, random_state=seed)
    clusters: np.ndarray = model.fit_predict(np.asarray(embeddings, dtype=np.float64))
    return clusters


def semantic_map(labels: np.ndarray, segment_ids: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """uint8 map of each pixel's segment cluster; unsegmented pixels and unlisted segments get 255."""
    return paint_segment_values(labels, segment_ids, np.asarray(clusters), IGNORE_LABEL, np.uint8)


def paste_patch_maps(shape: tuple[int, int], placed_maps: Iterable[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Scene map of ``shape`` from ``(row, col, patch_map)`` pieces, :data:`IGNORE_LABEL` elsewhere.

    Sampled patches may overlap: a later patch only overwrites where it has a label of its own.
    """
    scene = np.full(shape, IGNORE_LABEL, dtype=np.uint8)
    for row, col, patch_map in placed_maps:
        height, width = patch_map.shape
        if row < 0 or col < 0 or row + height > shape[0] or col + width > shape[1]:
            raise ValueError(f"a {height}x{width} patch at row {row}, col {col} is outside the "
                             f"{shape[0]}x{shape[1]} scene")
        window = scene[row:row + height, col:col + width]
        labelled = patch_map != IGNORE_LABEL
        window[labelled] = patch_map[labelled]
    return scene


def scene_semantic_map(patches: Iterable[SegmentedPatch], *, placement: Mapping[str, tuple[int, int]],
                       shape: tuple[int, int], clip: Clip, device: torch.device, params: SamClipParams, seed: int
                       ) -> tuple[np.ndarray, int]:
    """The SAM+CLIP map of one scene on its grid (uint8, 255 = no label) and the number of segments.

    ``patches`` are the scene's patches; ``placement`` maps each patch_id to its ``(row, col)`` in
    the scene; ``clip`` is ``(model, preprocess, tokenizer)``.
    """
    models = SegmentModels(device=device, clip=clip)
    kept, blocks = [], []
    for patch in patches:
        ids, embeddings, _ = patch_features(patch, models, features="clip", batch_size=params.batch_size)
        kept.append((patch.patch_id, patch.labels, ids))
        blocks.append(embeddings)
    if not kept:
        raise ValueError("no patch to map")
    clusters = cluster_segments(np.concatenate(blocks), params.n_clusters, seed, params.n_init)
    placed, start = [], 0
    for patch_id, labels, ids in kept:
        row, col = placement[patch_id]
        placed.append((row, col, semantic_map(labels, ids, clusters[start:start + ids.size])))
        start += ids.size
    log.info("%d segments of %d patches in %d clusters", start, len(kept), len(np.unique(clusters)))
    return paste_patch_maps(shape, placed), start
