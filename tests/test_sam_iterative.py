"""ISAgrSC2 loop logic with fake mask generators; the real SAM runs in tests/test_sam_workflow.py."""

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from rsseg.data.patches import read_manifest
from rsseg.errors import InputError
from rsseg.isagrsc2.sam_iterative import (
    SamParams,
    colour_entropy,
    deduplicate,
    downsample_instances,
    drop_small,
    is_under_segmented,
    iterative_segment,
    paint_segmented_white,
    refine_masks,
    should_continue,
    split_components,
    unsegmented_mask,
)
from rsseg.isagrsc2.sam_patches import segment_patches

# loop tests: nothing is refined (no mask covers more than the whole image) and no size filter bites
LOOP = dict(refine_min_area_fraction=1.0, min_mask_px=1, min_leftover_px=1, dilation_px=1)


def box(shape, r0, c0, r1, c1):
    mask = np.zeros(shape, dtype=bool)
    mask[r0:r1, c0:c1] = True
    return mask


def checkerboard(size, cell, colour_a, colour_b):
    rows, cols = np.mgrid[0:size, 0:size]
    odd = ((rows // cell + cols // cell) % 2).astype(bool)
    return np.where(odd[..., None], np.array(colour_a), np.array(colour_b)), odd


def two_colour_texture(size=96, seed=0):
    """Red and green 8 px squares with strong per-pixel noise: several land covers in one mask."""
    rng = np.random.default_rng(seed)
    image, odd = checkerboard(size, 8, (200, 60, 40), (40, 160, 60))
    return np.clip(image + rng.integers(-40, 41, image.shape), 0, 255).astype(np.uint8), odd


def test_paint_segmented_white_covers_mask_and_dilation_ring_only():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 200, (20, 20, 3), dtype=np.uint8)
    painted = paint_segmented_white(image, [box((20, 20), 8, 8, 12, 12)], dilation_px=2)
    white = (painted == 255).all(axis=-1)
    assert white[6:14, 8:12].all() and white[8:12, 6:14].all()     # mask plus 2 px ring
    assert not white[5, 10] and not white[10, 15]                    # 3 px away: untouched
    assert not white[6, 6]                                           # disk, not square, ring
    np.testing.assert_array_equal(painted[~white], image[~white])
    assert (image < 255).all()                                       # input left unchanged


def test_unsegmented_mask_drops_small_leftovers():
    shape = (20, 20)
    segmented = box(shape, 0, 0, 20, 10) | box(shape, 0, 10, 10, 20)
    segmented[15, 15] = True                                         # cuts nothing off
    hole = box(shape, 2, 2, 4, 4)                                    # 4 px leftover inside a mask
    todo = unsegmented_mask([segmented & ~hole], shape, min_leftover_px=5)
    assert not todo[hole].any()
    assert todo.sum() == 10 * 10 - 1


@pytest.mark.parametrize("round_index, fraction, expected", [
    (1, 0.5, True), (3, 0.5, True), (4, 0.5, False), (1, 0.049, False), (1, 0.05, True)])
def test_should_continue_until_max_rounds_or_little_left(round_index, fraction, expected):
    assert should_continue(round_index, fraction, SamParams()) is expected


def test_deduplicate_keeps_larger_of_near_identical_pair():
    shape = (30, 30)
    larger, smaller = box(shape, 0, 0, 10, 10), box(shape, 0, 0, 10, 9)   # IoU 0.9
    assert deduplicate([smaller, larger], 0.8) == [1]


@pytest.mark.parametrize("other", [(0, 4, 10, 16), (0, 0, 10, 24)])   # IoU 0.5, shifted and nested
def test_deduplicate_keeps_both_of_half_overlapping_pair(other):
    shape = (30, 30)
    assert deduplicate([box(shape, 0, 0, 10, 12), box(shape, *other)], 0.8) == [0, 1]


def test_deduplicate_matches_brute_force():
    rng = np.random.default_rng(1)
    shape = (40, 40)
    masks = []
    for _ in range(40):
        r0, c0 = rng.integers(0, 30, 2)
        masks.append(box(shape, r0, c0, r0 + rng.integers(5, 11), c0 + rng.integers(5, 11)))
    masks += [m.copy() for m in masks[:5]]                               # exact duplicates too
    areas = [m.sum() for m in masks]
    kept = []
    for i in np.argsort(-np.array(areas), kind="stable"):
        if all((masks[i] & masks[j]).sum() / (masks[i] | masks[j]).sum() <= 0.6 for j in kept):
            kept.append(i)
    assert deduplicate(masks, 0.6) == sorted(kept)
    assert len(kept) < 45


def test_split_components_separates_disjoint_parts_keeps_diagonal_touch():
    shape = (12, 12)
    two_parts = box(shape, 0, 0, 3, 3) | box(shape, 8, 8, 12, 12)
    diagonal = box(shape, 0, 8, 2, 10) | box(shape, 2, 10, 4, 12)
    pieces, parents = split_components([two_parts, diagonal])
    assert parents == [0, 0, 1]
    assert [p.sum() for p in pieces] == [9, 16, 8]
    np.testing.assert_array_equal(pieces[0] | pieces[1], two_parts)


def test_drop_small_returns_indices_of_big_enough_masks():
    shape = (10, 10)
    masks = [box(shape, 0, 0, 2, 2), box(shape, 0, 0, 3, 3), box(shape, 0, 0, 1, 1)]
    assert drop_small(masks, 4) == [0, 1]


def test_colour_entropy_in_bits():
    assert colour_entropy(np.full((50, 3), 90, np.uint8), 4) == 0
    halves = np.array([[0, 0, 0]] * 10 + [[255, 255, 255]] * 10, dtype=np.uint8)
    assert colour_entropy(halves, 4) == pytest.approx(1.0)


def test_under_segmented_needs_large_area_edges_and_colours():
    params = SamParams()
    size = 96
    mask = box((size, size), 8, 8, 88, 88)                                # 69% of the image
    textured, _ = two_colour_texture(size)
    flat = np.full((size, size, 3), (90, 140, 70), np.uint8)
    grey_checker, _ = checkerboard(size, 8, (70, 70, 70), (120, 120, 120))  # edges, one colour bin
    rows, cols = np.mgrid[0:size, 0:size]
    gradient = np.stack([cols * 255 // size, rows * 255 // size, np.full_like(rows, 100)], axis=-1)
    assert is_under_segmented(textured, mask, params)
    assert not is_under_segmented(flat, mask, params)
    assert not is_under_segmented(grey_checker.astype(np.uint8), mask, params)
    assert not is_under_segmented(gradient.astype(np.uint8), mask, params)
    assert not is_under_segmented(textured, box((size, size), 8, 8, 30, 30), params)   # 5%: too small


def colour_split_generator(calls):
    """Fake SAM for refinement: one mask of the reddish pixels, one of the greenish (white excluded)."""
    def generate(image):
        calls.append(image.shape)
        rgb = image.astype(int)
        white = (image == 255).all(axis=-1)
        return [(rgb[..., 0] > rgb[..., 1]) & ~white, (rgb[..., 1] >= rgb[..., 0]) & ~white]
    return generate


def test_refine_splits_textured_mask_and_leaves_flat_one():
    size = 96
    textured, odd = two_colour_texture(size)
    image = textured.copy()
    image[:, 48:] = (90, 140, 70)                                        # flat right half
    textured_mask, flat_mask = box((size, size), 0, 0, size, 48), box((size, size), 0, 48, size, size)
    calls = []
    params = SamParams(refine_min_area_fraction=0.2, min_mask_px=16)
    masks, parents, refined = refine_masks(image, [textured_mask, flat_mask], colour_split_generator(calls), params)
    assert calls == [(size, 48, 3)]                                       # only the textured crop re-run
    assert parents == [0, 0, 1] and refined == [True, True, False]
    red = masks[0] if masks[0][~odd].sum() == 0 else masks[1]
    np.testing.assert_array_equal(red, textured_mask & odd)
    np.testing.assert_array_equal(masks[0] | masks[1], textured_mask)
    np.testing.assert_array_equal(masks[2], flat_mask)


def test_refine_falls_back_to_original_when_nothing_useful_comes_back():
    textured, _ = two_colour_texture()
    mask = box(textured.shape[:2], 0, 0, 96, 96)
    for generate in (lambda image: [], lambda image: [np.ones(image.shape[:2], dtype=bool)]):
        masks, parents, refined = refine_masks(textured, [mask], generate, SamParams(min_mask_px=16))
        assert len(masks) == 1 and masks[0] is mask and refined == [False]


def half_then_rest_generator(seen):
    """Round 1: the left half. Round 2: the (white) left half again and the right half."""
    def generate(image):
        seen.append(image.copy())
        shape = image.shape[:2]
        left, right = box(shape, 0, 0, 32, 16), box(shape, 0, 16, 32, 32)
        return [left] if len(seen) == 1 else [left, right]
    return generate


def test_iterative_segment_two_rounds_cover_everything_then_stop():
    image = np.random.default_rng(0).integers(0, 200, (32, 32, 3), dtype=np.uint8)
    seen = []
    labels, props = iterative_segment(image, half_then_rest_generator(seen), SamParams(**LOOP))
    assert len(seen) == 2
    assert (seen[1][:, :17] == 255).all() and (seen[1][:, 18:] < 255).all()   # left half + 1 px ring white
    assert labels.dtype == np.int32 and labels.shape == (32, 32)
    assert (labels > 0).all()
    assert sorted(np.unique(labels)) == [1, 2]
    by_round = {p["round"]: p for p in props}
    assert set(by_round) == {1, 2}
    left = by_round[1]
    assert (labels[:, :16] == left["id"]).all()
    assert left["area_px"] == 512 and left["bbox"] == (0, 0, 32, 16) and left["refined"] is False
    np.testing.assert_allclose(left["mean_rgb"], image[:, :16].reshape(-1, 3).mean(axis=0))


def test_iterative_segment_stops_at_max_rounds():
    calls = []

    def one_square_per_call(image):
        calls.append(1)
        k = len(calls)
        return [box(image.shape[:2], 0, 4 * k, 4, 4 * k + 4)]

    labels, props = iterative_segment(np.zeros((32, 32, 3), np.uint8), one_square_per_call,
                                      SamParams(**{**LOOP, "max_rounds": 3}))
    assert len(calls) == 3
    assert [p["round"] for p in sorted(props, key=lambda p: p["bbox"][1])] == [1, 2, 3]
    assert (labels > 0).sum() == 3 * 16


def test_iterative_segment_dedups_splits_and_drops_small():
    shape = (32, 32)
    two_blobs = box(shape, 0, 0, 10, 10) | box(shape, 20, 20, 30, 30)
    tiny = box(shape, 15, 0, 17, 2)

    def generate(image):
        return [two_blobs, two_blobs.copy(), tiny]

    params = SamParams(**{**LOOP, "max_rounds": 1, "min_mask_px": 5})
    labels, props = iterative_segment(np.zeros(shape + (3,), np.uint8), generate, params)
    assert sorted(p["area_px"] for p in props) == [100, 100]
    assert (labels[15:17, 0:2] == 0).all()


def test_downsample_instances_takes_block_mode_with_tie_rules():
    labels = np.zeros((4, 8), dtype=np.int32)
    labels[:, :4] = [[7, 7, 7, 0]] * 4                                   # 12 of 16: 7
    labels[:2, 4:] = 5                                                    # 5 vs 0 tie -> 5
    tied = downsample_instances(labels, 4)
    np.testing.assert_array_equal(tied, [[7, 5]])
    labels[2:, 4:] = 3                                                    # 5 vs 3 tie -> 3
    assert downsample_instances(labels, 4)[0, 1] == 3
    assert downsample_instances(labels, 2).shape == (2, 4)
    with pytest.raises(ValueError, match="4x8 map does not divide into 3x3"):
        downsample_instances(labels, 3)


def test_sam_params_reject_unknown_keys_and_bad_values():
    assert SamParams.from_config({"max_rounds": 2}).max_rounds == 2
    assert SamParams().generator_kwargs() == dict(points_per_side=32, pred_iou_thresh=0.88,
                                                  stability_score_thresh=0.95, points_per_batch=64,
                                                  crop_n_layers=0)
    with pytest.raises(ValueError, match="unknown sam parameter.*max_round"):
        SamParams.from_config({"max_round": 2})
    with pytest.raises(ValueError, match="sam.dedup_iou must be at least 0 and at most 1, got 1.5"):
        SamParams(dedup_iou=1.5)


def write_patch(folder, patch_id, size, factor):
    profile = dict(driver="GTiff", width=size, height=size, crs="EPSG:32650",
                   transform=from_origin(500000.0, 3400000.0, 4.0, 4.0))
    image_path = folder / f"{patch_id}.tif"
    with rasterio.open(image_path, "w", count=4, dtype="uint8", **profile) as dst:
        dst.write(np.full((4, size, size), 100, np.uint8))
    up = np.random.default_rng(0).integers(0, 200, (3, size * factor, size * factor), dtype=np.uint8)
    up_path = folder / "upscaled" / f"{patch_id}.tif"
    up_path.parent.mkdir(exist_ok=True)
    with rasterio.open(up_path, "w", count=3, dtype="uint8", driver="GTiff", width=size * factor,
                       height=size * factor) as dst:
        dst.write(up)
    return dict(scene="s", patch_id=patch_id, image=str(image_path), label=str(folder / "unused.tif"))


def test_segment_patches_writes_patch_grid_labels_and_table(tmp_path):
    manifest_path = tmp_path / "manifest.csv"
    pd.DataFrame([write_patch(tmp_path, "s_p000", 8, 4)]).to_csv(manifest_path, index=False)
    table = segment_patches(read_manifest(manifest_path), tmp_path / "upscaled", tmp_path / "labels",
                            generate=half_then_rest_generator([]), params=SamParams(**LOOP))
    with rasterio.open(tmp_path / "labels" / "s_p000.tif") as src:
        labels = src.read(1)
        assert src.dtypes[0] == "int32" and src.nodata == 0
        assert src.transform == from_origin(500000.0, 3400000.0, 4.0, 4.0) and src.crs == "EPSG:32650"
    assert labels.shape == (8, 8) and len(np.unique(labels[:, :4])) == 1 and (labels > 0).all()
    assert list(table["round"]) == [1, 2] or list(table["round"]) == [2, 1]
    assert table["area_px"].tolist() == [32, 32] and table["area_px_upscaled"].tolist() == [512, 512]
    row = table.set_index("round").loc[1]
    assert (row.row0, row.col0, row.row1, row.col1) == (0, 0, 8, 4)


def test_segment_patches_rejects_upscaled_image_of_wrong_size(tmp_path):
    manifest = pd.DataFrame([write_patch(tmp_path, "s_p000", 8, 2)])
    with pytest.raises(InputError, match=r"s_p000\.tif: is 16x16 px, expected 32x32 px"):
        segment_patches(manifest, tmp_path / "upscaled", tmp_path / "labels", generate=lambda image: [],
                        params=SamParams())


def test_read_manifest_names_missing_columns(tmp_path):
    path = tmp_path / "m.csv"
    pd.DataFrame({"scene": ["a"], "patch_id": ["a_p000"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"m\.csv: lacks manifest column\(s\) \['image', 'label'\]"):
        read_manifest(path)
