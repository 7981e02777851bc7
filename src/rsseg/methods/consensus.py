"""Consensus of short superpixel-FCN runs: this study's method, steadier and cheaper than one published run.

The published FCN (:mod:`rsseg.methods.fcn`) ends wherever its seed leads it. This method trains ``runs``
networks of the published architecture, vote and optimiser from different seeds on the scene averaged over
``downsample`` x ``downsample`` pixels, where a window of ``window`` px covers ``downsample * window`` px of
the scene: each run takes ``epochs`` passes over that grid's windows, but at least ``min_steps`` steps, so
that a small scene, of a few windows, is not under-trained (:func:`run_steps`). Each trained run predicts the
coarse grid once, and its class probabilities are averaged over the superpixels of the full-resolution scene.
The superpixels are then clustered on what all runs say about them:

- each run's probabilities, square-rooted so that the Euclidean distance between two superpixels is the
  Hellinger distance of their distributions, and scaled so that every run weighs the same;
- the superpixel's mean standardised spectrum, weighted by ``spectral_weight`` (0: the runs alone);
- the mean of the two above over the superpixel's neighbours (weighted by the length of the shared
  boundary), and over their neighbours in turn, up to ``context_hops`` steps away, each weighted by
  ``context_weight``: land-cover classes are larger than superpixels.

K-means (weighted by superpixel size, so it serves pixels as AMI counts them) gives ``clusters`` classes,
by default the FCN's ``n_classes``, the most a run can give. Training the runs (:func:`train_runs`, which only
the settings :data:`rsseg.config.CONSENSUS_RUN_SETTINGS` change) and clustering them (:func:`cluster_runs`) are
separate steps, so the workflow clusters one training at several numbers of clusters. docs/methods.md
describes the method, docs/study.md its results, and docs/notes.md how an earlier form of it was explored.
"""

import logging
import time
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import sparse

from .. import IGNORE_LABEL
from ..data.tiling import window_shape
from ..errors import UnreadableError
from ..files import StrPath, atomic_path
from ..params import FromConfig, Range
from .compute import ComputeSetting
from .fcn import FCNParams, compute_record, compute_setting, softmax_rows, train_fcn, training_windows
from .superpixel_features import (
    SuperpixelScene,
    cluster_superpixels,
    neighbour_means,
    superpixel_adjacency,
    superpixel_means,
    superpixel_scene,
    unit_columns,
)

log = logging.getLogger(__name__)

WINDOW_OVERLAP = 8
"""A run's windows overlap by 1/8 of their side when it predicts its grid, as the published 512 px windows at
stride 448 do."""


