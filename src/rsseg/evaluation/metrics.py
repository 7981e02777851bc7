"""Scores of a segmentation against reference labels: AMI, FMI and ARI, the matched accuracies of
unsupervised-segmentation papers, and farmland IoU.

The clustering scores are scikit-learn's definitions, computed from one contingency table. Called on
label arrays, scikit-learn builds the table three times with a sort and spends about 30 s in its
expected-mutual-information loop on a 49 Mpx GID scene; here the table comes from ``np.bincount``
and the expectation skips only terms that are exactly zero in double precision (see
:func:`expected_mutual_information`), so the scores match scikit-learn's to rounding.
"""

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment
from scipy.special import gammaln, xlogy
from sklearn.metrics import mutual_info_score

from .. import IGNORE_LABEL

PIXELS_PER_PASS = 1 << 22
"""Pixels per bincount pass, bounding the int64 scratch index array."""

HYPERGEOMETRIC_TAIL = 375.0
"""The summed range is mean +- sqrt(HYPERGEOMETRIC_TAIL * min(a, b)): by Hoeffding's bound for sampling
without replacement every skipped probability is below exp(-2 * 375) = exp(-750), which is 0 in double."""


def check_same_shape(first_name: str, first: ArrayLike, second_name: str, second: ArrayLike) -> None:
    if np.shape(first) != np.shape(second):
        raise ValueError(f"{first_name} has shape {np.shape(first)} but {second_name} has shape "
                         f"{np.shape(second)}; they must be on the same grid")


