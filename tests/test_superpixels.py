import numpy as np

from rsseg.methods.superpixels import felzenszwalb_superpixels


def blocks_image(seed=0):
    """Four flat quadrants with distinct spectra and a little noise."""
    rng = np.random.default_rng(seed)
    image = np.zeros((3, 64, 64), dtype=np.float32)
    image[:, :32, :32] = [[[10]], [[200]], [[30]]]
    image[:, :32, 32:] = [[[200]], [[10]], [[30]]]
    image[:, 32:, :32] = [[[30]], [[30]], [[220]]]
    image[:, 32:, 32:] = [[[120]], [[120]], [[120]]]
    return image + rng.normal(0, 1, image.shape).astype(np.float32)


def test_superpixels_do_not_cross_strong_edges():
    labels = felzenszwalb_superpixels(blocks_image(), np.ones((64, 64), bool), scale=32, sigma=0.5, min_size=16)
    assert labels.shape == (64, 64) and labels.dtype == np.int32
    assert np.array_equal(np.unique(labels), np.arange(labels.max() + 1))
    quadrants = [labels[:32, :32], labels[:32, 32:], labels[32:, :32], labels[32:, 32:]]
    for i, a in enumerate(quadrants):
        for b in quadrants[i + 1:]:
            assert not set(np.unique(a)) & set(np.unique(b))


def test_tiles_give_unique_labels_that_respect_edges():
    image, valid = blocks_image(), np.ones((64, 64), bool)
    quadrant = np.add.outer(np.arange(64) // 32 * 2, np.arange(64) // 32)
    tiled = felzenszwalb_superpixels(image, valid, min_size=16, tile_size=24)
    assert np.array_equal(np.unique(tiled), np.arange(tiled.max() + 1))
    # each superpixel is (almost) all in one quadrant: only min_size merges of tile-edge slivers mix
    majority = sum(np.bincount(quadrant[tiled == s]).max() for s in np.unique(tiled))
    assert majority / tiled.size > 0.97
    # no superpixel spans two tiles
    assert not set(np.unique(tiled[:24, :24])) & set(np.unique(tiled[:24, 24:48]))