@dataclass
class ConsensusParams(FromConfig):
    """How many short runs, how long each and on what grid, and how their superpixel features are weighted and
    clustered.

    ``downsample``: the runs train and predict on the scene averaged over ``downsample`` x ``downsample`` px;
    ``window``: side in px of their windows on that grid; ``epochs`` and ``min_steps``: each run's training
    (:func:`run_steps`); ``clusters``: the number of classes of the result (``None``: the FCN's
    ``n_classes``); ``spectral_weight``, ``context_weight`` and ``context_hops``: the clustering's features
    (:func:`consensus_features`). The network and optimiser settings are the published FCN's
    (:class:`FCNParams`).
    """

    runs: int = 3
    epochs: int = 2
    min_steps: int = 32
    downsample: int = 2
    window: int = 256
    clusters: int | None = None
    spectral_weight: float = 0.0
    context_weight: float = 1.5
    context_hops: int = 2
    kmeans_init: int = 4

    section = "superpixel_fcn_consensus"
    bounds = {"runs": Range(minimum=1), "epochs": Range(minimum=1), "min_steps": Range(minimum=1),
              "downsample": Range(minimum=1), "window": Range(minimum=WINDOW_OVERLAP),
              "clusters": Range(minimum=2, maximum=IGNORE_LABEL - 1), "spectral_weight": Range(minimum=0),
              "context_weight": Range(minimum=0), "context_hops": Range(minimum=0), "kmeans_init": Range(minimum=1)}


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` of the consensus of ``seed``: the Cantor pairing of the two, so the runs of
    different seeds never share a seed, and the first runs of a consensus do not depend on how many follow
    (a study can score 3, 4 and 5 runs from one training)."""
    if seed < 0 or run < 0:
        raise ValueError(f"seed and run must be non-negative, got {seed} and {run}")
    return (seed + run) * (seed + run + 1) // 2 + run


@dataclass
class RunGrid:
    """The grid the runs train and predict on: the standardised scene averaged over ``factor`` x ``factor`` px
    (:func:`run_grid`)."""

    image: np.ndarray
    valid: np.ndarray
    superpixels: np.ndarray
    factor: int


def run_grid(scene: SuperpixelScene, factor: int) -> RunGrid:
    """The scene on the runs' grid: each cell the mean of its valid pixels (valid where any is), and the
    superpixel of its first pixel, which the vote of a training step groups it by. ``factor`` 1 is the scene."""
    if factor == 1:
        return RunGrid(scene.standardised, scene.valid, scene.superpixels, 1)
    valid = torch.from_numpy(scene.valid.astype(np.float32))[None, None]
    sums = F.avg_pool2d(torch.from_numpy(scene.standardised)[None] * valid, factor, ceil_mode=True)
    shares = F.avg_pool2d(valid, factor, ceil_mode=True)
    coarse_valid = (shares[0, 0] > 0).numpy()
    image = torch.where(shares[0] > 0, sums[0] / shares[0].clamp_min(1e-12), 0.0).numpy()
    return RunGrid(image, coarse_valid, np.ascontiguousarray(scene.superpixels[::factor, ::factor]), factor)


class ProbabilitySums:
    """Class probabilities of a run's grid, summed over the pixels of each superpixel of the full-resolution
    scene: every pixel takes the probabilities of the grid cell it lies in."""

    def __init__(self, compact: np.ndarray, n: int, n_classes: int, device: torch.device, factor: int = 1) -> None:
        # The ids on the device the probabilities are on; invalid pixels fall into an extra row, n.
        self.ids = torch.from_numpy(np.where(compact >= 0, compact, n).astype(np.int64)).to(device)
        self.sums = torch.zeros((n + 1, n_classes), dtype=torch.float64, device=device)
        self.n = n
        self.factor = factor

    def add_rows(self, top: int, rows: torch.Tensor) -> None:
        """Add the grid's rows ``top..`` of softmax sums ``(n_rows, width, n_classes)`` (:func:`softmax_rows`:
        summed over the windows covering a cell, so each cell is divided by its own total). The ``factor``
        x ``factor`` pixels of each cell are added one offset at a time, so no upsampled copy is made."""
        per_cell = rows.double()
        per_cell /= per_cell.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
        f = self.factor
        for dy in range(f):
            for dx in range(f):
                ids = self.ids[top * f + dy:(top + rows.shape[0]) * f:f, dx::f]
                cells = per_cell[:ids.shape[0], :ids.shape[1]]
                self.sums.index_add_(0, ids.reshape(-1), cells.reshape(-1, cells.shape[-1]))

    def means(self, sizes: np.ndarray) -> np.ndarray:
        """``(n, n_classes)`` mean probabilities, once every row of the grid is added (``sizes``:
        :func:`rsseg.methods.superpixel_features.superpixel_sizes`)."""
        means: np.ndarray = self.sums[:self.n].cpu().numpy() / sizes[:, None]
        return means


def consensus_features(run_probabilities: Sequence[np.ndarray], spectra: np.ndarray, adjacency: sparse.csr_array,
                       params: ConsensusParams) -> np.ndarray:
    """The superpixels' feature rows: the runs' square-rooted probabilities (each run's block of unit norm
    over ``sqrt(runs)``, so all runs together have unit norm), the standardised mean spectrum where
    ``spectral_weight`` is above 0, and the neighbours' mean of both, of that mean in turn, and so on
    ``context_hops`` times, each weighted by ``context_weight``."""
    runs = len(run_probabilities)
    own = [np.sqrt(probabilities) / np.sqrt(runs) for probabilities in run_probabilities]
    if params.spectral_weight:
        own.append(params.spectral_weight * unit_columns(spectra))
    features = np.concatenate(own, axis=1)
    rings = [features]
    for _ in range(params.context_hops):
        rings.append(neighbour_means(rings[-1], adjacency))
    return np.concatenate([features, *(params.context_weight * ring for ring in rings[1:])], axis=1)


def run_settings(fcn: FCNParams, params: ConsensusParams, grid: RunGrid, device: torch.device
                 ) -> tuple[FCNParams, ComputeSetting, dict[str, Any]]:
    """A run's FCN parameters (the published network and optimiser on the consensus's windows) and the compute
    setting it trains in, with how that was chosen."""
    stride = params.window - params.window // WINDOW_OVERLAP
    run_params = FCNParams(**{**asdict(fcn), "window": params.window, "stride": stride})
    height, width = grid.valid.shape
    setting, choice = compute_setting(run_params, bands=grid.image.shape[0], device=device,
                                      window=window_shape(height, width, params.window))
    return run_params, setting, choice


def run_steps(params: ConsensusParams, windows: int, batch_size: int = 1) -> int:
    """The training steps of each run on a grid of ``windows`` windows: ``params.epochs`` passes over them, but at
    least ``params.min_steps``: a small scene's few windows are seen more often, so that its runs learn as much as
    a large scene's."""
    return max(params.min_steps, -(-params.epochs * windows // batch_size))


def run_probabilities(scene: SuperpixelScene, grid: RunGrid, run_params: FCNParams, *, steps: int,
                      device: torch.device, seed: int, setting: ComputeSetting) -> tuple[np.ndarray, list[float]]:
    """Train one run from ``seed`` on ``grid`` for ``steps`` steps and predict the grid: ``(mean class
    probabilities per superpixel of the scene (n, n_classes), float32; the loss of each pass over the windows)``."""
    model, losses = train_fcn(grid.image, grid.valid, grid.superpixels, run_params, device=device, seed=seed,
                              setting=setting, steps=steps)
    sums = ProbabilitySums(scene.compact, len(scene.sizes), run_params.n_classes, device, grid.factor)
    for top, rows in softmax_rows(model, grid.image, run_params, device=device, setting=setting):
        sums.add_rows(top, rows)
    # float32, as the workflow stores them between training and clustering, so both paths cluster alike
    return sums.means(scene.sizes).astype(np.float32), losses


def train_runs(scene: SuperpixelScene, fcn: FCNParams, params: ConsensusParams, *, device: torch.device | str,
               seed: int) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Train the ``params.runs`` runs of the consensus of ``seed`` (seeded by :func:`run_seed`); returns their
    superpixel probabilities and the record of how they ran."""
    device = torch.device(device)
    start = time.perf_counter()
    grid = run_grid(scene, params.downsample)
    run_params, setting, choice = run_settings(fcn, params, grid, device)
    chosen = time.perf_counter()
    seeds = [run_seed(seed, run) for run in range(params.runs)]
    windows = len(training_windows(grid.valid, run_params))
    steps = run_steps(params, windows, run_params.batch_size)
    log.info("%d runs of %d steps on %d windows of %d px of the scene averaged over %dx%d px", params.runs, steps,
             windows, params.window, params.downsample, params.downsample)
    runs = [run_probabilities(scene, grid, run_params, steps=steps, device=device, seed=each, setting=setting)
            for each in seeds]
    info = {"choose_seconds": chosen - start, "train_seconds": time.perf_counter() - chosen, "run_seeds": seeds,
            "run_losses": [losses for _, losses in runs], "grid_windows": windows, "run_steps": steps,
            **compute_record(device, setting, choice)}
    return [probabilities for probabilities, _ in runs], info


def save_runs(path: StrPath, probabilities: Sequence[np.ndarray]) -> None:
    """Write the runs' superpixel probabilities (:func:`train_runs`) to ``path`` (``.npz``), atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, *probabilities)


def load_runs(path: StrPath) -> list[np.ndarray]:
    """The runs' superpixel probabilities :func:`save_runs` wrote, in the order of the runs."""
    try:
        with np.load(path) as archive:
            return [archive[f"arr_{run}"] for run in range(len(archive.files))]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise UnreadableError(path, f"is not a saved consensus training ({err})") from None


def cluster_runs(scene: SuperpixelScene, probabilities: Sequence[np.ndarray], params: ConsensusParams, *,
                 seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    """The label map of the runs' consensus (``IGNORE_LABEL`` outside the valid pixels) and
    ``{"run_classes", "n_clusters"}``; K-means starts from ``seed``. Without ``params.clusters``, as many
    clusters as the runs have classes (the FCN's ``n_classes``), or superpixels if fewer."""
    n = len(scene.sizes)
    classes_used = [int(np.unique(run.argmax(axis=1)).size) for run in probabilities]
    features = consensus_features(probabilities, superpixel_means(scene.standardised, scene.compact, scene.sizes),
                                  superpixel_adjacency(scene.compact, n), params)
    labels, n_clusters = cluster_superpixels(scene, features, params.clusters or probabilities[0].shape[1],
                                             seed=seed, n_init=params.kmeans_init)
    return labels, {"run_classes": classes_used, "n_clusters": n_clusters}


def consensus_segment_scene(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray, fcn: FCNParams,
                            params: ConsensusParams, *, device: torch.device | str, seed: int,
                            in_place: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Segment one scene by the consensus of ``params.runs`` short FCN runs; returns ``(labels, info)``.

    ``labels`` is uint8 ``(h, w)`` with ``IGNORE_LABEL`` outside ``valid``, constant within each superpixel.
    ``fcn`` gives the network and its optimiser. Runs use the seeds :func:`run_seed` gives; the clustering
    uses ``seed``. ``in_place`` as in :func:`rsseg.methods.fcn.segment_scene`.
    """
    scene = superpixel_scene(image, valid, superpixels, in_place=in_place)
    probabilities, info = train_runs(scene, fcn, params, device=device, seed=seed)
    start = time.perf_counter()
    labels, clustering = cluster_runs(scene, probabilities, params, seed=seed)
    return labels, {**info, **clustering, "cluster_seconds": time.perf_counter() - start}