def dense_codes(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Map label values to 0..n-1 (in increasing value order); returns (codes, n)."""
    if labels.size and labels.dtype.kind in "iub":
        low = int(labels.min())
        if int(labels.max()) - low < (1 << 20):
            # A lookup table beats np.unique's sort on tens of millions of small integers.
            shifted = labels.astype(np.int64) - low if low else labels
            present = np.bincount(shifted.ravel()) > 0
            table = np.cumsum(present) - 1
            return table[shifted], int(present.sum())
    values, codes = np.unique(labels, return_inverse=True)
    return codes.reshape(labels.shape), len(values)


def contingency_table(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts of (truth class, predicted segment) pairs, classes and segments absent from both dropped."""
    truth_codes, n_truth = dense_codes(truth)
    predicted_codes, n_predicted = dense_codes(predicted)
    table = np.zeros(n_truth * n_predicted, dtype=np.int64)
    for start in range(0, truth_codes.size, PIXELS_PER_PASS):
        stop = start + PIXELS_PER_PASS
        pair = truth_codes[start:stop].astype(np.int64) * n_predicted + predicted_codes[start:stop]
        table += np.bincount(pair, minlength=table.size)
    return table.reshape(n_truth, n_predicted)


def entropy(counts: np.ndarray) -> float:
    n = counts.sum()
    return float(-(xlogy(counts, counts).sum() / n - math.log(n)))


def expected_mutual_information(table: np.ndarray) -> float:
    """E[MI] under the permutation model (Vinh et al. 2010), as scikit-learn computes it.

    scikit-learn sums hypergeometric terms over every feasible cell count n_ij; far from the mean
    these are below the smallest double and contribute exactly 0, so only the range within
    HYPERGEOMETRIC_TAIL of the mean is summed, vectorised per cell.
    """
    a, b = table.sum(axis=1), table.sum(axis=0)
    n = int(a.sum())
    if len(a) == 1 or len(b) == 1:
        return 0.0
    log_n = math.log(n)
    emi = 0.0
    for ai in a.tolist():
        for bj in b.tolist():
            mean = ai * bj / n
            reach = math.sqrt(HYPERGEOMETRIC_TAIL * min(ai, bj)) + 1
            lo = max(1, ai + bj - n, math.floor(mean - reach))
            hi = min(ai, bj, math.ceil(mean + reach))
            if lo > hi:
                continue
            nij = np.arange(lo, hi + 1, dtype=np.float64)
            log_p = (gammaln(ai + 1) + gammaln(bj + 1) + gammaln(n - ai + 1) + gammaln(n - bj + 1)
                     - gammaln(n + 1) - gammaln(nij + 1) - gammaln(ai - nij + 1) - gammaln(bj - nij + 1)
                     - gammaln(n - ai - bj + nij + 1))
            emi += float(np.sum(nij / n * (log_n + np.log(nij) - math.log(ai) - math.log(bj))
                                * np.exp(log_p)))
    return emi


def keep_sign_away_from_zero(value: float) -> float:
    """scikit-learn's guard against 0/0 in AMI: nudge to +-eps, keeping the sign."""
    eps = np.finfo(np.float64).eps
    return min(value, -eps) if value < 0 else max(value, eps)


def adjusted_mutual_info(table: np.ndarray) -> float:
    """sklearn.metrics.adjusted_mutual_info_score (arithmetic mean) from a contingency table."""
    n_classes, n_segments = table.shape
    if n_classes == n_segments == 1:
        return 1.0
    if n_classes == 1 or n_segments == 1:
        return 0.0
    a, b = table.sum(axis=1), table.sum(axis=0)
    mi = mutual_info_score(None, None, contingency=table)
    emi = expected_mutual_information(table)
    normaliser = (entropy(a) + entropy(b)) / 2
    return float(keep_sign_away_from_zero(mi - emi) / keep_sign_away_from_zero(normaliser - emi))


def pair_counts(table: np.ndarray) -> tuple[int, int, int, int]:
    """Pairs together in both (tp), only in the prediction (fp), only in the truth (fn), in neither (tn)."""
    n = int(table.sum())
    a, b = table.sum(axis=1), table.sum(axis=0)
    squares = int(np.sum(table * table))
    together_truth = int(np.sum(a * a)) - n
    together_predicted = int(np.sum(b * b)) - n
    tp = squares - n
    fp = together_predicted - tp
    fn = together_truth - tp
    tn = n * n - n - tp - fp - fn
    return tp, fp, fn, tn


def adjusted_rand(table: np.ndarray) -> float:
    """sklearn.metrics.adjusted_rand_score from a contingency table."""
    tp, fp, fn, tn = pair_counts(table)
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def fowlkes_mallows(table: np.ndarray) -> float:
    """sklearn.metrics.fowlkes_mallows_score from a contingency table."""
    tp, fp, fn, _ = pair_counts(table)
    if tp == 0:
        return 0.0
    return float(np.sqrt(tp / (tp + fp)) * np.sqrt(tp / (tp + fn)))


def matched_scores(table: np.ndarray) -> tuple[float, float]:
    """Pixel accuracy and mean IoU over the classes after matching segments to classes one to one so that the
    most pixels agree (the Hungarian matching of IIC, PiCIE and STEGO); a class left without a segment has IoU 0.

    Defined only for a map of at most as many segments as the truth has classes (``table`` is classes x
    segments); with more, some segments would go unmatched and their pixels count as wrong, so both are NaN
    and :func:`many_to_one_accuracy` is the score to read.
    """
    n_classes, n_segments = table.shape
    if n_segments > n_classes:
        return math.nan, math.nan
    classes, segments = linear_sum_assignment(table, maximize=True)
    matched = table[classes, segments]
    union = table.sum(axis=1)[classes] + table.sum(axis=0)[segments] - matched
    iou = np.zeros(n_classes)
    iou[classes] = matched / union
    return float(matched.sum() / table.sum()), float(iou.mean())


def many_to_one_accuracy(table: np.ndarray) -> float:
    """Pixel accuracy when every segment takes its majority class (several segments may take one class): the
    score of an over-segmentation, which rises with the number of segments and reaches 1 with one per pixel."""
    return float(table.max(axis=0).sum() / table.sum())


NAN_SCORES = {"ami": math.nan, "fmi": math.nan, "ari": math.nan, "matched_accuracy": math.nan,
              "matched_miou": math.nan, "many_to_one_accuracy": math.nan, "n_segments": 0, "n_pixels": 0}
"""The scores of a map with no scored pixel."""


def segmentation_scores(predicted: ArrayLike, truth: ArrayLike, ignore: int = IGNORE_LABEL) -> dict[str, Any]:
    """The scores of ``predicted`` against ``truth`` over pixels that neither marks ``ignore``.

    Returns ``ami``, ``fmi``, ``ari``, ``matched_accuracy`` and ``matched_miou`` (:func:`matched_scores`, NaN
    with more segments than classes), ``many_to_one_accuracy`` (all NaN when no pixel is scored),
    ``n_segments`` (distinct predicted labels among scored pixels) and ``n_pixels`` (scored pixels).
    """
    predicted, truth = np.asarray(predicted), np.asarray(truth)
    check_same_shape("predicted", predicted, "truth", truth)
    scored = (truth != ignore) & (predicted != ignore)
    n_pixels = int(np.count_nonzero(scored))
    if n_pixels == 0:
        return dict(NAN_SCORES)
    table = contingency_table(truth[scored], predicted[scored])
    accuracy, miou = matched_scores(table)
    return {"ami": adjusted_mutual_info(table), "fmi": fowlkes_mallows(table), "ari": adjusted_rand(table),
            "matched_accuracy": accuracy, "matched_miou": miou, "many_to_one_accuracy": many_to_one_accuracy(table),
            "n_segments": int(table.shape[1]), "n_pixels": n_pixels}


def count_segments(labels: ArrayLike, valid: np.ndarray) -> int:
    """Distinct labels among the ``valid`` pixels of a uint8 label map (the run records' ``n_segments``)."""
    return int(np.count_nonzero(np.bincount(np.asarray(labels)[valid], minlength=1)))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def overlap_scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    """IoU, precision and recall from the pixel counts of true positives, false positives and false negatives
    (NaN where a ratio has no pixel), with the counts themselves so that several images can be pooled."""
    return {"iou": ratio(tp, tp + fp + fn), "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "tp": tp, "fp": fp, "fn": fn}


def farmland_scores(predicted_mask: ArrayLike, truth_mask: ArrayLike, valid: ArrayLike) -> dict[str, float]:
    """:func:`overlap_scores` of a predicted farmland mask over ``valid`` pixels (which should exclude
    unlabelled truth)."""
    predicted, truth = np.asarray(predicted_mask, dtype=bool), np.asarray(truth_mask, dtype=bool)
    scored = np.asarray(valid, dtype=bool)
    check_same_shape("predicted_mask", predicted, "truth_mask", truth)
    check_same_shape("predicted_mask", predicted, "valid", scored)
    predicted, truth = predicted & scored, truth & scored
    tp = int(np.count_nonzero(predicted & truth))
    fp = int(np.count_nonzero(predicted & ~truth))
    fn = int(np.count_nonzero(~predicted & truth))
    return overlap_scores(tp, fp, fn)
