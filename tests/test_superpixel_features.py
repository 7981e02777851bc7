"""The superpixels of a scene as rows: their numbering, sizes, means and adjacency, by value."""

import numpy as np
import pytest

from rsseg.methods.superpixel_features import (
    compact_superpixels,
    neighbour_means,
    superpixel_adjacency,
    superpixel_means,
    superpixel_sizes,
)

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
