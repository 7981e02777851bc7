"""Labelling SAM segments as cultivated land: ISAgrSC2's classifier, assisted by CLIP.

A small logistic head is trained on each segment's features (:mod:`rsseg.isagrsc2.segment_features`: CLIP
image embeddings, or ISAgrSC2's ResNet50 + hue features) with targets from CLIP zero-shot prompts
(no manual labels: only confidently scored segments) or from the dataset's label raster; it is saved
with joblib and applied to every patch to write the farmland masks.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import joblib
import numpy as np
import pandas as pd
import torch
from numpy.typing import ArrayLike
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from .. import IGNORE_LABEL
from ..data.labels import majority_classes
from ..data.raster import read_labels, write_labels
from ..errors import InputError
from ..files import StrPath, atomic_directory, atomic_path
from ..params import FromConfig, Range
from .segment_features import FEATURE_SETS, SegmentModels, load_resnet50, paint_segment_values, patch_features
from .segmented_patches import SegmentedPatch
from .weights import load_clip

log = logging.getLogger(__name__)


class SegmentClassifier(Protocol):
    """The trained head as scikit-learn gives it (a pipeline, or a constant predictor for a single class)."""

    classes_: np.ndarray

    def predict(self, features: np.ndarray) -> np.ndarray: ...

    def predict_proba(self, features: np.ndarray) -> np.ndarray: ...


LABEL_SOURCES = ("clip_zero_shot", "dataset")
CURVE_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]


@dataclass(frozen=True)
class ClassifierParams(FromConfig):
    """The cultivated-land classifier: where its targets come from (``labels``), what describes a segment
    (``features``), the zero-shot prompts and the training of its logistic head."""

    labels: str = "clip_zero_shot"
    features: str = "clip"
    positive_prompts: tuple[str, ...] = ("a satellite image of farmland",
                                         "a satellite image of cultivated cropland fields")
    negative_prompts: tuple[str, ...] = ("a satellite image of buildings", "a satellite image of forest",
                                         "a satellite image of water", "a satellite image of roads",
                                         "a satellite image of bare land")
    confidence: float = 0.7            # pseudo-label kept when max(p, 1 - p) reaches this
    resnet50_checkpoint: str | None = None
    hue_bins: int = 18
    batch_size: int = 32
    epochs: int = 30
    alpha: float = 1e-4                # L2 penalty of the logistic head
    validation_fraction: float = 0.2

    section = "classifier"
    bounds = {"confidence": Range(minimum=0.5, maximum=1), "hue_bins": Range(minimum=1), "batch_size": Range(minimum=1),
              "epochs": Range(minimum=1), "alpha": Range(minimum=0),
              "validation_fraction": Range(minimum=0, exclusive_maximum=1)}

    def __post_init__(self) -> None:
        super().__post_init__()
        # the config gives lists; tuples keep the frozen parameters hashable
        for key in ("positive_prompts", "negative_prompts"):
            object.__setattr__(self, key, tuple(getattr(self, key)))
        if self.labels not in LABEL_SOURCES:
            raise ValueError(f"classifier.labels must be one of {LABEL_SOURCES}, got {self.labels!r}")
        if self.features not in FEATURE_SETS:
            raise ValueError(f"classifier.features must be one of {FEATURE_SETS}, got {self.features!r}")

    def needs_clip(self, zero_shot: bool) -> bool:
        """Whether CLIP must be loaded: for its features, or for zero-shot pseudo-labels when ``zero_shot``."""
        return self.features == "clip" or (zero_shot and self.labels == "clip_zero_shot")


def zero_shot_scores(model: Any, tokenizer: Callable[[Sequence[str]], torch.Tensor], embeddings: np.ndarray,
                     positive_prompts: Sequence[str], negative_prompts: Sequence[str], device: torch.device | str
                     ) -> np.ndarray:
    """Probability of cultivated land per embedding: the softmax mass of the positive prompts.

    Similarities to all prompts are scaled by CLIP's learned logit scale before the softmax, as in
    CLIP's own zero-shot classification.
    """
    prompts = list(positive_prompts) + list(negative_prompts)
    if not positive_prompts or not negative_prompts:
        raise ValueError("zero-shot scoring needs at least one positive and one negative prompt")
    with torch.inference_mode():
        text = model.encode_text(tokenizer(prompts).to(device)).float()
        text = torch.nn.functional.normalize(text, dim=-1)
        logits = model.logit_scale.exp().float() * torch.from_numpy(embeddings).to(device) @ text.T
        probs = torch.softmax(logits, dim=1)[:, :len(positive_prompts)].sum(dim=1)
    return probs.cpu().numpy().astype(np.float32)


def confident_pseudo_labels(scores: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Targets (1 = cultivated where score >= 0.5) and which segments are sure enough to train on."""
    targets = (scores >= 0.5).astype(np.int64)
    return targets, np.maximum(scores, 1 - scores) >= confidence


