"""Labelling SAM segments as cultivated land (the ISAgrSC2 classifier, assisted by CLIP).

Each segment is described by its bounding-box crop of the upscaled image (pixels of other segments
greyed out), either by CLIP's image embedding or by ISAgrSC2's baseline features (ResNet50 pooled
features, a hue histogram and colourfulness). A small logistic head is trained on those features
with targets from CLIP zero-shot prompts (no manual labels: only confidently scored segments) or
from the dataset's label raster. The SAM+CLIP semantic map reuses the crops and embeddings (rsseg.sam_clip).
"""

import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

import joblib
import numpy as np
import pandas as pd
import torch
from PIL import Image
from scipy import ndimage
from skimage.color import rgb2hsv
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from . import IGNORE_LABEL
from .errors import InputError
from .raster import atomic_path, open_raster, read_labels, write_labels
from .sam_iterative import read_manifest, read_upscaled_rgb
from .weights import load_clip

log = logging.getLogger(__name__)

# CLIP's normalisation mean in 0-255 (ImageNet's is within 2 levels): pixels outside the segment
# become ~0 after normalisation, i.e. carry no colour or texture
CROP_FILL = (122, 116, 104)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
RESNET_INPUT_PX = 224

DEFAULT_POSITIVE_PROMPTS = ("a satellite image of farmland", "a satellite image of cultivated cropland fields")
DEFAULT_NEGATIVE_PROMPTS = ("a satellite image of buildings", "a satellite image of forest",
                            "a satellite image of water", "a satellite image of roads",
                            "a satellite image of bare land")
LABEL_SOURCES = ("clip_zero_shot", "dataset")
FEATURE_SETS = ("clip", "resnet50_hue")
CURVE_COLUMNS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]


