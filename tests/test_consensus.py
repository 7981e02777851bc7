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
    compact_superpixels,
    consensus_features,
    consensus_segment_scene,
    neighbour_means,
    run_probabilities,
    run_seed,
    run_settings,
    superpixel_adjacency,
    superpixel_means,
    superpixel_scene,
    superpixel_sizes,
)
from rsseg.methods.fcn import FCNParams
from rsseg.methods.superpixels import felzenszwalb_superpixels

# 2x3 superpixels 5, 9, 7 / 5, 9, 2 with the last pixel invalid
SUPERPIXELS = np.array([[5, 9, 7], [5, 9, 2]])
VALID = np.array([[True, True, True], [True, True, False]])


def test_superpixels_are_numbered_densely_over_valid_pixels():
    compact, n = compact_superpixels(SUPERPIXELS, VALID)
    assert n == 3  # superpixel 2 has no valid pixel
    assert compact.tolist() == [[0, 2, 1], [0, 2, -1]]


def test_negative_superpixel_ids_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        compact_superpixels(-SUPERPIXELS, VALID)


def test_superpixel_means_and_adjacency_by_value():
    compact, n = compact_superpixels(SUPERPIXELS, VALID)
    values = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    assert superpixel_sizes(compact, n).tolist() == [2, 1, 2]
    assert superpixel_means(values, compact, superpixel_sizes(compact, n)).tolist() == [
        [1.5, 7.5], [2.0, 8.0], [2.5, 8.5]]
    adjacency = superpixel_adjacency(compact, n).toarray()
    # 0|2 share two horizontal pairs, 2|1 one; 1 and 0 never touch; the invalid pixel is nobody's neighbour
    assert adjacency.tolist() == [[0, 0, 2], [0, 0, 1], [2, 1, 0]]


def test_neighbour_means_weigh_by_shared_boundary_and_keep_a_lonely_row():
    # superpixels 0 and 1 share three pixel pairs; superpixel 2 has no pixel here, so no neighbour
    adjacency = superpixel_adjacency(np.array([[0, 1, 1], [0, 0, 1]], dtype=np.int32), 3)
    assert adjacency.toarray()[0, 1] == 3
    means = neighbour_means(np.array([[0.0], [3.0], [10.0]]), adjacency)
    assert means.tolist() == [[3.0], [0.0], [10.0]]


def test_probability_sums_average_each_pixels_probabilities_over_its_superpixel():
    compact, n = compact_superpixels(SUPERPIXELS, VALID)
    sums = ProbabilitySums(compact, n, n_classes=2, device=torch.device("cpu"))
    # softmax sums of row 0 from two windows (so they add up to 2), of row 1 from one; the invalid pixel ignored
    sums.add_rows(0, torch.tensor([[[2.0, 0.0], [1.0, 1.0], [0.5, 1.5]]]))
    sums.add_rows(1, torch.tensor([[[0.0, 1.0], [1.0, 0.0], [9.0, 9.0]]]))
    assert np.allclose(sums.means(superpixel_sizes(compact, n)), [[0.5, 0.5], [0.25, 0.75], [0.75, 0.25]])


def test_features_give_every_run_the_same_weight_and_the_context_its_weight():
    runs = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.25, 0.75], [0.25, 0.75]])]
    spectra = np.array([[0.0], [2.0]])
    adjacency = superpixel_adjacency(np.array([[0, 1]], dtype=np.int32), 2)
    params = ConsensusParams(spectral_weight=0.5, context_weight=2.0)
    features = consensus_features(runs, spectra, adjacency, params)
    own = np.array([[1, 0, 0.5, np.sqrt(0.75), -1], [0, 1, 0.5, np.sqrt(0.75), 1]]) / np.array(
        [np.sqrt(2)] * 4 + [2.0])
    assert np.allclose(features, np.concatenate([own, 2.0 * own[::-1]], axis=1))
    assert np.allclose(np.linalg.norm(features[:, :4], axis=1), 1.0)  # the runs together: unit norm


def test_run_seeds_of_different_seeds_never_overlap_and_do_not_depend_on_the_number_of_runs():
    assert [run_seed(0, run) for run in range(5)] == [0, 2, 5, 9, 14]
    assert [run_seed(2, run) for run in range(3)] == [3, 7, 12]
    pairs = [(seed, run) for seed in range(40) for run in range(40)]
    assert len({run_seed(seed, run) for seed, run in pairs}) == len(pairs)
    with pytest.raises(ValueError, match="non-negative"):
        run_seed(-1, 0)


@pytest.mark.parametrize("kwargs", [{"runs": 0}, {"epochs": 0}, {"clusters": 1}, {"context_weight": -1.0}])
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
    params = ConsensusParams(**{"runs": 3, "epochs": 2, **overrides})
    labels, info = consensus_segment_scene(image.astype(np.float32), valid, superpixels, fcn, params,
                                           device="cpu", seed=seed)
    return labels, info, valid, superpixels, classes


def test_consensus_on_a_tiny_scene_is_deterministic_per_seed_and_labels_whole_superpixels():
    torch.set_num_threads(1)
    labels, info, valid, superpixels, classes = segment_tiny(seed=1)
    again, _, _, _, _ = segment_tiny(seed=1)
    assert np.array_equal(labels, again)
    assert info["run_seeds"] == [1, 4, 8] and len(info["run_losses"]) == 3
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
    # what lets bench/gid_mtl.py --consensus-runs score 2 and 3 runs from one training of 3
    torch.set_num_threads(1)
    two_runs, _, _, _, _ = segment_tiny(seed=2, runs=2)
    image, valid, superpixels, _ = tiny_scene()
    params = ConsensusParams(runs=3, epochs=2)
    scene = superpixel_scene(image.astype(np.float32), valid, superpixels)
    run_params, setting, _ = run_settings(TINY_FCN, params, scene, torch.device("cpu"))
    runs = [run_probabilities(scene, run_params, device=torch.device("cpu"), seed=run_seed(2, run), setting=setting)[0]
            for run in range(3)]
    labels, clustering = cluster_runs(scene, runs[:2], params, seed=2)
    assert np.array_equal(labels, two_runs) and len(clustering["run_classes"]) == 2
    assert len(cluster_runs(scene, runs, params, seed=2)[1]["run_classes"]) == 3