def dataset_targets(labels: np.ndarray, class_map: np.ndarray, segment_ids: np.ndarray,
                    farmland_classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Targets from a class raster on the labels' grid: 1 when the segment's majority class is farmland.

    ``segment_ids`` are segments of ``labels`` (0 is unsegmented). Pixels of :data:`IGNORE_LABEL` do not vote;
    segments without a labelled pixel are not usable (and their target is 0). Returns ``(targets, usable)``.
    """
    ids, majority = majority_classes(labels, class_map, IGNORE_LABEL, valid=labels != 0)
    majority = majority[np.searchsorted(ids, segment_ids)]
    return np.isin(majority, list(farmland_classes)).astype(np.int64), majority >= 0


def train_segment_classifier(features: np.ndarray, targets: np.ndarray, *, sample_weight: np.ndarray | None = None,
                             seed: int = 0, epochs: int = ClassifierParams.epochs,
                             alpha: float = ClassifierParams.alpha,
                             validation_fraction: float = ClassifierParams.validation_fraction
                             ) -> tuple[SegmentClassifier, pd.DataFrame]:
    """Fit a standardised logistic head by SGD, one pass per epoch; returns ``(head, curve)``.

    ``curve`` (columns :data:`CURVE_COLUMNS`) has the weighted log loss and accuracy per epoch on the
    training part and, when both classes have members to spare, a stratified validation part.
    With a single class in ``targets`` the head is a constant predictor and the curve is empty.
    """
    features, targets = np.asarray(features, dtype=np.float32), np.asarray(targets, dtype=np.int64)
    if targets.size == 0:
        raise ValueError("no segment to train the classifier on (none had a usable label)")
    weights = np.ones(targets.size) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    classes, class_counts = np.unique(targets, return_counts=True)
    if classes.size == 1:
        log.warning("all %d training segments are class %d: the classifier predicts it everywhere",
                    targets.size, classes[0])
        head = DummyClassifier(strategy="constant", constant=classes[0]).fit(features, targets)
        return head, pd.DataFrame(columns=CURVE_COLUMNS)
    n_val = int(round(validation_fraction * targets.size))
    if n_val >= 2 and targets.size - n_val >= 2 and class_counts.min() >= 2:
        train, val = train_test_split(np.arange(targets.size), test_size=n_val, stratify=targets,
                                      random_state=seed)
    else:
        train, val = np.arange(targets.size), np.array([], dtype=np.int64)
    scaler = StandardScaler().fit(features[train])
    scaled = scaler.transform(features)
    clf = SGDClassifier(loss="log_loss", alpha=alpha, average=True, random_state=seed)
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(train)
        clf.partial_fit(scaled[order], targets[order], classes=[0, 1], sample_weight=weights[order])
        rows.append([epoch, *_loss_and_accuracy(clf, scaled, targets, weights, train),
                     *_loss_and_accuracy(clf, scaled, targets, weights, val)])
    return make_pipeline(scaler, clf), pd.DataFrame(rows, columns=CURVE_COLUMNS)


def _loss_and_accuracy(clf: SegmentClassifier, features: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                       rows: np.ndarray) -> tuple[float, float]:
    if rows.size == 0:
        return np.nan, np.nan
    proba = clf.predict_proba(features[rows])
    correct = (proba[:, 1] >= 0.5) == (targets[rows] == 1)
    return (float(log_loss(targets[rows], proba, sample_weight=weights[rows], labels=[0, 1])),
            float(np.average(correct, weights=weights[rows])))


def save_head(head: SegmentClassifier, path: StrPath) -> None:
    with atomic_path(path) as tmp:
        joblib.dump(head, tmp)


def load_head(path: StrPath) -> SegmentClassifier:
    try:
        head: SegmentClassifier = joblib.load(path)
    except FileNotFoundError:
        raise InputError(path, "does not exist") from None
    except (EOFError, ValueError, KeyError, ImportError, OSError) as err:
        raise InputError(path, f"is not a saved segment classifier ({err})") from None
    return head


def farmland_probability(head: SegmentClassifier, features: np.ndarray) -> np.ndarray:
    """Probability of class 1 (cultivated land) per row of ``features``."""
    classes = list(head.classes_)
    if 1 not in classes:
        return np.zeros(len(features), dtype=np.float32)
    return head.predict_proba(np.asarray(features, dtype=np.float32))[:, classes.index(1)].astype(np.float32)


def predict_farmland(head: SegmentClassifier, features: np.ndarray) -> np.ndarray:
    """Bool per segment: is it cultivated land."""
    cultivated: np.ndarray = np.asarray(head.predict(np.asarray(features, dtype=np.float32))) == 1
    return cultivated


def farmland_mask(labels: np.ndarray, segment_ids: ArrayLike, is_farmland: ArrayLike) -> np.ndarray:
    """Bool map of cultivated land; unsegmented pixels (0) and segments not listed are not farmland."""
    return paint_segment_values(labels, segment_ids, np.asarray(is_farmland, dtype=bool), False, bool)


def load_segment_models(params: ClassifierParams, clip_checkpoint: StrPath, clip_model: str, device: torch.device,
                        *, zero_shot: bool = True) -> SegmentModels:
    """Load CLIP (open_clip ``clip_model``) when the features, or with ``zero_shot`` the pseudo-labels,
    need it; ResNet50 for ``resnet50_hue`` features. Classifying needs no pseudo-labels: ``zero_shot=False``."""
    clip = load_clip(clip_checkpoint, clip_model, device) if params.needs_clip(zero_shot) else None
    resnet = load_resnet50(params.resnet50_checkpoint, device) if params.features == "resnet50_hue" else None
    return SegmentModels(device=device, clip=clip, resnet=resnet)


def describe_patch(patch: SegmentedPatch, params: ClassifierParams, models: SegmentModels
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`rsseg.isagrsc2.segment_features.patch_features` with the configured feature set and batch size."""
    return patch_features(patch, models, features=params.features, batch_size=params.batch_size,
                          hue_bins=params.hue_bins)


def segment_table(patches: Iterable[SegmentedPatch], params: ClassifierParams, models: SegmentModels,
                  farmland_classes: Sequence[int] = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and targets of every segment of ``patches``; returns ``(table, features)``.

    Table columns: scene, patch_id, segment_id, area_px, zero_shot_score (NaN without CLIP), target and
    usable (whether the target may be trained on: confident pseudo-label, or a labelled majority class).
    """
    tables, blocks = [], []
    for patch in patches:
        ids, features, embeddings = describe_patch(patch, params, models)
        scores = np.full(ids.size, np.nan, dtype=np.float32)
        if embeddings is not None and models.clip is not None:
            model, _, tokenizer = models.clip
            scores = zero_shot_scores(model, tokenizer, embeddings, params.positive_prompts,
                                      params.negative_prompts, models.device)
        if params.labels == "clip_zero_shot":
            targets, usable = confident_pseudo_labels(scores, params.confidence)
        else:
            class_map = read_labels(patch.label_path, patch.labels.shape)
            targets, usable = dataset_targets(patch.labels, class_map, ids, farmland_classes)
        area = np.bincount(patch.labels.ravel(), minlength=int(ids.max(initial=0)) + 1)[ids]
        tables.append(pd.DataFrame(dict(scene=patch.scene, patch_id=patch.patch_id, segment_id=ids, area_px=area,
                                        zero_shot_score=scores, target=targets, usable=usable)))
        blocks.append(features)
        log.info("%s: %d segments, %d usable for training", patch.patch_id, ids.size, int(usable.sum()))
    if not tables:
        raise ValueError("no patch to describe")
    return pd.concat(tables, ignore_index=True), np.concatenate(blocks)


def train_on_patches(patches: Iterable[SegmentedPatch], params: ClassifierParams, models: SegmentModels, *,
                     farmland_classes: Sequence[int], seed: int
                     ) -> tuple[SegmentClassifier, pd.DataFrame, pd.DataFrame]:
    """Train the head on the usable segments of ``patches`` (class-balanced weights).

    Returns ``(head, curve, table)``; ``table`` is :func:`segment_table`'s plus the head's
    ``probability`` and ``farmland`` for every segment.
    """
    table, features = segment_table(patches, params, models, farmland_classes)
    usable = table["usable"].to_numpy()
    targets = table["target"].to_numpy()[usable]
    log.info("training on %d of %d segments (%d cultivated)", usable.sum(), len(table), targets.sum())
    weights = compute_sample_weight("balanced", targets) if targets.size else None
    head, curve = train_segment_classifier(features[usable], targets, sample_weight=weights, seed=seed,
                                           epochs=params.epochs, alpha=params.alpha,
                                           validation_fraction=params.validation_fraction)
    table["probability"] = farmland_probability(head, features)
    table["farmland"] = predict_farmland(head, features)
    return head, curve, table


def write_farmland_masks(patches: Iterable[SegmentedPatch], head: SegmentClassifier, params: ClassifierParams,
                         models: SegmentModels,
                         out_dir: StrPath) -> None:
    """Write ``out_dir/<patch_id>.tif``: uint8 1 = cultivated land, 0 = not or unsegmented, on the patch grid.

    ``out_dir`` appears only once every patch's mask is written.
    """
    with atomic_directory(out_dir) as tmp:
        for patch in patches:
            ids, features, _ = describe_patch(patch, params, models)
            is_farmland = predict_farmland(head, features) if ids.size else np.zeros(0, dtype=bool)
            mask = farmland_mask(patch.labels, ids, is_farmland)
            write_labels(tmp / f"{patch.patch_id}.tif", mask.astype(np.uint8), patch.profile)
            log.info("%s: %d of %d segments cultivated, %.1f%% of pixels", patch.patch_id, is_farmland.sum(),
                     ids.size, 100 * mask.mean())
