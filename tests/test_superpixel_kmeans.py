"""The superpixel K-means control: by value on tiny scenes, and on a synthetic scene against per-pixel K-means."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score

from conftest import synthetic_scene
from rsseg import IGNORE_LABEL
from rsseg.methods.baselines import kmeans_segment
from rsseg.methods.superpixel_features import unit_columns
from rsseg.methods.superpixel_kmeans import SuperpixelKMeansParams, superpixel_kmeans_segment
from rsseg.methods.superpixels import felzenszwalb_superpixels


def test_unit_columns_have_unit_spread_and_leave_a_constant_column_at_zero():
    features = np.array([[1.0, 5.0], [3.0, 5.0]])
    assert unit_columns(features).tolist() == [[-1 / np.sqrt(2), 0.0], [1 / np.sqrt(2), 0.0]]


def test_superpixels_of_two_spectra_fall_into_two_clusters_constant_within_each_superpixel():
    # four superpixels (columns of 2 px), the outer two bright, the inner two dark; one invalid pixel
    superpixels = np.array([[0, 0, 1, 1, 2, 2, 3, 3]] * 2)
    image = np.where((superpixels == 0) | (superpixels == 3), 10.0, 1.0)[None].astype(np.float32)
    image = image + np.arange(8, dtype=np.float32)[None, None] * 0.01  # no two superpixels alike
    valid = np.ones(superpixels.shape, dtype=bool)
    valid[0, 0] = False
    labels, info = superpixel_kmeans_segment(image, valid, superpixels, SuperpixelKMeansParams(clusters=2), seed=0)
    assert labels[0, 0] == IGNORE_LABEL and info == {"n_superpixels": 4, "n_clusters": 2}
    assert labels[1, 0] == labels[0, 7] != labels[0, 2] == labels[1, 5]


def test_more_clusters_than_superpixels_give_one_per_superpixel():
    superpixels = np.array([[0, 0, 1, 1]])
    image = np.array([[[0.0, 0.0, 1.0, 1.0]]], dtype=np.float32)
    labels, info = superpixel_kmeans_segment(image, np.ones((1, 4), bool), superpixels,
                                             SuperpixelKMeansParams(clusters=8), seed=0)
    assert info["n_clusters"] == 2 and len(np.unique(labels)) == 2


def test_on_a_scene_of_regions_it_beats_per_pixel_kmeans_and_is_seeded():
    image, classes = synthetic_scene(96, 96, seed=3)
    image = image.astype(np.float32)
    valid = image.any(axis=0)
    superpixels = felzenszwalb_superpixels(image[1:], valid)
    params = SuperpixelKMeansParams(clusters=5)
    labels, _ = superpixel_kmeans_segment(image, valid, superpixels, params, seed=0)
    again, _ = superpixel_kmeans_segment(image, valid, superpixels, params, seed=0)
    assert np.array_equal(labels, again)
    pixels = kmeans_segment(image, valid, 5, seed=0)
    ami = adjusted_mutual_info_score(classes[valid], labels[valid])
    assert ami > adjusted_mutual_info_score(classes[valid], pixels[valid]) and ami > 0.9
    with_context, _ = superpixel_kmeans_segment(
        image, valid, superpixels, SuperpixelKMeansParams(clusters=5, context_weight=1.0), seed=0)
    assert adjusted_mutual_info_score(classes[valid], with_context[valid]) > 0.5


@pytest.mark.parametrize(("field", "value", "message"), [
    ("clusters", 1, "clusters must be at least 2 and at most 254, got 1"),
    ("clusters", 255, "clusters must be at least 2 and at most 254, got 255"),
    ("context_weight", -1.0, "context_weight must be at least 0, got -1.0"),
    ("n_init", 0, "n_init must be at least 1")])
def test_bad_settings_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        SuperpixelKMeansParams(**{"clusters": 4, field: value})
