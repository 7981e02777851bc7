"""The consensus of short FCN runs: its building blocks by value, and the method on a tiny scene."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_mutual_info_score

from conftest import synthetic_scene
from rsseg import IGNORE_LABEL
from rsseg.methods.consensus import (
    ConsensusParams,
    ProbabilitySums,
    cluster_runs,
    consensus_features,
    consensus_segment_scene,
    run_grid,
    run_probabilities,
    run_seed,
    run_settings,
    run_steps,
)
from rsseg.methods.fcn import FCNParams
from rsseg.methods.superpixel_features import (
    compact_superpixels,
    superpixel_adjacency,
    superpixel_scene,
    superpixel_sizes,
)
from rsseg.methods.superpixels import felzenszwalb_superpixels
from test_superpixel_features import SUPERPIXELS, VALID


def test_probability_sums_average_each_pixels_probabilities_over_its_superpixel():
    compact, n = compact_superpixels(SUPERPIXELS, VALID)
    sums = ProbabilitySums(compact, n, n_classes=2, device=torch.device("cpu"))
    # softmax sums of row 0 from two windows (so they add up to 2), of row 1 from one; the invalid pixel ignored
    sums.add_rows(0, torch.tensor([[[2.0, 0.0], [1.0, 1.0], [0.5, 1.5]]]))
    sums.add_rows(1, torch.tensor([[[0.0, 1.0], [1.0, 0.0], [9.0, 9.0]]]))
    assert np.allclose(sums.means(superpixel_sizes(compact, n)), [[0.5, 0.5], [0.25, 0.75], [0.75, 0.25]])


def test_probability_sums_of_a_coarser_grid_give_every_pixel_its_cells_probabilities():
    # a 3x4 scene of two superpixels (left 3 columns, right column) and a 2x2 grid of 2x2 px cells over it
    compact = np.array([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]], dtype=np.int32)
    sums = ProbabilitySums(compact, 2, n_classes=2, device=torch.device("cpu"), factor=2)
    sums.add_rows(0, torch.tensor([[[1.0, 0.0], [0.0, 1.0]]]))
    sums.add_rows(1, torch.tensor([[[0.5, 0.5], [0.0, 2.0]]]))  # a cell covered by two windows: sums to 2
    # superpixel 0: 4 px of cell (0, 0), 2 of (0, 1), 2 of (1, 0), 1 of (1, 1);
    # superpixel 1: 2 px of (0, 1), 1 of (1, 1)
    expected = [[(4 * 1 + 2 * 0 + 2 * 0.5 + 0) / 9, (0 + 2 * 1 + 2 * 0.5 + 1) / 9], [0.0, 1.0]]
    assert np.allclose(sums.means(np.array([9, 3])), expected)


def test_the_runs_grid_averages_valid_pixels_and_keeps_each_cells_first_superpixel():
    image = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
    valid = np.ones((4, 4), dtype=bool)
    valid[0, 0] = False
    superpixels = np.repeat(np.arange(4), 4).reshape(4, 4)
    scene = superpixel_scene(image, valid, superpixels)
    grid = run_grid(scene, 2)
    standardised = scene.standardised[0]
    assert grid.image.shape == (1, 2, 2) and grid.valid.all() and grid.factor == 2
    assert grid.image[0, 0, 0] == pytest.approx((standardised[0, 1] + standardised[1, 0] + standardised[1, 1]) / 3)
    assert grid.image[0, 1, 1] == pytest.approx(standardised[2:, 2:].mean())
    assert grid.superpixels.tolist() == [[0, 0], [2, 2]]
    assert run_grid(scene, 1).image is scene.standardised


def test_features_give_every_run_the_same_weight_and_the_context_its_weight():
    runs = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.25, 0.75], [0.25, 0.75]])]
    spectra = np.array([[0.0], [2.0]])
    adjacency = superpixel_adjacency(np.array([[0, 1]], dtype=np.int32), 2)
    params = ConsensusParams(spectral_weight=0.5, context_weight=2.0, context_hops=1)
    features = consensus_features(runs, spectra, adjacency, params)
    own = np.array([[1, 0, 0.5, np.sqrt(0.75), -1], [0, 1, 0.5, np.sqrt(0.75), 1]]) / np.array(
        [np.sqrt(2)] * 4 + [2.0])
    assert np.allclose(features, np.concatenate([own, 2.0 * own[::-1]], axis=1))
    assert np.allclose(np.linalg.norm(features[:, :4], axis=1), 1.0)  # the runs together: unit norm


def test_the_neighbourhood_rings_are_means_of_means():
    # a chain of three superpixels 0 - 1 - 2, one run, no spectrum
    runs = [np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])]
    adjacency = superpixel_adjacency(np.array([[0, 1, 2]], dtype=np.int32), 3)
    features = consensus_features(runs, np.zeros((3, 1)), adjacency, ConsensusParams(context_weight=0.5))
    own = np.sqrt(runs[0])
    first = np.array([own[1], (own[0] + own[2]) / 2, own[1]])
    second = np.array([first[1], (first[0] + first[2]) / 2, first[1]])
    assert np.allclose(features, np.concatenate([own, 0.5 * first, 0.5 * second], axis=1))


@pytest.mark.parametrize(("windows", "steps"), [(4, 32), (16, 32), (36, 72), (256, 512)])
def test_a_run_takes_epochs_over_its_windows_but_at_least_min_steps(windows, steps):
    assert run_steps(ConsensusParams(epochs=2, min_steps=32), windows) == steps
    assert run_steps(ConsensusParams(epochs=2, min_steps=32), windows, batch_size=2) == max(32, windows)


def test_run_seeds_of_different_seeds_never_overlap_and_do_not_depend_on_the_number_of_runs():
    assert [run_seed(0, run) for run in range(5)] == [0, 2, 5, 9, 14]
    assert [run_seed(2, run) for run in range(3)] == [3, 7, 12]
    pairs = [(seed, run) for seed in range(40) for run in range(40)]
    assert len({run_seed(seed, run) for seed, run in pairs}) == len(pairs)
    with pytest.raises(ValueError, match="non-negative"):
        run_seed(-1, 0)


@pytest.mark.parametrize("kwargs", [{"runs": 0}, {"min_steps": 0}, {"downsample": 0}, {"window": 4}, {"clusters": 1},
                                    {"context_weight": -1.0}])
def test_invalid_consensus_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        ConsensusParams(**kwargs)


TINY_FCN = FCNParams(n_classes=8, width=8, window=48, stride=40, precision="float32", layout="contiguous")


def tiny_scene():
    image, classes = synthetic_scene(72, 80, seed=0)
    valid = (image != 0).any(axis=0)
    valid[:8, :8] = False
    superpixels = felzenszwalb_superpixels(image[1:].astype(np.float32), valid, min_size=16)
    return image, valid, superpixels, classes


def segment_tiny(seed, **overrides):
    image, valid, superpixels, classes = tiny_scene()
    fcn = TINY_FCN
    params = ConsensusParams(**{"runs": 3, "epochs": 1, "min_steps": 6, "downsample": 2, "window": 24, **overrides})
    labels, info = consensus_segment_scene(image.astype(np.float32), valid, superpixels, fcn, params,
                                           device="cpu", seed=seed)
    return labels, info, valid, superpixels, classes


def test_consensus_on_a_tiny_scene_is_deterministic_per_seed_and_labels_whole_superpixels():
    torch.set_num_threads(1)
    labels, info, valid, superpixels, classes = segment_tiny(seed=1)
    again, _, _, _, _ = segment_tiny(seed=1)
    assert np.array_equal(labels, again)
    assert info["run_seeds"] == [1, 4, 8] and len(info["run_losses"]) == 3
    # at least 6 steps on the 2x2 windows of the 36x40 grid: one pass over the 4, then 2 more
    assert info["grid_windows"] == 4 and info["run_steps"] == 6
    assert all(len(losses) == 2 for losses in info["run_losses"])
    assert info["threads"] == 1 and info["n_clusters"] == TINY_FCN.n_classes
    assert (labels[~valid] == IGNORE_LABEL).all() and (labels[valid] < info["n_clusters"]).all()
    for segment in np.unique(superpixels[valid]):
        assert np.unique(labels[valid & (superpixels == segment)]).size == 1
    # the synthetic scene's classes are found, far better than chance
    assert adjusted_mutual_info_score(classes[valid], labels[valid]) > 0.3


def test_clusters_set_in_the_parameters_are_the_number_of_classes():
    labels, info, valid, _, _ = segment_tiny(seed=0, clusters=3)
    assert info["n_clusters"] == 3 and np.unique(labels[valid]).size == 3


def test_the_first_runs_of_a_longer_consensus_give_the_shorter_consensus():
    # the runs' seeds do not depend on how many follow, so a study can score 2 and 3 runs from one training of 3
    torch.set_num_threads(1)
    two_runs, _, _, _, _ = segment_tiny(seed=2, runs=2)
    image, valid, superpixels, _ = tiny_scene()
    params = ConsensusParams(runs=3, epochs=1, min_steps=6, downsample=2, window=24)
    scene = superpixel_scene(image.astype(np.float32), valid, superpixels)
    grid = run_grid(scene, params.downsample)
    run_params, setting, _ = run_settings(TINY_FCN, params, grid, torch.device("cpu"))
    runs = [run_probabilities(scene, grid, run_params, steps=params.min_steps, device=torch.device("cpu"),
                              seed=run_seed(2, run), setting=setting)[0] for run in range(3)]
    labels, clustering = cluster_runs(scene, runs[:2], params, seed=2)
    assert np.array_equal(labels, two_runs) and len(clustering["run_classes"]) == 2
    assert len(cluster_runs(scene, runs, params, seed=2)[1]["run_classes"]) == 3