@dataclass(frozen=True)
class ClassifierConfig:
    """The ``classifier`` config section."""

    labels: str = "clip_zero_shot"
    features: str = "clip"
    positive_prompts: tuple = DEFAULT_POSITIVE_PROMPTS
    negative_prompts: tuple = DEFAULT_NEGATIVE_PROMPTS
    confidence: float = 0.7            # pseudo-label kept when max(p, 1 - p) reaches this
    resnet50_checkpoint: str | None = None
    hue_bins: int = 18
    batch_size: int = 32
    epochs: int = 30
    alpha: float = 1e-4                # L2 penalty of the logistic head
    validation_fraction: float = 0.2

    def __post_init__(self):
        if self.labels not in LABEL_SOURCES:
            raise ValueError(f"classifier.labels must be one of {LABEL_SOURCES}, got {self.labels!r}")
        if self.features not in FEATURE_SETS:
            raise ValueError(f"classifier.features must be one of {FEATURE_SETS}, got {self.features!r}")
        if not 0.5 <= self.confidence <= 1:
            raise ValueError(f"classifier.confidence must be in [0.5, 1], got {self.confidence}")

    @classmethod
    def from_config(cls, config):
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config or {}) - known)
        if unknown:
            raise ValueError(f"unknown classifier parameter(s) {unknown}; known: {sorted(known)}")
        values = dict(config or {})
        for key in ("positive_prompts", "negative_prompts"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def needs_clip(self, zero_shot):
        """Whether CLIP must be loaded: for its features, or for zero-shot pseudo-labels when ``zero_shot``."""
        return self.features == "clip" or (zero_shot and self.labels == "clip_zero_shot")


def segment_ids_of(labels):
    ids = np.unique(labels)
    return ids[ids != 0]


def segment_crops(image_rgb, labels):
    """``(segment_id, PIL crop)`` per segment, in id order.

    A crop is the segment's bounding box with every pixel outside the segment set to :data:`CROP_FILL`,
    padded with the same grey to a centred square so that resizing keeps its shape and nothing is cut.
    """
    crops = []
    boxes = ndimage.find_objects(labels)
    for segment_id in segment_ids_of(labels):
        window = boxes[segment_id - 1]
        crop = image_rgb[window].copy()
        crop[labels[window] != segment_id] = CROP_FILL
        height, width = crop.shape[:2]
        side = max(height, width)
        square = np.empty((side, side, 3), dtype=np.uint8)
        square[:] = CROP_FILL
        top, left = (side - height) // 2, (side - width) // 2
        square[top:top + height, left:left + width] = crop
        crops.append((int(segment_id), Image.fromarray(square)))
    return crops


def batched_forward(encode, transform, images, device, batch_size, width):
    """``encode`` over ``transform``-ed PIL images in batches; float32 ``(n, width)`` on the CPU."""
    out = [np.zeros((0, width), dtype=np.float32)]
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.stack([transform(im) for im in images[start:start + batch_size]]).to(device)
            out.append(encode(batch).float().cpu().numpy())
    return np.concatenate(out)


def l2_normalised(vectors):
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def clip_embeddings(model, preprocess, crops, device, batch_size=32):
    """L2-normalised CLIP image embeddings of PIL ``crops``, float32 ``(n, d)``."""
    width = model.visual.output_dim
    return l2_normalised(batched_forward(model.encode_image, preprocess, crops, device, batch_size, width))


def zero_shot_scores(model, tokenizer, embeddings, positive_prompts, negative_prompts, device):
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


def confident_pseudo_labels(scores, confidence):
    """Targets (1 = cultivated where score >= 0.5) and which segments are sure enough to train on."""
    targets = (scores >= 0.5).astype(np.int64)
    return targets, np.maximum(scores, 1 - scores) >= confidence


def dataset_targets(labels, class_map, segment_ids, farmland_classes):
    """Targets from a class raster on the labels' grid: 1 when the segment's majority class is farmland.

    Pixels of :data:`IGNORE_LABEL` do not vote; segments without a labelled pixel are not usable.
    Returns ``(targets, usable)``.
    """
    index = np.full(int(labels.max(initial=0)) + 1, -1, dtype=np.int64)
    index[segment_ids] = np.arange(len(segment_ids))
    pixel_segment = index[labels.ravel()]
    voting = (pixel_segment >= 0) & (class_map.ravel() != IGNORE_LABEL)
    counts = np.bincount(pixel_segment[voting] * 256 + class_map.ravel()[voting].astype(np.int64),
                         minlength=len(segment_ids) * 256).reshape(len(segment_ids), 256)
    majority = counts.argmax(axis=1)
    return np.isin(majority, list(farmland_classes)).astype(np.int64), counts.sum(axis=1) > 0


def hue_colour_features(image_rgb, labels, segment_ids, hue_bins=18):
    """Per segment: a saturation-weighted hue histogram and Hasler-Suesstrunk colourfulness / 100.

    Each histogram is divided by the segment's pixel count, so grey pixels (no defined hue) add almost
    nothing and the bins sum to the mean saturation. Returns float32 ``(n, hue_bins + 1)``.
    """
    ids = np.asarray(segment_ids)
    index = np.full(int(labels.max(initial=0)) + 1, -1, dtype=np.int64)
    index[ids] = np.arange(ids.size)
    seg = index[labels.ravel()]
    inside = seg >= 0
    seg = seg[inside]
    hsv = rgb2hsv(image_rgb).reshape(-1, 3)[inside]
    bins = np.minimum((hsv[:, 0] * hue_bins).astype(np.int64), hue_bins - 1)
    counts = np.bincount(seg, minlength=ids.size).astype(np.float64)
    hist = np.bincount(seg * hue_bins + bins, weights=hsv[:, 1], minlength=ids.size * hue_bins)
    hist = hist.reshape(ids.size, hue_bins) / np.maximum(counts, 1)[:, None]
    rgb = image_rgb.reshape(-1, 3)[inside].astype(np.float64)
    opponent = {"rg": rgb[:, 0] - rgb[:, 1], "yb": 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]}
    mean_sq, var_sum = 0.0, 0.0
    for values in opponent.values():
        mean = np.bincount(seg, weights=values, minlength=ids.size) / np.maximum(counts, 1)
        var = np.bincount(seg, weights=values ** 2, minlength=ids.size) / np.maximum(counts, 1) - mean ** 2
        mean_sq, var_sum = mean_sq + mean ** 2, var_sum + np.maximum(var, 0)
    colourfulness = (np.sqrt(var_sum) + 0.3 * np.sqrt(mean_sq)) / 100
    return np.column_stack([hist, colourfulness]).astype(np.float32)


def load_resnet50(path, device):
    """torchvision ResNet50 returning its 2048-d global-pooled features; random weights when ``path`` is None."""
    from torchvision.models import resnet50

    model = resnet50(weights=None)
    if path is None:
        log.warning("ResNet50 has random weights (classifier.resnet50_checkpoint is null)")
    else:
        if not Path(path).is_file():
            raise InputError(path, "does not exist (classifier.resnet50_checkpoint)")
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except (RuntimeError, EOFError, ValueError) as err:
            raise InputError(path, f"is not a torchvision ResNet50 state_dict ({str(err).splitlines()[0]})") from None
    model.fc = torch.nn.Identity()
    return model.to(device).eval()


