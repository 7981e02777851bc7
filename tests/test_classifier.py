"""Segment classifier, SAM+CLIP map and farmland scoring: the logic, with fake models where a model is needed."""

import numpy as np
import pandas as pd
import pytest
import torch
from rasterio.transform import from_origin

from rsseg.data.raster import write_labels
from rsseg.errors import InputError
from rsseg.evaluation.farmland import FARMLAND_COLUMNS, farmland_table
from rsseg.isagrsc2.classifier import (
    ClassifierParams,
    confident_pseudo_labels,
    dataset_targets,
    farmland_mask,
    load_head,
    save_head,
    train_segment_classifier,
    zero_shot_scores,
)
from rsseg.isagrsc2.sam_clip import cluster_segments, paste_patch_maps, semantic_map
from rsseg.isagrsc2.segment_features import CROP_FILL, hue_colour_features, segment_crops


def test_pseudo_labels_keep_only_confident_segments():
    targets, usable = confident_pseudo_labels(np.array([0.9, 0.1, 0.55, 0.45, 0.7, 0.3]), 0.7)
    assert targets.tolist() == [1, 0, 1, 0, 1, 0]
    assert usable.tolist() == [True, True, False, False, True, True]


class FakeClip(torch.nn.Module):
    """Text embeddings are fixed unit vectors per prompt; a 'tokenizer' numbers the prompts."""

    def __init__(self, text_vectors, logit_scale):
        super().__init__()
        self.text_vectors = torch.tensor(text_vectors, dtype=torch.float32)
        self.logit_scale = torch.nn.Parameter(torch.tensor(np.log(logit_scale), dtype=torch.float32))

    def encode_text(self, tokens):
        return self.text_vectors[tokens] * 3.0          # not normalised: the scorer must normalise


def test_zero_shot_score_is_softmax_mass_of_positive_prompts():
    text = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]           # one positive prompt, two negatives
    model = FakeClip(text, logit_scale=10.0)
    embeddings = np.array([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0]], dtype=np.float32)
    scores = zero_shot_scores(model, lambda prompts: torch.arange(len(prompts)), embeddings,
                              ["farm"], ["city", "forest"], "cpu")
    logits = 10.0 * embeddings @ np.array(text, dtype=np.float32).T
    expected = np.exp(logits[:, 0]) / np.exp(logits).sum(axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert scores[0] > 0.99 and scores[1] < 0.01
    with pytest.raises(ValueError, match="at least one positive and one negative"):
        zero_shot_scores(model, lambda p: torch.arange(len(p)), embeddings, ["farm"], [], "cpu")


def test_dataset_targets_majority_class_ignoring_unlabelled_pixels():
    labels = np.array([[1, 1, 2, 2],
                       [1, 1, 2, 2],
                       [3, 3, 0, 0]], dtype=np.int32)
    classes = np.array([[4, 4, 0, 4],
                        [4, 2, 0, 255],
                        [255, 255, 4, 4]], dtype=np.uint8)
    targets, usable = dataset_targets(labels, classes, np.array([1, 2, 3]), farmland_classes=[4])
    assert targets.tolist()[:2] == [1, 0]              # segment 2: class 0 wins 2 to 1
    assert usable.tolist() == [True, True, False]       # segment 3 has only unlabelled pixels


def test_hue_histogram_and_colourfulness_per_segment():
    image = np.zeros((2, 4, 3), dtype=np.uint8)
    image[:, :2] = (255, 0, 0)                           # segment 1: saturated red
    image[:, 2:] = (128, 128, 128)                       # segment 2: grey
    labels = np.array([[1, 1, 2, 2]] * 2, dtype=np.int32)
    features = hue_colour_features(image, labels, [1, 2], hue_bins=6)
    assert features.shape == (2, 7) and features.dtype == np.float32
    np.testing.assert_allclose(features[0, :6], [1, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(features[1, :6], 0)
    # Hasler-Suesstrunk: no spread, mean rg 255 and yb 127.5 -> 0.3 * sqrt(255^2 + 127.5^2) / 100
    assert features[0, 6] == pytest.approx(0.3 * np.hypot(255, 127.5) / 100, rel=1e-5)
    assert features[1, 6] == pytest.approx(0)


def test_segment_crops_are_square_with_other_pixels_greyed():
    image = np.full((6, 8, 3), 10, dtype=np.uint8)
    labels = np.zeros((6, 8), dtype=np.int32)
    labels[1:3, 0:6] = 5                                 # 2 x 6 box
    labels[2, 0] = 7
    crops = dict(segment_crops(image, labels))
    assert sorted(crops) == [5, 7]
    crop = np.asarray(crops[5])
    assert crop.shape == (6, 6, 3)
    assert (crop[2:4] == 10).sum(axis=-1).astype(bool).sum() == 11   # 12 box pixels less segment 7's
    assert (crop[0] == CROP_FILL).all() and (crop[3, 0] == CROP_FILL).all()


def test_classifier_learns_separable_segments_and_reports_a_curve():
    rng = np.random.default_rng(0)
    features = np.concatenate([rng.normal(-2, 1, (40, 5)), rng.normal(2, 1, (40, 5))]).astype(np.float32)
    targets = np.repeat([0, 1], 40)
    head, curve = train_segment_classifier(features, targets, seed=0, epochs=5)
    assert list(curve.columns) == ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    assert curve["epoch"].tolist() == [1, 2, 3, 4, 5]
    assert curve["train_accuracy"].iloc[-1] == 1.0 and curve["val_accuracy"].iloc[-1] == 1.0
    assert curve["train_loss"].iloc[-1] < 0.2
    assert (head.predict(features) == targets).all()


def test_classifier_with_one_class_predicts_it_and_with_none_fails():
    features = np.ones((4, 3), dtype=np.float32)
    head, curve = train_segment_classifier(features, np.zeros(4, dtype=int))
    assert curve.empty and (head.predict(features) == 0).all()
    with pytest.raises(ValueError, match="no segment to train"):
        train_segment_classifier(np.zeros((0, 3)), np.zeros(0, dtype=int))


def test_saved_head_round_trips_and_garbage_is_an_input_error(tmp_path):
    head, _ = train_segment_classifier(np.ones((3, 2)), np.ones(3, dtype=int))
    save_head(head, tmp_path / "model.joblib")
    assert load_head(tmp_path / "model.joblib").predict(np.ones((1, 2))).tolist() == [1]
    (tmp_path / "bad.joblib").write_bytes(b"not a pickle")
    with pytest.raises(InputError, match=r"bad\.joblib: is not a saved segment classifier"):
        load_head(tmp_path / "bad.joblib")
    with pytest.raises(InputError, match=r"gone\.joblib: does not exist"):
        load_head(tmp_path / "gone.joblib")


def test_classifier_params_reject_unknown_keys_and_say_when_clip_is_needed():
    config = ClassifierParams.from_config({"positive_prompts": ["fields"], "labels": "dataset"})
    assert config.positive_prompts == ("fields",)
    assert config.needs_clip(zero_shot=False)                        # CLIP features
    resnet = ClassifierParams(features="resnet50_hue")
    assert resnet.needs_clip(zero_shot=True) and not resnet.needs_clip(zero_shot=False)
    assert not ClassifierParams(features="resnet50_hue", labels="dataset").needs_clip(zero_shot=True)
    with pytest.raises(ValueError, match=r"unknown classifier parameter\(s\) \['prompts'\]"):
        ClassifierParams.from_config({"prompts": ["x"]})
    with pytest.raises(ValueError, match="classifier.confidence"):
        ClassifierParams(confidence=0.3)


def test_farmland_mask_and_semantic_map_paint_segments():
    labels = np.array([[0, 1, 1], [2, 2, 3]], dtype=np.int32)
    np.testing.assert_array_equal(farmland_mask(labels, [1, 2, 3], [True, False, True]),
                                  [[False, True, True], [False, False, True]])
    np.testing.assert_array_equal(semantic_map(labels, [1, 3], [4, 0]), [[255, 4, 4], [255, 255, 0]])


def test_cluster_segments_caps_k_and_groups_close_embeddings():
    embeddings = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1]], dtype=np.float32)
    clusters = cluster_segments(embeddings, 2, seed=0)
    assert clusters[0] == clusters[1] != clusters[2] == clusters[3]
    assert sorted(set(cluster_segments(embeddings[:1], 8, seed=0))) == [0]
    with pytest.raises(ValueError, match="clusters must be in"):
        cluster_segments(embeddings, 255, seed=0)


