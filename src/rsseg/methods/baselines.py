"""Per-pixel spectral clustering baselines: K-means and ISODATA.

Both standardise the bands, fit cluster centres on a seeded random sample of valid pixels and then
label every valid pixel with its nearest centre, strip by strip, so a full GID scene
(7200x6800x4) needs one float32 copy of the image and no float64 ``(pixels, bands)`` array.
"""

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from .. import IGNORE_LABEL
from ..data.spectra import standardise
from ..params import FromConfig, Range

log = logging.getLogger(__name__)

MAX_CLUSTERS = IGNORE_LABEL
"""Labels are uint8 and 255 marks invalid pixels, so at most 255 clusters (0..254)."""

CHUNK_PIXELS = 1 << 18
"""Pixels per distance computation: bounds the float64 ``(pixels, clusters)`` scratch array."""

SPLIT_OFFSET = 0.5
"""ISODATA split: new centres sit this many standard deviations either side along the widest band
(the factor k of Tou & Gonzalez, who suggest 0 < k <= 1)."""


def nearest_centres(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre (Euclidean) for each row of ``pixels`` ``(n, bands)``."""
    centres = np.asarray(centres, dtype=np.float64)
    # |x - c|^2 = |x|^2 - 2 x.c + |c|^2; |x|^2 is the same for every centre so it cannot change the argmin.
    centre_norms = np.einsum("kb,kb->k", centres, centres)
    nearest = np.empty(len(pixels), dtype=np.intp)
    for start in range(0, len(pixels), CHUNK_PIXELS):
        chunk = np.asarray(pixels[start:start + CHUNK_PIXELS], dtype=np.float64)
        scores = chunk @ (-2.0 * centres.T)
        scores += centre_norms
        nearest[start:start + CHUNK_PIXELS] = scores.argmin(axis=1)
    return nearest


def strip_rows(height: int, width: int) -> list[tuple[int, int]]:
    """Row ranges of strips holding about ``CHUNK_PIXELS`` pixels each."""
    rows = max(1, CHUNK_PIXELS // max(width, 1))
    return [(top, min(top + rows, height)) for top in range(0, height, rows)]


def label_by_nearest_centre(features: np.ndarray, valid: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Label map (uint8) of the nearest centre for every valid pixel of ``features`` ``(bands, h, w)``."""
    if len(centres) > MAX_CLUSTERS:
        raise ValueError(f"{len(centres)} clusters do not fit a uint8 label map (at most {MAX_CLUSTERS})")
    labels = np.full(valid.shape, IGNORE_LABEL, dtype=np.uint8)
    for top, bottom in strip_rows(*valid.shape):
        strip_valid = valid[top:bottom]
        pixels = features[:, top:bottom][:, strip_valid].T
        labels[top:bottom][strip_valid] = nearest_centres(pixels, centres)
    return labels


def sample_valid_pixels(features: np.ndarray, valid: np.ndarray, size: int, rng: np.random.Generator
                        ) -> np.ndarray:
    """A uniform random sample (without replacement) of at most ``size`` valid pixels, ``(n, bands)``.

    Draws ranks among the valid pixels and finds them strip by strip, so no index array over the
    whole scene is built.
    """
    n_valid = int(np.count_nonzero(valid))
    if n_valid == 0:
        raise ValueError("the image has no valid pixels to cluster")
    ranks = np.sort(rng.choice(n_valid, size=min(size, n_valid), replace=False))
    parts, seen = [], 0
    for top, bottom in strip_rows(*valid.shape):
        positions = np.flatnonzero(valid[top:bottom])
        lo, hi = np.searchsorted(ranks, [seen, seen + len(positions)])
        strip = features[:, top:bottom].reshape(features.shape[0], -1)
        parts.append(strip[:, positions[ranks[lo:hi] - seen]].T)
        seen += len(positions)
    return np.concatenate(parts)


@dataclass(frozen=True)
class KMeansParams(FromConfig):
    """K-means settings; the workflow sets ``n_clusters`` to the dataset's number of classes unless configured."""

    n_clusters: int
    sample_size: int = 200_000  # pixels the centres are fitted on
    n_init: int = 4  # scikit-learn's restarts from different centres; the best is kept

    section = "kmeans"
    bounds = {"n_clusters": Range(minimum=1, maximum=MAX_CLUSTERS), "sample_size": Range(minimum=100),
              "n_init": Range(minimum=1)}


def kmeans_segment(image: np.ndarray, valid: np.ndarray, n_clusters: int, *,
                   sample_size: int = KMeansParams.sample_size, n_init: int = KMeansParams.n_init,
                   seed: int = 0) -> np.ndarray:
    """K-means on standardised pixel spectra; returns uint8 labels with 255 on invalid pixels.

    ``image`` is ``(bands, h, w)``, ``valid`` a boolean ``(h, w)`` mask; the other arguments are the fields
    of :class:`KMeansParams`.
    """
    KMeansParams(n_clusters, sample_size, n_init)  # refuses settings out of bounds
    features = standardise(image, valid)
    rng = np.random.default_rng(seed)
    sample = sample_valid_pixels(features, valid, sample_size, rng)
    model = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit(sample)
    return label_by_nearest_centre(features, valid, model.cluster_centers_)


@dataclass
class IsodataParams(FromConfig):
    """ISODATA settings (Tou & Gonzalez 1974 notation in brackets); distances are in standard
    deviations of the standardised bands."""

    desired_clusters: int  # [K] number of clusters aimed at
    initial_clusters: int | None = None  # clusters to start from; None: desired_clusters
    max_iterations: int = 20  # [I]
    min_cluster_size: float = 0.001  # [theta_N] as a fraction (0 <= x < 1) of the sampled pixels
    max_std: float = 1.0  # [theta_S] split a cluster whose largest per-band std exceeds this
    min_distance: float = 0.5  # [theta_C] merge centres closer than this
    max_merges_per_iteration: int = 2  # [L]
    sample_size: int = 200_000  # pixels the centres are fitted on

    section = "isodata"
    bounds = {"desired_clusters": Range(minimum=1, maximum=MAX_CLUSTERS),
              "initial_clusters": Range(minimum=1, maximum=MAX_CLUSTERS), "max_iterations": Range(minimum=1),
              "min_cluster_size": Range(minimum=0, exclusive_maximum=1), "max_std": Range(exclusive_minimum=0),
              "min_distance": Range(minimum=0), "max_merges_per_iteration": Range(minimum=0),
              "sample_size": Range(minimum=100)}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.initial_clusters is None:
            self.initial_clusters = self.desired_clusters


@dataclass
class IsodataFit:
    """Fitted centres and how often each ISODATA step changed the cluster set."""

    centres: np.ndarray
    splits: int = 0
    merges: int = 0
    discards: int = 0


def cluster_means(samples: np.ndarray, labels: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(labels, minlength=n_clusters)
    sums = np.stack([np.bincount(labels, band, minlength=n_clusters) for band in samples.T], axis=1)
    return sums / counts[:, None], counts


def split_clusters(samples: np.ndarray, labels: np.ndarray, centres: np.ndarray, counts: np.ndarray,
                   params: IsodataParams, min_members: float, fit: IsodataFit) -> np.ndarray:
    """Tou & Gonzalez steps 8-10: split wide clusters; returns the new centres."""
    n = len(centres)
    deviations = samples - centres[labels]
    distances = np.linalg.norm(deviations, axis=1)
    mean_distance = np.bincount(labels, distances, minlength=n) / counts
    overall_distance = distances.mean()
    stds = np.sqrt(np.stack([np.bincount(labels, d * d, minlength=n) for d in deviations.T], axis=1)
                   / counts[:, None])
    widest = stds.argmax(axis=1)
    largest_std = stds[np.arange(n), widest]
    too_few = n <= params.desired_clusters / 2
    wanted = (largest_std > params.max_std) & (
        too_few | ((mean_distance > overall_distance) & (counts > 2 * (min_members + 1))))
    new_centres = []
    for j in np.flatnonzero(wanted)[:MAX_CLUSTERS - n]:
        offset = np.zeros(centres.shape[1])
        offset[widest[j]] = SPLIT_OFFSET * largest_std[j]
        new_centres.append(centres[j] - offset)
        centres[j] = centres[j] + offset
    fit.splits += len(new_centres)
    return np.vstack([centres, *new_centres]) if new_centres else centres


def merge_clusters(centres: np.ndarray, counts: np.ndarray, params: IsodataParams, fit: IsodataFit) -> np.ndarray:
    """Tou & Gonzalez steps 11-13: merge up to L closest pairs nearer than theta_C, each centre once."""
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    first, second = np.triu_indices(len(centres), k=1)
    close = gaps[first, second] < params.min_distance
    pairs = sorted(zip(gaps[first, second][close], first[close], second[close], strict=True))
    merged: set[int] = set()
    new_centres: list[np.ndarray] = []
    for _, i, j in pairs:
        if len(new_centres) == params.max_merges_per_iteration:
            break
        if i in merged or j in merged:
            continue
        merged.update((i, j))
        new_centres.append((counts[i] * centres[i] + counts[j] * centres[j]) / (counts[i] + counts[j]))
    if not new_centres:
        return centres
    fit.merges += len(new_centres)
    kept = [c for c in range(len(centres)) if c not in merged]
    return np.vstack([centres[kept], *new_centres])


def fit_isodata(samples: np.ndarray, params: IsodataParams, rng: np.random.Generator) -> IsodataFit:
    """ISODATA (Ball & Hall 1965, in the form of Tou & Gonzalez 1974) on ``samples`` ``(n, bands)``.

    Each iteration assigns samples, discards clusters below ``min_cluster_size`` (their samples join
    the next nearest centre), updates centres, then splits wide clusters when there are too few
    (at most K/2) or on odd iterations below 2K clusters, and otherwise merges close pairs. The last
    iteration only assigns and updates.
    """
    samples = np.asarray(samples, dtype=np.float64)
    n_samples = len(samples)
    min_members = params.min_cluster_size * n_samples
    assert params.initial_clusters is not None  # IsodataParams.__post_init__ fills it from desired_clusters
    start = rng.choice(n_samples, size=min(params.initial_clusters, n_samples), replace=False)
    fit = IsodataFit(centres=samples[start].copy())
    for iteration in range(1, params.max_iterations + 1):
        centres = fit.centres
        labels = nearest_centres(samples, centres)
        counts = np.bincount(labels, minlength=len(centres))
        keep = counts >= max(min_members, 1)
        if not keep.any():
            keep[counts.argmax()] = True
        if not keep.all():
            fit.discards += int(np.count_nonzero(~keep))
            centres = centres[keep]
            labels = nearest_centres(samples, centres)
        centres, counts = cluster_means(samples, labels, len(centres))
        if iteration < params.max_iterations:
            n = len(centres)
            before = fit.splits
            if n <= params.desired_clusters / 2 or (iteration % 2 == 1 and n < 2 * params.desired_clusters):
                centres = split_clusters(samples, labels, centres, counts, params, min_members, fit)
            if fit.splits == before:
                centres = merge_clusters(centres, counts, params, fit)
        fit.centres = centres
        log.debug("ISODATA iteration %d: %d clusters", iteration, len(centres))
    log.info("ISODATA: %d clusters after %d iterations (%d splits, %d merges, %d discarded)",
             len(fit.centres), params.max_iterations, fit.splits, fit.merges, fit.discards)
    return fit


def isodata_segment(image: np.ndarray, valid: np.ndarray, params: IsodataParams, *, seed: int = 0) -> np.ndarray:
    """ISODATA on standardised pixel spectra; returns uint8 labels with 255 on invalid pixels."""
    features = standardise(image, valid)
    rng = np.random.default_rng(seed)
    sample = sample_valid_pixels(features, valid, params.sample_size, rng)
    fit = fit_isodata(sample, params, rng)
    return label_by_nearest_centre(features, valid, fit.centres)
