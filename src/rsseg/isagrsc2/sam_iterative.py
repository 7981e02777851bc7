"""ISAgrSC2's iterative SAM segmentation of an upscaled RGB patch.

Each round runs SAM's automatic mask generator on the image with everything already segmented (and
a dilation ring around it) painted white, so the next round sees only what is left. Rounds stop after
``max_rounds`` or once less than ``stop_unsegmented_fraction`` of the image is unsegmented. The masks
of all rounds are then de-duplicated, split into connected components, stripped of tiny pieces, and
large masks that look under-segmented are re-segmented on their own crop.

Every step is a plain function of arrays; ``generate`` (image -> list of bool masks) is the only
model call, so the loop runs with a fake generator in tests and :func:`make_sam_generator` in rules.
Reading and writing patch files is :mod:`rsseg.isagrsc2.sam_patches`' job.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import ndimage
from skimage.color import rgb2gray
from skimage.feature import canny
from skimage.morphology import disk

from ..params import FromConfig, Range

if TYPE_CHECKING:  # make_sam_generator imports torch and segment_anything only when called
    import torch

log = logging.getLogger(__name__)

Generator = Callable[[np.ndarray], list[np.ndarray]]
"""SAM's automatic mask generator as the loop sees it: a uint8 RGB image (h, w, 3) -> boolean masks."""

# 8-connectivity: a field touching another only at a corner pixel stays one piece
CONNECTIVITY = np.ones((3, 3), dtype=bool)
SAM_GENERATOR_KEYS = ("points_per_side", "pred_iou_thresh", "stability_score_thresh", "points_per_batch",
                      "crop_n_layers")


@dataclass(frozen=True)
class SamParams(FromConfig):
    """Every threshold of the iterative segmentation. Pixel counts are on the upscaled grid.

    The loop and SAM defaults are ISAgrSC2's published values; the pixel sizes and the refinement
    tests are not published and are ours (sized for 4x upscaled patches).
    """

    max_rounds: int = 4
    stop_unsegmented_fraction: float = 0.05
    dilation_px: int = 5                   # ring painted white around segmented areas (~1 patch px)
    min_leftover_px: int = 400             # unsegmented components smaller than this are not re-segmented
    min_inside_fraction: float = 0.5       # a later-round mask must lie mostly in what was unsegmented
    dedup_iou: float = 0.8
    min_mask_px: int = 256                 # 16 px on the patch grid
    refine_min_area_fraction: float = 0.1  # masks above this fraction of the image may be refined
    refine_edge_density: float = 0.05      # Canny edge pixels per mask pixel
    refine_colour_entropy: float = 3.0     # bits, over a refine_colour_bins^3 RGB histogram
    refine_colour_bins: int = 4
    points_per_side: int = 32
    pred_iou_thresh: float = 0.88
    stability_score_thresh: float = 0.95
    points_per_batch: int = 64
    crop_n_layers: int = 0

    section = "sam"
    bounds = {"max_rounds": Range(minimum=1), "dilation_px": Range(minimum=0), "min_leftover_px": Range(minimum=0),
              "min_mask_px": Range(minimum=0), "refine_edge_density": Range(minimum=0),
              "refine_colour_entropy": Range(minimum=0), "refine_colour_bins": Range(minimum=1, maximum=256),
              "points_per_side": Range(minimum=1), "points_per_batch": Range(minimum=1),
              "crop_n_layers": Range(minimum=0),
              **{fraction: Range(minimum=0, maximum=1)
                 for fraction in ("stop_unsegmented_fraction", "min_inside_fraction", "dedup_iou",
                                  "refine_min_area_fraction", "pred_iou_thresh", "stability_score_thresh")}}

    def generator_kwargs(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in SAM_GENERATOR_KEYS}


