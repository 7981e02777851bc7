"""Consensus of short superpixel-FCN runs: a steadier segmentation from fewer training epochs.

The published FCN (:mod:`rsseg.methods.fcn`) ends wherever its seed leads it: five seeds on a GID mosaic
give AMI 0.21 to 0.26. This method trains ``runs`` networks of the published architecture, vote and
optimiser from different seeds for ``epochs`` each (4 x 2: fewer than the published 10 epochs), and
clusters the superpixels on what all runs say about them:

- each trained run's class probabilities (its inference over the scene, as the published FCN's) averaged
  over the superpixel's pixels, square-rooted so that the Euclidean distance between two superpixels is
  the Hellinger distance of their distributions, and scaled so that every run weighs the same;
- the superpixel's mean standardised spectrum, weighted by ``spectral_weight``;
- the mean of the two above over the superpixel's neighbours (weighted by the length of the shared
  boundary), weighted by ``context_weight``: land-cover classes are larger than superpixels.

K-means (weighted by superpixel size, so it serves pixels as AMI counts them) gives ``clusters`` classes,
by default the FCN's ``n_classes``, the most a run can give. Each run predicts the scene once, so the whole
makes ``runs`` inference passes where the published FCN makes one; with 8 epochs instead of 10 it takes
0.8x-0.9x the published CPU seconds on the GID-MTL mosaics. Tuned on those development mosaics
(docs/study.md), where each part above was measured against leaving it out.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy import sparse
from sklearn.cluster import KMeans

from .. import IGNORE_LABEL
from ..data.spectra import standardise
from ..data.tiling import window_shape
from ..params import FromConfig
from .compute import ComputeSetting
from .fcn import FCNParams, compute_record, compute_setting, softmax_rows, train_fcn

log = logging.getLogger(__name__)


@dataclass
class ConsensusParams(FromConfig):
    """How many short runs, how long each, and how their superpixel features are weighted and clustered.

    ``clusters``: the number of classes of the result (``None``: the FCN's ``n_classes``). The network,
    window and optimiser settings are the published FCN's (:class:`FCNParams`).
    """

    runs: int = 4
    epochs: int = 2
    clusters: int | None = None
    spectral_weight: float = 0.25
    context_weight: float = 1.5
    kmeans_init: int = 4

    section = "superpixel_fcn_consensus"

    def __post_init__(self) -> None:
        for name in ("runs", "epochs", "kmeans_init"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.clusters is not None and not 2 <= self.clusters < IGNORE_LABEL:
            raise ValueError(f"clusters must be in 2..{IGNORE_LABEL - 1} or null, got {self.clusters}")
        for name in ("spectral_weight", "context_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` of the consensus of ``seed``: the Cantor pairing of the two, so the runs of
    different seeds never share a seed, and the first runs of a consensus do not depend on how many follow
    (a study can score 3, 4 and 5 runs from one training)."""
    if seed < 0 or run < 0:
        raise ValueError(f"seed and run must be non-negative, got {seed} and {run}")
    return (seed + run) * (seed + run + 1) // 2 + run


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


class ProbabilitySums:
    """Class probabilities of the pixels a run labels, summed per superpixel."""

    def __init__(self, compact: np.ndarray, n: int, n_classes: int, device: torch.device) -> None:
        # The ids on the device the probabilities are on; invalid pixels fall into an extra row, n.
        self.ids = torch.from_numpy(np.where(compact >= 0, compact, n).astype(np.int64)).to(device)
        self.sums = torch.zeros((n + 1, n_classes), dtype=torch.float64, device=device)
        self.n = n

    def add_rows(self, top: int, rows: torch.Tensor) -> None:
        """Add the scene's rows ``top..`` of softmax sums ``(n_rows, width, n_classes)`` (:func:`softmax_rows`:
        summed over the windows covering a pixel, so each pixel is divided by its own total)."""
        ids = self.ids[top:top + rows.shape[0]].reshape(-1)
        per_pixel = rows.reshape(-1, rows.shape[-1]).double()
        per_pixel /= per_pixel.sum(dim=1, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
        self.sums.index_add_(0, ids, per_pixel)

    def means(self, sizes: np.ndarray) -> np.ndarray:
        """``(n, n_classes)`` mean probabilities, once every row of the scene is added (``sizes``:
        :func:`superpixel_sizes`)."""
        means: np.ndarray = self.sums[:self.n].cpu().numpy() / sizes[:, None]
        return means


def consensus_features(run_probabilities: Sequence[np.ndarray], spectra: np.ndarray, adjacency: sparse.csr_array,
                       params: ConsensusParams) -> np.ndarray:
    """The superpixels' feature rows: the runs' square-rooted probabilities (each run's block of unit norm
    over ``sqrt(runs)``, so all runs together have unit norm), the standardised mean spectrum and the
    neighbours' mean of both."""
    runs = len(run_probabilities)
    own = [np.sqrt(probabilities) / np.sqrt(runs) for probabilities in run_probabilities]
    spread = spectra.std(axis=0)
    scaled_spectra = (spectra - spectra.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    own.append(params.spectral_weight * scaled_spectra / np.sqrt(spectra.shape[1]))
    features = np.concatenate(own, axis=1)
    return np.concatenate([features, params.context_weight * neighbour_means(features, adjacency)], axis=1)


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


def run_settings(fcn: FCNParams, params: ConsensusParams, scene: SuperpixelScene, device: torch.device
                 ) -> tuple[FCNParams, ComputeSetting, dict[str, Any]]:
    """A run's FCN parameters (the published ones for ``params.epochs``) and the compute setting it trains in,
    with how that was chosen."""
    run_params = FCNParams(**{**asdict(fcn), "epochs": params.epochs})
    height, width = scene.valid.shape
    setting, choice = compute_setting(run_params, bands=scene.standardised.shape[0], device=device,
                                      window=window_shape(height, width, fcn.window))
    return run_params, setting, choice


def run_probabilities(scene: SuperpixelScene, run_params: FCNParams, *, device: torch.device, seed: int,
                      setting: ComputeSetting) -> tuple[np.ndarray, list[float]]:
    """Train one run from ``seed`` and predict the scene: ``(mean class probabilities per superpixel
    (n, n_classes), the run's epoch losses)``."""
    model, losses = train_fcn(scene.standardised, scene.valid, scene.superpixels, run_params, device=device,
                              seed=seed, setting=setting)
    sums = ProbabilitySums(scene.compact, len(scene.sizes), run_params.n_classes, device)
    for top, rows in softmax_rows(model, scene.standardised, run_params, device=device, setting=setting):
        sums.add_rows(top, rows)
    return sums.means(scene.sizes), losses


def cluster_runs(scene: SuperpixelScene, probabilities: Sequence[np.ndarray], params: ConsensusParams, *,
                 seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The label map of the runs' consensus (``IGNORE_LABEL`` outside the valid pixels) and
    ``{"run_classes", "n_clusters"}``; K-means starts from ``seed``. Without ``params.clusters``, as many
    clusters as the runs have classes (the FCN's ``n_classes``), or superpixels if fewer."""
    n = len(scene.sizes)
    classes_used = [int(np.unique(run.argmax(axis=1)).size) for run in probabilities]
    n_clusters = min(params.clusters or probabilities[0].shape[1], n)
    features = consensus_features(probabilities, superpixel_means(scene.standardised, scene.compact, scene.sizes),
                                  superpixel_adjacency(scene.compact, n), params)
    kmeans = KMeans(n_clusters=n_clusters, n_init=params.kmeans_init, random_state=seed)
    clusters = kmeans.fit_predict(features, sample_weight=scene.sizes).astype(np.uint8)
    labels = np.full(scene.valid.shape, IGNORE_LABEL, dtype=np.uint8)
    labels[scene.valid] = clusters[scene.compact[scene.valid]]
    return labels, {"run_classes": classes_used, "n_clusters": n_clusters}


def consensus_segment_scene(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray, fcn: FCNParams,
                            params: ConsensusParams, *, device: torch.device | str, seed: int,
                            in_place: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Segment one scene by the consensus of ``params.runs`` short FCN runs; returns ``(labels, info)``.

    ``labels`` is uint8 ``(h, w)`` with ``IGNORE_LABEL`` outside ``valid``, constant within each superpixel.
    ``fcn`` gives the network and its training (its ``epochs`` is replaced by ``params.epochs``). Runs
    use the seeds :func:`run_seed` gives; the clustering uses ``seed``. ``in_place`` as in
    :func:`rsseg.methods.fcn.segment_scene`.
    """
    device = torch.device(device)
    scene = superpixel_scene(image, valid, superpixels, in_place=in_place)
    start = time.perf_counter()
    run_params, setting, choice = run_settings(fcn, params, scene, device)
    chosen = time.perf_counter()
    seeds = [run_seed(seed, run) for run in range(params.runs)]
    runs = [run_probabilities(scene, run_params, device=device, seed=each, setting=setting) for each in seeds]
    trained = time.perf_counter()
    labels, clustering = cluster_runs(scene, [probabilities for probabilities, _ in runs], params, seed=seed)
    log.info("%d runs of %d epochs: %s classes each; %d superpixels clustered into %d", params.runs, params.epochs,
             clustering["run_classes"], len(scene.sizes), clustering["n_clusters"])
    info = {"choose_seconds": chosen - start, "train_seconds": trained - chosen,
            "cluster_seconds": time.perf_counter() - trained, "run_seeds": seeds,
            "run_losses": [losses for _, losses in runs], **clustering, **compute_record(device, setting, choice)}
    return labels, info
