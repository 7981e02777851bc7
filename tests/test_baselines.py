import numpy as np
import pytest

from rsseg import IGNORE_LABEL
from rsseg.evaluation.metrics import segmentation_scores
from rsseg.methods import baselines
from rsseg.methods.baselines import (
    IsodataParams,
    fit_isodata,
    isodata_segment,
    kmeans_segment,
    label_by_nearest_centre,
    sample_valid_pixels,
)


def blob_image(centres, shape=(40, 50), noise=0.05, seed=0):
    """Image whose pixels are noisy copies of ``centres`` (one spectrum per class) and its class map."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(centres), shape)
    image = np.asarray(centres, dtype=np.float32)[truth].transpose(2, 0, 1)
    image += rng.normal(0, noise, image.shape).astype(np.float32)
    return image, truth


FOUR_BLOBS = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]]


def ami(labels, truth):
    return segmentation_scores(labels, truth)["ami"]


@pytest.fixture
def small_strips(monkeypatch):
    """Force many strips and distance chunks so the chunk boundaries are exercised on tiny images."""
    monkeypatch.setattr(baselines, "CHUNK_PIXELS", 64)


def test_kmeans_recovers_separated_blobs_and_marks_invalid_pixels(small_strips):
    image, truth = blob_image(FOUR_BLOBS)
    valid = np.ones(truth.shape, dtype=bool)
    valid[:5, :7] = False
    labels = kmeans_segment(image, valid, n_clusters=4, sample_size=500)
    assert labels.dtype == np.uint8 and labels.shape == truth.shape
    assert (labels[~valid] == IGNORE_LABEL).all()
    assert set(np.unique(labels[valid])) == {0, 1, 2, 3}
    assert ami(labels, np.where(valid, truth, IGNORE_LABEL)) == pytest.approx(1.0)


def test_kmeans_is_deterministic_for_a_seed():
    image, _ = blob_image([[0, 0], [1, 0], [0, 1]], noise=0.6)
    valid = np.ones(image.shape[1:], dtype=bool)
    first = kmeans_segment(image, valid, n_clusters=5, sample_size=300, n_init=1, seed=3)
    second = kmeans_segment(image, valid, n_clusters=5, sample_size=300, n_init=1, seed=3)
    np.testing.assert_array_equal(first, second)


def test_kmeans_rejects_unusable_input():
    image, _ = blob_image(FOUR_BLOBS)
    with pytest.raises(ValueError, match="no valid pixels"):
        kmeans_segment(image, np.zeros(image.shape[1:], dtype=bool), n_clusters=2)
    with pytest.raises(ValueError, match="kmeans.n_clusters must be at least 1 and at most 255, got 256"):
        kmeans_segment(image, np.ones(image.shape[1:], dtype=bool), n_clusters=256)


def test_nearest_centre_labels_match_brute_force(small_strips):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(3, 17, 9)).astype(np.float32)
    valid = rng.random((17, 9)) > 0.2
    centres = rng.normal(size=(6, 3))
    labels = label_by_nearest_centre(features, valid, centres)
    distances = ((features[None] - centres[:, :, None, None]) ** 2).sum(axis=1)
    np.testing.assert_array_equal(labels, np.where(valid, distances.argmin(axis=0), IGNORE_LABEL))


def test_sample_holds_distinct_valid_pixels_only(small_strips):
    rng = np.random.default_rng(2)
    shape = (23, 11)
    index = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    features = np.stack([index, -index])
    valid = rng.random(shape) > 0.5
    sample = sample_valid_pixels(features, valid, 40, rng)
    assert sample.shape == (40, 2)
    np.testing.assert_array_equal(sample[:, 1], -sample[:, 0])
    assert len(set(sample[:, 0])) == 40
    assert set(sample[:, 0]) <= set(index[valid])
    everything = sample_valid_pixels(features, valid, 10_000, rng)
    assert sorted(everything[:, 0]) == sorted(index[valid])


@pytest.mark.parametrize("centres, initial_clusters, min_cluster_size, groups", [
    (FOUR_BLOBS, 2, 0.01, [0, 1, 2, 3]),                       # two initial clusters split into the four blobs
    ([[0, 0, 0], [0.05, 0, 0], [10, 10, 10]], 6, 0.0, [0, 0, 1]),  # six merge into the two distinct blobs
], ids=["splits", "merges"])
def test_isodata_splits_and_merges_to_the_distinct_blobs(small_strips, centres, initial_clusters, min_cluster_size,
                                                         groups):
    image, truth = blob_image(centres)
    params = IsodataParams(desired_clusters=max(groups) + 1, initial_clusters=initial_clusters, max_iterations=10,
                           min_cluster_size=min_cluster_size, max_std=0.3, min_distance=0.3, sample_size=1000)
    labels = isodata_segment(image, np.ones(truth.shape, dtype=bool), params)
    assert len(np.unique(labels)) == max(groups) + 1
    assert ami(labels, np.array(groups)[truth]) == pytest.approx(1.0)


def test_isodata_fit_counts_splits_and_merges():
    rng = np.random.default_rng(4)
    four = np.repeat(np.array(FOUR_BLOBS, dtype=float), 100, axis=0) + rng.normal(0, 0.05, (400, 3))
    params = IsodataParams(desired_clusters=4, initial_clusters=2, max_iterations=8, min_cluster_size=0.0,
                           max_std=0.3, min_distance=0.3)
    split = fit_isodata(four, params, np.random.default_rng(0))
    assert len(split.centres) == 4 and split.splits >= 2 and split.merges == 0
    one_blob = rng.normal(0, 0.05, (300, 3))
    params = IsodataParams(desired_clusters=1, initial_clusters=5, max_iterations=8, min_cluster_size=0.0,
                           max_std=0.3, min_distance=0.3)
    merged = fit_isodata(one_blob, params, np.random.default_rng(0))
    assert len(merged.centres) == 1 and merged.merges == 4 and merged.discards == 0
    np.testing.assert_allclose(merged.centres[0], one_blob.mean(axis=0), atol=1e-12)


def test_isodata_params_are_checked():
    assert IsodataParams(desired_clusters=7).initial_clusters == 7
    with pytest.raises(ValueError, match=r"isodata.min_cluster_size must be at least 0 and below 1, got 20"):
        IsodataParams(desired_clusters=4, min_cluster_size=20)
    with pytest.raises(ValueError, match="isodata.initial_clusters must be at least 1 and at most 255, got 0"):
        IsodataParams(desired_clusters=4, initial_clusters=0)
