"""Describing the segments of a SAM instance map: crops, CLIP embeddings, ISAgrSC2's ResNet50 + hue features.

A segment is described by its bounding-box crop of the upscaled image (pixels of other segments
greyed out), either by CLIP's image embedding or by ISAgrSC2's baseline features (ResNet50 pooled
features, a hue histogram and colourfulness). The cultivated-land classifier (:mod:`rsseg.isagrsc2.classifier`)
and the SAM+CLIP semantic map (:mod:`rsseg.isagrsc2.sam_clip`) both describe segments this way.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, DTypeLike
from PIL import Image
from scipy import ndimage
from skimage.color import rgb2hsv

from ..errors import InputError
from ..files import StrPath
from .segmented_patches import SegmentedPatch

log = logging.getLogger(__name__)

# CLIP's normalisation mean in 0-255 (ImageNet's is within 2 levels): pixels outside the segment
# become ~0 after normalisation, i.e. carry no colour or texture
CROP_FILL = (122, 116, 104)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
RESNET_INPUT_PX = 224
RESNET_FEATURES = 2048
FEATURE_SETS = ("clip", "resnet50_hue")

Transform = Callable[[Image.Image], torch.Tensor]
"""A model's preprocessing of a PIL image into its input tensor."""
Clip = tuple[Any, Transform, Callable[[Sequence[str]], torch.Tensor]]
"""An open_clip model as :func:`rsseg.isagrsc2.weights.load_clip` gives it: the model (of open_clip's classes,
which carry no type information), its image preprocessing and its tokenizer."""


def segment_ids_of(labels: np.ndarray) -> np.ndarray:
    ids = np.unique(labels)
    segments: np.ndarray = ids[ids != 0]
    return segments


def upsample_labels(labels: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(labels, factor, axis=0), factor, axis=1)


def paint_segment_values(labels: np.ndarray, segment_ids: ArrayLike, values: ArrayLike, fill: Any, dtype: DTypeLike
                         ) -> np.ndarray:
    """Map of ``values[i]`` on the pixels of segment ``segment_ids[i]``; ``fill`` on 0 and unlisted segments."""
    size = max(int(labels.max(initial=0)), int(np.max(segment_ids, initial=0))) + 1
    lut = np.full(size, fill, dtype=dtype)
    lut[np.asarray(segment_ids, dtype=np.int64)] = values
    lut[0] = fill
    painted: np.ndarray = lut[labels]
    return painted


def segment_crops(image_rgb: np.ndarray, labels: np.ndarray) -> list[tuple[int, Image.Image]]:
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


def batched_forward(encode: Callable[[torch.Tensor], torch.Tensor], transform: Transform, images: Sequence[Image.Image],
                    device: torch.device, batch_size: int, width: int) -> np.ndarray:
    """``encode`` over ``transform``-ed PIL images in batches; float32 ``(n, width)`` on the CPU."""
    out = [np.zeros((0, width), dtype=np.float32)]
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = torch.stack([transform(im) for im in images[start:start + batch_size]]).to(device)
            out.append(encode(batch).float().cpu().numpy())
    return np.concatenate(out)


def l2_normalised(vectors: np.ndarray) -> np.ndarray:
    normalised: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return normalised


def clip_embeddings(model: Any, preprocess: Transform, crops: Sequence[Image.Image], device: torch.device,
                    batch_size: int) -> np.ndarray:
    """L2-normalised CLIP image embeddings of PIL ``crops``, float32 ``(n, d)``."""
    width: int = model.visual.output_dim
    return l2_normalised(batched_forward(model.encode_image, preprocess, crops, device, batch_size, width))


