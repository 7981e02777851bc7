import numpy as np
import pytest

from rsseg.data.tiling import tile_windows, window_starts


@pytest.mark.parametrize("length", [1, 300, 512, 513, 960, 1000, 6800, 7200])
def test_windows_cover_every_pixel_and_stay_inside(length):
    starts = window_starts(length, 512, 448)
    covered = np.zeros(length, dtype=int)
    for start in starts:
        assert start >= 0 and start + min(512, length) <= length
        covered[start:start + 512] += 1
    assert covered.min() >= 1
    assert starts == sorted(set(starts))


def test_last_window_is_snapped_to_the_edge():
    assert window_starts(1000, 512, 448) == [0, 448, 488]
    assert window_starts(960, 512, 448) == [0, 448]  # 448 + 512 = 960 ends exactly at the edge
    assert window_starts(7200, 512, 448)[-1] == 7200 - 512
    assert len(window_starts(7200, 512, 448)) == 16


def test_short_axis_gets_one_clipped_window():
    assert window_starts(300, 512, 448) == [0]
    assert tile_windows(300, 1000, 512, 448) == [(0, 0, 300, 512), (0, 448, 300, 512), (0, 488, 300, 512)]


def test_two_dimensional_windows_tile_the_raster():
    covered = np.zeros((700, 1100), dtype=int)
    for row, col, h, w in tile_windows(700, 1100, 512, 448):
        assert (h, w) == (512, 512)
        covered[row:row + h, col:col + w] += 1
    assert covered.min() >= 1


@pytest.mark.parametrize("args", [(0, 512, 448), (100, 512, 0), (100, 400, 448)])
def test_invalid_window_settings_are_rejected(args):
    with pytest.raises(ValueError):
        window_starts(*args)