def resnet_transform():
    from torchvision import transforms

    return transforms.Compose([transforms.Resize((RESNET_INPUT_PX, RESNET_INPUT_PX)), transforms.ToTensor(),
                               transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def resnet_hue_features(resnet, image_rgb, labels, crops, device, batch_size=32, hue_bins=18):
    """ISAgrSC2's baseline features per crop of :func:`segment_crops`: ResNet50 pooled + hue + colourfulness."""
    images = [crop for _, crop in crops]
    deep = batched_forward(resnet, resnet_transform(), images, device, batch_size, 2048)
    colour = hue_colour_features(image_rgb, labels, [segment_id for segment_id, _ in crops], hue_bins)
    return np.concatenate([deep, colour], axis=1)


def train_segment_classifier(features, targets, sample_weight=None, seed=0, epochs=30, alpha=1e-4,
                             validation_fraction=0.2):
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


def _loss_and_accuracy(clf, features, targets, weights, rows):
    if rows.size == 0:
        return np.nan, np.nan
    proba = clf.predict_proba(features[rows])
    correct = (proba[:, 1] >= 0.5) == (targets[rows] == 1)
    return (log_loss(targets[rows], proba, sample_weight=weights[rows], labels=[0, 1]),
            float(np.average(correct, weights=weights[rows])))


def save_head(head, path):
    with atomic_path(path) as tmp:
        joblib.dump(head, tmp)


def load_head(path):
    try:
        return joblib.load(path)
    except FileNotFoundError:
        raise InputError(path, "does not exist") from None
    except (EOFError, ValueError, KeyError, ImportError, OSError) as err:
        raise InputError(path, f"is not a saved segment classifier ({err})") from None


def farmland_probability(head, features):
    """Probability of class 1 (cultivated land) per row of ``features``."""
    classes = list(head.classes_)
    if 1 not in classes:
        return np.zeros(len(features), dtype=np.float32)
    return head.predict_proba(np.asarray(features, dtype=np.float32))[:, classes.index(1)].astype(np.float32)


def predict_farmland(head, features):
    """Bool per segment: is it cultivated land."""
    return np.asarray(head.predict(np.asarray(features, dtype=np.float32))) == 1


def paint_segment_values(labels, segment_ids, values, fill, dtype):
    """Map of ``values[i]`` on the pixels of segment ``segment_ids[i]``; ``fill`` on 0 and unlisted segments."""
    size = max(int(labels.max(initial=0)), int(np.max(segment_ids, initial=0))) + 1
    lut = np.full(size, fill, dtype=dtype)
    lut[np.asarray(segment_ids, dtype=np.int64)] = values
    lut[0] = fill
    return lut[labels]


def farmland_mask(labels, segment_ids, is_farmland):
    """Bool map of cultivated land; unsegmented pixels (0) and segments not listed are not farmland."""
    return paint_segment_values(labels, segment_ids, np.asarray(is_farmland, dtype=bool), False, bool)


# ---- whole patches: the steps the rule scripts run -------------------------------------------------


class SegmentedPatch(NamedTuple):
    scene: str
    patch_id: str
    image: np.ndarray      # upscaled uint8 RGB (H, W, 3)
    labels: np.ndarray     # int32 instance labels on the patch grid (h, w)
    label_path: str        # the patch's class raster (manifest column ``label``)
    profile: dict          # profile of the SAM labels raster


@dataclass
class SegmentModels:
    """The networks a configuration needs: CLIP ``(model, preprocess, tokenizer)`` and/or ResNet50."""

    device: torch.device
    clip: tuple | None = None
    resnet: torch.nn.Module | None = None


def load_segment_models(config, clip_checkpoint, clip_model, device, zero_shot=True):
    """Load CLIP (open_clip ``clip_model``) when the features, or with ``zero_shot`` the pseudo-labels,
    need it; ResNet50 for ``resnet50_hue`` features. Classifying needs no pseudo-labels: ``zero_shot=False``."""
    clip = load_clip(clip_checkpoint, clip_model, device) if config.needs_clip(zero_shot) else None
    resnet = load_resnet50(config.resnet50_checkpoint, device) if config.features == "resnet50_hue" else None
    return SegmentModels(device=device, clip=clip, resnet=resnet)


def iter_segmented_patches(manifest, upscaled_dir, labels_dir):
    """Each manifest patch with its upscaled image and SAM labels (the upscale factor is read off the sizes)."""
    for patch in manifest.itertuples():
        labels_path = Path(labels_dir) / f"{patch.patch_id}.tif"
        with open_raster(labels_path) as src:
            profile = src.profile
        labels = read_labels(labels_path).astype(np.int32)
        up_path = Path(upscaled_dir) / f"{patch.patch_id}.tif"
        with open_raster(up_path) as src:
            factor = src.height // labels.shape[0]
        image = read_upscaled_rgb(up_path, labels.shape, max(factor, 1))
        yield SegmentedPatch(patch.scene, patch.patch_id, image, labels, patch.label, profile)


def iter_scene_patches(manifests, upscaled_dirs, labels_dirs):
    """:func:`iter_segmented_patches` over several scenes, given as parallel lists of their folders."""
    if not len(manifests) == len(upscaled_dirs) == len(labels_dirs):
        raise ValueError("one upscaled folder and one SAM labels folder per manifest are needed")
    for manifest, upscaled_dir, labels_dir in zip(manifests, upscaled_dirs, labels_dirs):
        yield from iter_segmented_patches(read_manifest(manifest), upscaled_dir, labels_dir)


def upsample_labels(labels, factor):
    return np.repeat(np.repeat(labels, factor, axis=0), factor, axis=1)


def patch_features(patch, config, models):
    """``(segment_ids, features, clip_embeddings or None)`` of a patch's segments under ``config.features``."""
    factor = patch.image.shape[0] // patch.labels.shape[0]
    labels = upsample_labels(patch.labels, factor)
    crops = segment_crops(patch.image, labels)
    ids = np.array([segment_id for segment_id, _ in crops], dtype=np.int64)
    embeddings = None
    if models.clip is not None:
        model, preprocess, _ = models.clip
        embeddings = clip_embeddings(model, preprocess, [c for _, c in crops], models.device, config.batch_size)
    if config.features == "clip":
        return ids, embeddings, embeddings
    features = resnet_hue_features(models.resnet, patch.image, labels, crops, models.device, config.batch_size,
                                   config.hue_bins)
    return ids, features, embeddings


def segment_table(patches, config, models, farmland_classes=()):
    """Features and targets of every segment of ``patches``; returns ``(table, features)``.

    Table columns: scene, patch_id, segment_id, area_px, zero_shot_score (NaN without CLIP), target and
    usable (whether the target may be trained on: confident pseudo-label, or a labelled majority class).
    """
    tables, blocks = [], []
    for patch in patches:
        ids, features, embeddings = patch_features(patch, config, models)
        scores = np.full(ids.size, np.nan, dtype=np.float32)
        if embeddings is not None:
            model, _, tokenizer = models.clip
            scores = zero_shot_scores(model, tokenizer, embeddings, config.positive_prompts,
                                      config.negative_prompts, models.device)
        if config.labels == "clip_zero_shot":
            targets, usable = confident_pseudo_labels(scores, config.confidence)
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


def train_on_patches(patches, config, models, farmland_classes, seed):
    """Train the head on the usable segments of ``patches`` (class-balanced weights).

    Returns ``(head, curve, table)``; ``table`` is :func:`segment_table`'s plus the head's
    ``probability`` and ``farmland`` for every segment.
    """
    table, features = segment_table(patches, config, models, farmland_classes)
    usable = table["usable"].to_numpy()
    targets = table["target"].to_numpy()[usable]
    log.info("training on %d of %d segments (%d cultivated)", usable.sum(), len(table), targets.sum())
    weights = compute_sample_weight("balanced", targets) if targets.size else None
    head, curve = train_segment_classifier(features[usable], targets, weights, seed, config.epochs, config.alpha,
                                           config.validation_fraction)
    table["probability"] = farmland_probability(head, features)
    table["farmland"] = predict_farmland(head, features)
    return head, curve, table


def write_farmland_masks(patches, head, config, models, out_dir):
    """Write ``out_dir/<patch_id>.tif``: uint8 1 = cultivated land, 0 = not or unsegmented, on the patch grid."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for patch in patches:
        ids, features, _ = patch_features(patch, config, models)
        is_farmland = predict_farmland(head, features) if ids.size else np.zeros(0, dtype=bool)
        mask = farmland_mask(patch.labels, ids, is_farmland)
        write_labels(out_dir / f"{patch.patch_id}.tif", mask.astype(np.uint8), patch.profile)
        log.info("%s: %d of %d segments cultivated, %.1f%% of pixels", patch.patch_id, is_farmland.sum(),
                 ids.size, 100 * mask.mean())