def test_paste_patch_maps_fills_patch_areas_and_keeps_earlier_labels_under_gaps():
    first = np.array([[1, 1], [1, 255]], dtype=np.uint8)
    second = np.array([[255, 2], [2, 2]], dtype=np.uint8)
    scene = paste_patch_maps((3, 4), [(0, 0, first), (1, 1, second)])
    np.testing.assert_array_equal(scene, [[1, 1, 255, 255],
                                          [1, 255, 2, 255],
                                          [255, 2, 2, 255]])
    with pytest.raises(ValueError, match="outside the 3x4 scene"):
        paste_patch_maps((3, 4), [(2, 3, first)])


def test_farmland_table_per_patch_and_pooled(tmp_path):
    profile = dict(driver="GTiff", width=4, height=2, crs="EPSG:32650",
                   transform=from_origin(500000.0, 3400000.0, 4.0, 4.0))
    truth = {"a": [[1, 1, 0, 255], [1, 0, 0, 255]], "b": [[0, 0, 0, 0], [3, 3, 0, 0]]}
    predicted = {"a": [[1, 0, 1, 1], [1, 0, 0, 0]], "b": [[0, 0, 0, 0], [1, 0, 0, 0]]}
    rows = []
    for name in truth:
        write_labels(tmp_path / f"{name}_labels.tif", np.array(truth[name], dtype=np.uint8), profile)
        write_labels(tmp_path / "masks" / f"{name}.tif", np.array(predicted[name], dtype=np.uint8), profile)
        rows.append(dict(scene="s", patch_id=name, image="", label=str(tmp_path / f"{name}_labels.tif")))
    table = farmland_table([(pd.DataFrame(rows), tmp_path / "masks")], farmland_classes=[1, 3])
    assert list(table.columns) == FARMLAND_COLUMNS
    a, b, total = (table.iloc[i] for i in range(3))
    # a: tp 2, fp 1 (the 255 column is not scored), fn 1
    assert (a.tp, a.fp, a.fn, a.n_pixels) == (2, 1, 1, 6)
    assert a.iou == pytest.approx(0.5) and a.precision == pytest.approx(2 / 3) and a.recall == pytest.approx(2 / 3)
    assert (b.tp, b.fp, b.fn) == (1, 0, 1) and b.iou == pytest.approx(0.5)
    assert (total.scene, total.patch_id, total.tp, total.fp, total.fn, total.n_pixels) == ("all", "total", 3, 1, 2, 14)
    assert total.iou == pytest.approx(0.5) and total.recall == pytest.approx(0.6)
