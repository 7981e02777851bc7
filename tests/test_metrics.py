import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, fowlkes_mallows_score
from sklearn.metrics.cluster._expected_mutual_info_fast import expected_mutual_information as sklearn_emi

from rsseg import IGNORE_LABEL
from rsseg.evaluation.metrics import (
    contingency_table,
    expected_mutual_information,
    farmland_scores,
    segmentation_scores,
)


def test_perfect_and_permuted_labels_score_one():
    truth = np.array([[0, 0, 1, 1], [2, 2, 3, 3]], dtype=np.uint8)
    permuted = np.array([7, 3, 9, 1], dtype=np.uint8)[truth]
    for predicted in (truth, permuted):
        scores = segmentation_scores(predicted, truth)
        assert scores["ami"] == pytest.approx(1.0)
        assert scores["fmi"] == pytest.approx(1.0)
        assert scores["ari"] == pytest.approx(1.0)
        assert scores["n_segments"] == 4 and scores["n_pixels"] == 8


@pytest.mark.parametrize("seed", range(5))
def test_scores_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, (60, 70)).astype(np.uint8)
    predicted = ((truth * rng.integers(1, 4) + rng.integers(0, 9, truth.shape)) % 12).astype(np.int32)
    scores = segmentation_scores(predicted, truth)
    assert scores["ami"] == pytest.approx(adjusted_mutual_info_score(truth.ravel(), predicted.ravel()), abs=1e-12)
    assert scores["fmi"] == pytest.approx(fowlkes_mallows_score(truth.ravel(), predicted.ravel()), abs=1e-12)
    assert scores["ari"] == pytest.approx(adjusted_rand_score(truth.ravel(), predicted.ravel()), abs=1e-12)


def test_expected_mutual_information_equals_scikit_learn_with_large_counts():
    table = np.array([[400_000, 30_000, 5_000], [20_000, 250_000, 1_000], [7, 90_000, 60_000]], dtype=np.int64)
    assert expected_mutual_information(table) == pytest.approx(sklearn_emi(table, int(table.sum())), rel=1e-6)


def test_ignored_pixels_are_not_scored():
    truth = np.array([0, 0, 1, 1, IGNORE_LABEL, IGNORE_LABEL], dtype=np.uint8)
    # Scored as a class of their own, the unlabelled pixels would be split across both segments.
    predicted = np.array([4, 4, 6, 6, 4, 6], dtype=np.uint8)
    assert segmentation_scores(predicted, truth)["ari"] == pytest.approx(1.0)
    assert segmentation_scores(predicted, truth, ignore=99)["ari"] < 0.5
    unpredicted = np.array([4, 4, IGNORE_LABEL, 6, 5, 5], dtype=np.uint8)
    scores = segmentation_scores(unpredicted, truth)
    assert scores["n_pixels"] == 3 and scores["n_segments"] == 2
    assert scores["ami"] == pytest.approx(1.0)


def test_nothing_to_score_gives_nan():
    scores = segmentation_scores(np.zeros(3, np.uint8), np.full(3, IGNORE_LABEL, np.uint8))
    assert all(math.isnan(scores[name]) for name in ("ami", "matched_miou", "many_to_one_accuracy"))
    assert scores["n_pixels"] == 0 and scores["n_segments"] == 0


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"predicted has shape \(2, 3\) but truth has shape \(3, 2\)"):
        segmentation_scores(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"valid has shape \(4,\)"):
        farmland_scores(np.zeros(3, bool), np.zeros(3, bool), np.zeros(4, bool))


def test_farmland_scores_on_a_hand_example():
    predicted = np.array([1, 1, 1, 0, 0, 1, 0], dtype=bool)
    truth = np.array([1, 1, 0, 1, 0, 1, 1], dtype=bool)
    valid = np.array([1, 1, 1, 1, 1, 0, 0], dtype=bool)
    # Over the valid pixels: tp = 2 (0, 1), fp = 1 (2), fn = 1 (3); pixels 5 and 6 are outside.
    assert farmland_scores(predicted, truth, valid) == {
        "iou": pytest.approx(0.5), "precision": pytest.approx(2 / 3), "recall": pytest.approx(2 / 3),
        "tp": 2, "fp": 1, "fn": 1}
    empty = farmland_scores(np.zeros(3, bool), np.zeros(3, bool), np.ones(3, bool))
    assert math.isnan(empty["iou"]) and empty["tp"] == 0


def brute_force_matched(table):
    """Accuracy and mIoU of the best one-to-one matching, trying every injective map of segments to classes."""
    n_classes, n_segments = table.shape
    best = (-1, None)
    for classes in itertools.permutations(range(n_classes), n_segments):
        agreed = sum(table[c, s] for s, c in enumerate(classes))
        if agreed > best[0]:
            best = (agreed, classes)
    agreed, classes = best
    ious = np.zeros(n_classes)
    for s, c in enumerate(classes):
        ious[c] = table[c, s] / (table[c].sum() + table[:, s].sum() - table[c, s])
    return agreed / table.sum(), ious.mean()


def brute_force_many_to_one(table):
    """Accuracy of the best map of segments to classes, several segments allowed per class."""
    n_classes, n_segments = table.shape
    return max(sum(table[c, s] for s, c in enumerate(classes))
               for classes in itertools.product(range(n_classes), repeat=n_segments)) / table.sum()


@pytest.mark.parametrize("seed", range(20))
def test_matched_and_many_to_one_scores_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(2, 6))
    n_segments = int(rng.integers(1, n_classes + 1))
    truth = rng.integers(0, n_classes, 300)
    # segments that follow the classes loosely, so the best matching is not the identity
    predicted = np.where(rng.random(300) < 0.6, rng.permutation(n_classes)[truth] % n_segments,
                         rng.integers(0, n_segments, 300))
    table = contingency_table(truth, predicted)
    accuracy, miou = brute_force_matched(table)
    scores = segmentation_scores(predicted.astype(np.uint8), truth.astype(np.uint8))
    assert scores["matched_accuracy"] == pytest.approx(accuracy)
    assert scores["matched_miou"] == pytest.approx(miou)
    assert scores["many_to_one_accuracy"] == pytest.approx(brute_force_many_to_one(table))


def test_more_segments_than_classes_have_no_matched_scores():
    truth = np.array([0, 0, 0, 1, 1, 1], dtype=np.uint8)
    predicted = np.array([0, 0, 1, 2, 2, 2], dtype=np.uint8)
    scores = segmentation_scores(predicted, truth)
    assert math.isnan(scores["matched_accuracy"]) and math.isnan(scores["matched_miou"])
    # segments 0 and 1 both take class 0: every pixel right
    assert scores["many_to_one_accuracy"] == 1.0


def test_a_class_without_a_segment_has_iou_zero():
    truth = np.array([0, 0, 1, 1, 2, 2], dtype=np.uint8)
    predicted = np.array([5, 5, 5, 5, 7, 7], dtype=np.uint8)
    scores = segmentation_scores(predicted, truth)
    # segment 5 matches class 0 (or 1: a tie, 2 pixels each), segment 7 class 2
    assert scores["matched_accuracy"] == pytest.approx(4 / 6)
    assert scores["matched_miou"] == pytest.approx((2 / 4 + 0 + 1) / 3)