def mask_union(masks: Sequence[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    union = np.zeros(shape, dtype=bool)
    for mask in masks:
        union |= mask
    return union


def paint_segmented_white(image: np.ndarray, masks: Sequence[np.ndarray], dilation_px: int) -> np.ndarray:
    """Copy of ``image`` (h, w, 3) with every masked pixel, and a ``dilation_px`` ring around, set to 255."""
    painted = image.copy()
    covered = mask_union(masks, image.shape[:2])
    if dilation_px > 0:
        covered = ndimage.binary_dilation(covered, structure=disk(dilation_px))
    painted[covered] = 255
    return painted


def component_labels(mask: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(mask, structure=CONNECTIVITY)


def unsegmented_mask(masks: Sequence[np.ndarray], shape: tuple[int, ...], min_leftover_px: int) -> np.ndarray:
    """Pixels in no mask, without the connected leftovers smaller than ``min_leftover_px``."""
    labels, count = component_labels(~mask_union(masks, shape))
    if count == 0:
        return np.zeros(shape, dtype=bool)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    big = sizes >= min_leftover_px
    big[0] = False
    unsegmented: np.ndarray = big[labels]
    return unsegmented


def should_continue(round_index: int, unsegmented_fraction: float, params: SamParams) -> bool:
    """Whether to run another round after round ``round_index`` (1-based) left this fraction unsegmented."""
    return round_index < params.max_rounds and unsegmented_fraction >= params.stop_unsegmented_fraction


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """``(row0, col0, row1, col1)`` with exclusive ends; ``(0, 0, 0, 0)`` for an empty mask."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return 0, 0, 0, 0
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def deduplicate(masks: Sequence[np.ndarray], iou_threshold: float) -> list[int]:
    """Indices (ascending) of the masks kept when every pair with IoU above the threshold keeps the larger.

    Masks are visited largest first and dropped when they overlap a kept one too much. Only pairs
    whose bounding boxes intersect and whose area ratio allows the threshold are compared, each on
    the intersection of their boxes.
    """
    if not masks:
        return []
    areas = np.array([m.sum() for m in masks], dtype=np.int64)
    boxes = np.array([mask_bbox(m) for m in masks], dtype=np.int64)
    r0, c0 = np.maximum(boxes[:, None, 0], boxes[None, :, 0]), np.maximum(boxes[:, None, 1], boxes[None, :, 1])
    r1, c1 = np.minimum(boxes[:, None, 2], boxes[None, :, 2]), np.minimum(boxes[:, None, 3], boxes[None, :, 3])
    small, large = np.minimum.outer(areas, areas), np.maximum.outer(areas, areas)
    # IoU <= smaller/larger area, so pairs of very different size can never be duplicates
    candidates = (r0 < r1) & (c0 < c1) & (small > iou_threshold * np.maximum(large, 1))
    kept: list[int] = []
    for i in np.argsort(-areas, kind="stable"):
        duplicate = False
        for j in kept:
            if not candidates[i, j]:
                continue
            window = np.s_[r0[i, j]:r1[i, j], c0[i, j]:c1[i, j]]
            inter = np.count_nonzero(masks[i][window] & masks[j][window])
            if inter / (areas[i] + areas[j] - inter) > iou_threshold:
                duplicate = True
                break
        if not duplicate:
            kept.append(int(i))
    return sorted(kept)


def split_components(masks: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """Split masks into connected pieces (8-connectivity); returns ``(pieces, parent index per piece)``."""
    pieces, parents = [], []
    for index, mask in enumerate(masks):
        labels, count = component_labels(mask)
        for component in range(1, count + 1):
            pieces.append(labels == component)
            parents.append(index)
    return pieces, parents


def drop_small(masks: Sequence[np.ndarray], min_px: int) -> list[int]:
    """Indices of the masks with at least ``min_px`` pixels."""
    return [i for i, mask in enumerate(masks) if np.count_nonzero(mask) >= min_px]


def colour_entropy(pixels: np.ndarray, bins_per_channel: int) -> float:
    """Shannon entropy in bits of uint8 RGB ``pixels`` (n, 3) quantised to ``bins_per_channel`` per channel."""
    quantised = (pixels.astype(np.int64) * bins_per_channel) // 256
    codes = (quantised[:, 0] * bins_per_channel + quantised[:, 1]) * bins_per_channel + quantised[:, 2]
    counts = np.bincount(codes)
    p = counts[counts > 0] / codes.size
    return float(-(p * np.log2(p)).sum())


def edge_density(image: np.ndarray, mask: np.ndarray) -> float:
    """Fraction of ``mask`` pixels on a Canny edge of the grey image, edges searched inside the mask only.

    Canny's own ``mask`` argument keeps the mask's outline (its boundary with neighbours) from counting.
    """
    edges = canny(rgb2gray(image), sigma=1.0, mask=mask)
    return float(edges[mask].mean())


def is_under_segmented(image: np.ndarray, mask: np.ndarray, params: SamParams) -> bool:
    """Whether a mask is large AND has dense internal edges AND a varied colour histogram.

    Both tests must pass (AND): a single textured field (crop rows: many edges, one colour) or a
    smooth colour gradient (many colours, no edges) is left alone; a mask spanning several fields or
    land covers has both internal boundaries and several colours.
    """
    if np.count_nonzero(mask) <= params.refine_min_area_fraction * mask.size:
        return False
    r0, c0, r1, c1 = mask_bbox(mask)
    crop, inside = image[r0:r1, c0:c1], mask[r0:r1, c0:c1]
    return (edge_density(crop, inside) > params.refine_edge_density
            and colour_entropy(crop[inside], params.refine_colour_bins) > params.refine_colour_entropy)


def sub_masks(image: np.ndarray, mask: np.ndarray, generate: Generator, params: SamParams) -> list[np.ndarray]:
    """Pieces of ``mask`` found by running ``generate`` on its bounding-box crop (outside painted white).

    Sub-masks lying mostly outside the mask are ignored, the rest are clipped to it; what no sub-mask
    covers becomes pieces of its own, so refinement never loses pixels. Returns full-size masks.
    """
    r0, c0, r1, c1 = mask_bbox(mask)
    inside = mask[r0:r1, c0:c1]
    crop = image[r0:r1, c0:c1].copy()
    crop[~inside] = 255
    found = []
    for sub in generate(crop):
        clipped = sub & inside
        if np.count_nonzero(clipped) >= params.min_inside_fraction * max(int(np.count_nonzero(sub)), 1):
            found.append(clipped)
    found = [found[i] for i in drop_small(found, params.min_mask_px)]
    found = [found[i] for i in deduplicate(found, params.dedup_iou)]
    remainder, _ = split_components([inside & ~mask_union(found, inside.shape)])
    pieces = found + [remainder[i] for i in drop_small(remainder, params.min_mask_px)]
    full = []
    for piece in pieces:
        out = np.zeros(mask.shape, dtype=bool)
        out[r0:r1, c0:c1] = piece
        full.append(out)
    return full


def refine_masks(image: np.ndarray, masks: Sequence[np.ndarray], generate: Generator, params: SamParams
                 ) -> tuple[list[np.ndarray], list[int], list[bool]]:
    """Replace under-segmented masks by their sub-masks.

    Returns ``(masks, parent index per mask, refined flag per mask)``. A mask is kept as it is when
    the re-run yields fewer than two usable pieces.
    """
    out, parents, refined = [], [], []
    for index, mask in enumerate(masks):
        pieces = sub_masks(image, mask, generate, params) if is_under_segmented(image, mask, params) else []
        if len(pieces) < 2:
            pieces = [mask]
        else:
            log.info("refined mask %d (%d px) into %d pieces", index, np.count_nonzero(mask), len(pieces))
        out.extend(pieces)
        parents.extend([index] * len(pieces))
        refined.extend([len(pieces) > 1] * len(pieces))
    return out, parents, refined


def paint_instances(masks: Sequence[np.ndarray], shape: tuple[int, ...]) -> tuple[np.ndarray, list[int]]:
    """Instance map 1..n of ``masks``; where masks overlap the smaller wins. Returns ``(labels, mask index per id)``.

    Masks fully hidden by smaller ones get no id; ids are consecutive in order of decreasing area.
    """
    painted = np.zeros(shape, dtype=np.int32)
    order = np.argsort([-np.count_nonzero(m) for m in masks], kind="stable")
    for rank, index in enumerate(order, start=1):
        painted[masks[index]] = rank
    present = np.unique(painted)
    present = present[present > 0]
    lut = np.zeros(len(masks) + 1, dtype=np.int32)
    lut[present] = np.arange(1, present.size + 1, dtype=np.int32)
    return lut[painted], [int(order[rank - 1]) for rank in present]


def segment_geometry(labels: np.ndarray) -> list[dict[str, Any]]:
    """Per segment of an instance map: id, area_px and bbox (row0, col0, row1, col1, ends exclusive)."""
    areas = np.bincount(labels.ravel())
    return [dict(id=segment_id, area_px=int(areas[segment_id]),
                 bbox=(box[0].start, box[1].start, box[0].stop, box[1].stop))
            for segment_id, box in enumerate(ndimage.find_objects(labels), start=1) if box is not None]


def segment_properties(labels: np.ndarray, image: np.ndarray) -> list[dict[str, Any]]:
    """:func:`segment_geometry` plus each segment's mean_rgb in ``image`` (h, w, 3)."""
    props = segment_geometry(labels)
    flat = labels.ravel()
    sums = np.stack([np.bincount(flat, weights=image[..., band].ravel()) for band in range(3)], axis=1)
    for prop in props:
        prop["mean_rgb"] = tuple(float(v) for v in sums[prop["id"]] / prop["area_px"])
    return props


def run_rounds(image: np.ndarray, generate: Generator, params: SamParams) -> tuple[list[np.ndarray], list[int]]:
    """The SAM rounds: returns the masks found (each clipped to what was unsegmented) and their round."""
    masks, rounds = [], []
    shape = image.shape[:2]
    todo = np.ones(shape, dtype=bool)
    current = image
    round_index = 0
    while True:
        round_index += 1
        new = []
        for mask in generate(current):
            clipped = mask & todo
            if clipped.any() and np.count_nonzero(clipped) >= params.min_inside_fraction * np.count_nonzero(mask):
                new.append(clipped)
        masks.extend(new)
        rounds.extend([round_index] * len(new))
        todo = unsegmented_mask(masks, shape, params.min_leftover_px)
        fraction = float(todo.mean())
        log.info("round %d: %d masks, %.1f%% unsegmented", round_index, len(new), 100 * fraction)
        if not new or not should_continue(round_index, fraction, params):
            return masks, rounds
        current = paint_segmented_white(image, masks, params.dilation_px)


def iterative_segment(image: np.ndarray, generate: Generator, params: SamParams
                      ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Segment an upscaled uint8 RGB image (h, w, 3) with rounds of ``generate``.

    Returns ``(labels, properties)``: an int32 instance map (0 = unsegmented, segments 1..n) and one
    dict per segment with id, area_px, round, bbox, refined and mean_rgb.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image (h, w, 3), got {image.dtype} {image.shape}")
    masks, rounds = run_rounds(image, generate, params)
    kept = deduplicate(masks, params.dedup_iou)
    masks, rounds = [masks[i] for i in kept], [rounds[i] for i in kept]
    pieces, parents = split_components(masks)
    rounds = [rounds[p] for p in parents]
    kept = drop_small(pieces, params.min_mask_px)
    masks, rounds = [pieces[i] for i in kept], [rounds[i] for i in kept]
    masks, parents, refined = refine_masks(image, masks, generate, params)
    labels, sources = paint_instances(masks, image.shape[:2])
    props = segment_properties(labels, image)
    for prop, source in zip(props, sources, strict=True):
        prop.update(round=rounds[parents[source]], refined=refined[source])
    log.info("%d segments, %.1f%% unsegmented", len(props), 100 * float((labels == 0).mean()))
    return labels, props


def make_sam_generator(sam_model: "torch.nn.Module", params: SamParams) -> Generator:
    """``generate(image) -> list of bool masks`` running SAM's automatic mask generator without gradients."""
    import torch
    from segment_anything import SamAutomaticMaskGenerator

    generator = SamAutomaticMaskGenerator(sam_model, **params.generator_kwargs())

    def generate(image: np.ndarray) -> list[np.ndarray]:
        with torch.inference_mode():
            return [record["segmentation"] for record in generator.generate(np.ascontiguousarray(image))]

    return generate


def downsample_instances(labels: np.ndarray, factor: int) -> np.ndarray:
    """Instance map on a grid ``factor`` times coarser: each block takes its most frequent label.

    Ties go to the smaller segment id, and unsegmented (0) loses every tie, so a block half covered
    by a segment belongs to it.
    """
    height, width = labels.shape
    if height % factor or width % factor:
        raise ValueError(f"a {height}x{width} map does not divide into {factor}x{factor} blocks")
    grid = labels.reshape(height // factor, factor, width // factor, factor).transpose(0, 2, 1, 3)
    blocks = grid.reshape(height // factor, width // factor, factor * factor).astype(np.int64)
    counts = (blocks[..., :, None] == blocks[..., None, :]).sum(axis=-1)
    # among equal counts the smallest rank wins; 0 ranks after every id
    big = int(labels.max(initial=0)) + 2
    rank = np.where(blocks == 0, big - 1, blocks)
    best = np.argmax(counts * big - rank, axis=-1)
    return np.take_along_axis(blocks, best[..., None], axis=-1)[..., 0].astype(np.int32)
