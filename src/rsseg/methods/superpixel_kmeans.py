"""Superpixel K-means: the control of the superpixel FCN and its consensus, with no network.

Each superpixel is described by its mean standardised spectrum (optionally with its neighbours' mean, weighted
by the shared boundary) and K-means, weighted by superpixel size, groups them into ``clusters`` classes. It sees
the same superpixels as the FCN, so what a network adds is what it scores above this row at the same number of
clusters (AMI rises with the number of clusters; docs/methods.md).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import IGNORE_LABEL
from ..params import FromConfig, Range
from .superpixel_features import (
    cluster_superpixels,
    neighbour_means,
    superpixel_adjacency,
    superpixel_means,
    superpixel_scene,
    unit_columns,
)


@dataclass
class SuperpixelKMeansParams(FromConfig):
    """``clusters``: the number of classes (the workflow fills ``None`` with the FCN's ``n_classes``);
    ``context_weight``: the weight of the neighbours' mean spectrum beside the superpixel's own (0: none);
    ``n_init``: K-means restarts, the best kept."""

    clusters: int
    context_weight: float = 0.0
    n_init: int = 4

    section = "superpixel_kmeans"
    bounds = {"clusters": Range(minimum=2, maximum=IGNORE_LABEL - 1), "context_weight": Range(minimum=0),
              "n_init": Range(minimum=1)}


def superpixel_kmeans_segment(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray,
                              params: SuperpixelKMeansParams, *, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Cluster the superpixels of one scene on their mean standardised spectra; returns ``(labels, info)``,
    ``labels`` uint8 ``(h, w)`` with ``IGNORE_LABEL`` outside ``valid``."""
    scene = superpixel_scene(image, valid, superpixels)
    features = unit_columns(superpixel_means(scene.standardised, scene.compact, scene.sizes))
    if params.context_weight:
        adjacency = superpixel_adjacency(scene.compact, len(scene.sizes))
        features = np.concatenate([features, params.context_weight * neighbour_means(features, adjacency)], axis=1)
    labels, n_clusters = cluster_superpixels(scene, features, params.clusters, seed=seed, n_init=params.n_init)
    return labels, {"n_superpixels": len(scene.sizes), "n_clusters": n_clusters}
