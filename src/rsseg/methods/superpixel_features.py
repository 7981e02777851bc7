"""The superpixels of a scene as rows to cluster: their ids over the valid pixels, sizes, mean values and
the boundary they share with their neighbours."""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans

from .. import IGNORE_LABEL
from ..data.spectra import standardise


def compact_superpixels(superpixels: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, int]:
    """Superpixel ids renumbered ``0..n-1`` over the valid pixels (``-1`` elsewhere) and ``n``.

    Ids must be non-negative integers; a superpixel with no valid pixel gets no number.
    """
    if superpixels.shape != valid.shape:
        raise ValueError(f"superpixels {superpixels.shape} and valid {valid.shape} must have the same shape")
    ids = superpixels[valid].astype(np.int64, copy=False)
    if ids.size and ids.min() < 0:
        raise ValueError("superpixel ids must be non-negative")
    present = np.bincount(ids) > 0 if ids.size else np.zeros(0, dtype=bool)
    number = np.cumsum(present, dtype=np.int64) - 1
    compact = np.full(valid.shape, -1, dtype=np.int32)
    compact[valid] = number[ids]
    return compact, int(present.sum())


def superpixel_sizes(compact: np.ndarray, n: int) -> np.ndarray:
    """The number of pixels of each superpixel of ``compact``: ``(n,)``, every one at least 1."""
    return np.bincount(compact[compact >= 0], minlength=n)


def superpixel_means(values: np.ndarray, compact: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Mean of each band of ``values`` ``(bands, h, w)`` over every superpixel of ``compact`` (``sizes`` pixels
    each, :func:`superpixel_sizes`): ``(n, bands)``."""
    inside = compact >= 0
    ids = compact[inside]
    sums = np.stack([np.bincount(ids, weights=band[inside], minlength=len(sizes)) for band in values], axis=1)
    means: np.ndarray = sums / sizes[:, None]
    return means


def superpixel_adjacency(compact: np.ndarray, n: int) -> sparse.csr_array:
    """Symmetric ``(n, n)`` matrix of the number of 4-connected pixel pairs two superpixels share."""
    firsts, seconds = [], []
    for a, b in ((compact[:, :-1], compact[:, 1:]), (compact[:-1], compact[1:])):
        boundary = (a != b) & (a >= 0) & (b >= 0)
        firsts.append(a[boundary])
        seconds.append(b[boundary])
    rows = np.concatenate(firsts + seconds)
    cols = np.concatenate(seconds + firsts)
    # duplicate (row, col) entries are summed: the length of the shared boundary
    return sparse.coo_array((np.ones(rows.size, dtype=np.float64), (rows, cols)), shape=(n, n)).tocsr()


def neighbour_means(features: np.ndarray, adjacency: sparse.csr_array) -> np.ndarray:
    """Each row's neighbours' mean row, weighted by the ``adjacency``; a row without neighbours keeps its own."""
    weights = np.asarray(adjacency.sum(axis=1)).ravel()
    means: np.ndarray = adjacency @ features
    alone = weights == 0
    means[~alone] /= weights[~alone, None]
    means[alone] = features[alone]
    return means


def unit_columns(features: np.ndarray) -> np.ndarray:
    """``features`` ``(n, d)`` with each column at zero mean and unit standard deviation (a constant column at 0),
    divided by ``sqrt(d)``: the rows then have unit mean square norm, whatever the number of bands."""
    spread = features.std(axis=0)
    scaled: np.ndarray = (features - features.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    scaled /= np.sqrt(features.shape[1])
    return scaled


@dataclass
class SuperpixelScene:
    """A standardised scene and the superpixels the runs' outputs are gathered on (:func:`superpixel_scene`)."""

    standardised: np.ndarray
    superpixels: np.ndarray
    valid: np.ndarray
    compact: np.ndarray
    sizes: np.ndarray


def superpixel_scene(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray, *,
                     in_place: bool = False) -> SuperpixelScene:
    """Standardise ``image`` and number its superpixels; ``in_place`` as in
    :func:`rsseg.methods.fcn.segment_scene`."""
    compact, n = compact_superpixels(superpixels, valid)
    if n == 0:
        raise ValueError("the image has no valid pixel to segment")
    return SuperpixelScene(standardise(image, valid, in_place=in_place), superpixels, valid, compact,
                           superpixel_sizes(compact, n))


def cluster_superpixels(scene: SuperpixelScene, features: np.ndarray, n_clusters: int, *, seed: int,
                        n_init: int) -> tuple[np.ndarray, int]:
    """K-means of the superpixels' feature rows ``(n, d)``, each weighted by its size so that it serves pixels as
    AMI counts them, from ``seed`` with ``n_init`` restarts; returns the uint8 label map (``IGNORE_LABEL``
    outside the valid pixels, constant within each superpixel) and the number of clusters, at most the number of
    superpixels."""
    n_clusters = min(n_clusters, len(scene.sizes))
    kmeans = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed)
    clusters = kmeans.fit_predict(features, sample_weight=scene.sizes).astype(np.uint8)
    labels = np.full(scene.valid.shape, IGNORE_LABEL, dtype=np.uint8)
    labels[scene.valid] = clusters[scene.compact[scene.valid]]
    return labels, n_clusters