def hue_colour_features(image_rgb: np.ndarray, labels: np.ndarray, segment_ids: ArrayLike, hue_bins: int
                        ) -> np.ndarray:
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
    saturation = np.bincount(seg * hue_bins + bins, weights=hsv[:, 1], minlength=ids.size * hue_bins)
    hist = saturation.reshape(ids.size, hue_bins) / np.maximum(counts, 1)[:, None]
    rgb = image_rgb.reshape(-1, 3)[inside].astype(np.float64)
    opponent = {"rg": rgb[:, 0] - rgb[:, 1], "yb": 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]}
    mean_sq, var_sum = np.zeros(ids.size), np.zeros(ids.size)
    for values in opponent.values():
        mean = np.bincount(seg, weights=values, minlength=ids.size) / np.maximum(counts, 1)
        var = np.bincount(seg, weights=values ** 2, minlength=ids.size) / np.maximum(counts, 1) - mean ** 2
        mean_sq, var_sum = mean_sq + mean ** 2, var_sum + np.maximum(var, 0)
    colourfulness = (np.sqrt(var_sum) + 0.3 * np.sqrt(mean_sq)) / 100
    return np.column_stack([hist, colourfulness]).astype(np.float32)


def load_resnet50(path: StrPath | None, device: torch.device) -> torch.nn.Module:
    """torchvision ResNet50 returning its 2048-d global-pooled features; random weights when ``path`` is None."""
    from torchvision.models import resnet50

    model: torch.nn.Module = resnet50(weights=None)
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


def resnet_transform() -> Transform:
    from torchvision import transforms

    steps = [transforms.Resize((RESNET_INPUT_PX, RESNET_INPUT_PX)), transforms.ToTensor(),
             transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    transform: Transform = transforms.Compose(steps)
    return transform


def resnet_hue_features(resnet: torch.nn.Module, image_rgb: np.ndarray, labels: np.ndarray,
                        crops: list[tuple[int, Image.Image]], device: torch.device, batch_size: int,
                        hue_bins: int) -> np.ndarray:
    """ISAgrSC2's baseline features per crop of :func:`segment_crops`: ResNet50 pooled + hue + colourfulness."""
    images = [crop for _, crop in crops]
    deep = batched_forward(resnet, resnet_transform(), images, device, batch_size, RESNET_FEATURES)
    colour = hue_colour_features(image_rgb, labels, [segment_id for segment_id, _ in crops], hue_bins)
    return np.concatenate([deep, colour], axis=1)


@dataclass
class SegmentModels:
    """The networks that describe segments: CLIP ``(model, preprocess, tokenizer)`` and/or ResNet50."""

    device: torch.device
    clip: Clip | None = None
    resnet: torch.nn.Module | None = None


def patch_features(patch: SegmentedPatch, models: SegmentModels, *, features: str, batch_size: int,
                   hue_bins: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(segment_ids, features, clip_embeddings or None)`` of a patch's segments.

    ``features`` is one of :data:`FEATURE_SETS`; the CLIP embeddings come whenever ``models`` holds CLIP.
    ``hue_bins``: the hue histogram's bins, which ``resnet50_hue`` features need.
    """
    if features not in FEATURE_SETS:
        raise ValueError(f"features must be one of {FEATURE_SETS}, got {features!r}")
    factor = patch.image.shape[0] // patch.labels.shape[0]
    labels = upsample_labels(patch.labels, factor)
    crops = segment_crops(patch.image, labels)
    ids = np.array([segment_id for segment_id, _ in crops], dtype=np.int64)
    embeddings = None
    if models.clip is not None:
        model, preprocess, _ = models.clip
        embeddings = clip_embeddings(model, preprocess, [c for _, c in crops], models.device, batch_size)
    if features == "clip":
        if embeddings is None:
            raise ValueError("clip features need a CLIP model")
        return ids, embeddings, embeddings
    if models.resnet is None or hue_bins is None:
        raise ValueError("resnet50_hue features need a ResNet50 and hue_bins")
    return ids, resnet_hue_features(models.resnet, patch.image, labels, crops, models.device, batch_size,
                                    hue_bins), embeddings
