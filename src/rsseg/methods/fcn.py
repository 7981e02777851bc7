"""Superpixel-guided unsupervised FCN (Chen et al., IEEE GRSL 2022).

A small fully convolutional network is trained from scratch on one scene: at every step its own
argmax is made uniform inside each superpixel (majority vote) and used as the cross-entropy target,
so classes become consistent over superpixels and across the scene. Inference accumulates softmax
over overlapping windows, takes the argmax and merges regions smaller than ``min_region`` pixels.
"""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage.measure import label as connected_components
from torch import nn

from .. import IGNORE_LABEL
from ..compute_rule import AUTO
from ..data.spectra import standardise
from ..data.tiling import tile_windows, window_shape, window_starts
from ..params import FromConfig, Range
from .compute import (
    CHOICES,
    LAYOUTS,
    PRECISIONS,
    ComputeSetting,
    StepTimer,
    bfloat16_is_native,
    candidate_settings,
    choose_setting,
    time_in_turns,
)
from .device import seed_everything
from .heap import retained_heap

log = logging.getLogger(__name__)



@dataclass
class FCNParams(FromConfig):
    """Hyper-parameters; defaults are the published ones but for how the network computes.

    ``precision``: ``float32`` (the paper's), ``bfloat16`` (autocast: the loss and the softmax sums stay
    float32), ``auto`` or ``measure``; ``layout``: ``channels_last``, ``contiguous``, ``auto`` or ``measure``.
    ``auto`` applies the rule of :mod:`rsseg.compute_rule` (bfloat16 only where the hardware computes it
    natively), ``measure`` times the candidates once per machine (:mod:`rsseg.methods.compute`).
    """

    n_classes: int = 32
    width: int = 64
    window: int = 512
    stride: int = 448
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 1
    min_region: int = 20
    precision: str = AUTO
    layout: str = AUTO

    section = "superpixel_fcn"
    # labels are uint8 with IGNORE_LABEL reserved
    bounds = {"n_classes": Range(minimum=2, maximum=IGNORE_LABEL - 1), "width": Range(minimum=1),
              "window": Range(minimum=8), "stride": Range(minimum=1), "epochs": Range(minimum=1),
              "lr": Range(exclusive_minimum=0), "batch_size": Range(minimum=1), "min_region": Range(minimum=0)}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.precision not in (*PRECISIONS, *CHOICES):
            raise ValueError(f"precision must be one of {', '.join((*PRECISIONS, *CHOICES))}, got {self.precision!r}")
        if self.layout not in (*LAYOUTS, *CHOICES):
            raise ValueError(f"layout must be one of {', '.join((*LAYOUTS, *CHOICES))}, got {self.layout!r}")


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class SuperpixelFCN(nn.Module):
    """Encoder (3 conv blocks, 2 max-pools) and decoder (2 upsample + conv blocks), 1x1 conv + BN head.

    Pooling rounds up and each upsampling (bilinear) goes to the exact size of the matching encoder
    level, so any input size works and the output always has the input's height and width.
    """

    def __init__(self, in_channels: int, n_classes: int = 32, width: int = 64) -> None:
        super().__init__()
        self.enc1 = conv_block(in_channels, width)
        self.enc2 = conv_block(width, width)
        self.enc3 = conv_block(width, width)
        self.dec1 = conv_block(width, width)
        self.dec2 = conv_block(width, width)
        self.head = nn.Sequential(nn.Conv2d(width, n_classes, 1), nn.BatchNorm2d(n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = x.shape[-2:]
        x = self.enc1(x)
        x = self.enc2(F.max_pool2d(x, 2, ceil_mode=True))
        half = x.shape[-2:]
        x = self.enc3(F.max_pool2d(x, 2, ceil_mode=True))
        x = self.dec1(F.interpolate(x, size=half, mode="bilinear", align_corners=False))
        x = self.dec2(F.interpolate(x, size=full, mode="bilinear", align_corners=False))
        logits: torch.Tensor = self.head(x)
        return logits


DENSE_VOTE_CELLS = 1 << 24
"""Largest (superpixel id span x classes) count table the vote allocates (128 MiB of int64) instead of
sorting the ids."""


def majority_vote(predicted: torch.Tensor, superpixels: torch.Tensor, n_classes: int | None = None) -> torch.Tensor:
    """Replace every superpixel's labels by their most frequent one, separately in each batch item.

    ``predicted`` and ``superpixels`` are integer tensors of the same shape ``(N, H, W)``; superpixel
    ids may be any integers (negative, large, gaps). Ties go to the smallest label. ``n_classes``
    (default: largest label + 1) only sizes the count table. Vectorised: one bincount over
    ``segment * n_classes + label``, no loop over superpixels.
    """
    if predicted.shape != superpixels.shape:
        raise ValueError(f"predicted {tuple(predicted.shape)} and superpixels "
                         f"{tuple(superpixels.shape)} must have the same shape")
    predicted = predicted.long()
    superpixels = superpixels.long()
    if n_classes is None:
        n_classes = int(predicted.max()) + 1
    # Key each superpixel by its batch item too, so the vote never spans two windows.
    lowest = superpixels.min()
    span = int(superpixels.max() - lowest) + 1
    item = torch.arange(predicted.shape[0], device=predicted.device).view(-1, *[1] * (predicted.dim() - 1))
    keys = (item * span + (superpixels - lowest)).reshape(-1)
    n_keys = predicted.shape[0] * span
    if n_keys * n_classes <= DENSE_VOTE_CELLS:
        # Superpixel ids are numbered tile by tile, so a window's span a few thousand: a count table
        # over every id in the span is cheaper than sorting the window's pixels to find the ids present.
        segment, n_segments = keys, n_keys
    else:
        present, segment = torch.unique(keys, return_inverse=True)
        n_segments = present.numel()
    counts = torch.bincount(segment * n_classes + predicted.reshape(-1), minlength=n_segments * n_classes)
    # argmax returns the first maximum, which is the smallest tied label.
    winner = counts.view(n_segments, n_classes).argmax(dim=1)
    return winner[segment].view(predicted.shape)


def autocast(device: torch.device, dtype: torch.dtype) -> torch.autocast:
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=dtype == torch.bfloat16)


def scene_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """The whole scene array as a tensor on ``device``: on a GPU it is copied once (about 1 GiB for a
    7200x6800x4 scene) so that each step only slices it, with no per-window host-to-device copy."""
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


def training_step(model: SuperpixelFCN, optimiser: torch.optim.Optimizer, x: torch.Tensor, valid: torch.Tensor,
                  superpixels: torch.Tensor, *, n_classes: int, dtype: torch.dtype) -> torch.Tensor:
    """One step on a batch of windows: forward, each superpixel's majority label as the target,
    cross-entropy over valid pixels, backward, optimiser step. Returns the loss (detached)."""
    with autocast(x.device, dtype):
        logits = model(x)
    # Invalid pixels form one group of their own, so their predictions sway no vote.
    superpixels = torch.where(valid, superpixels, superpixels.min() - 1)
    if logits.is_contiguous(memory_format=torch.channels_last):
        # Classes last: a free view of the channels_last logits, so the argmax and the cross-entropy's
        # softmax read contiguous memory (over the class axis in place, they copy and transpose 64 MB).
        per_pixel = logits.permute(0, 2, 3, 1)
        target = majority_vote(per_pixel.argmax(dim=-1), superpixels, n_classes)
        target[~valid] = IGNORE_LABEL
        loss = F.cross_entropy(per_pixel.reshape(-1, n_classes).float(), target.reshape(-1),
                               ignore_index=IGNORE_LABEL)
    else:  # contiguous logits: both read the class axis with the pixels innermost, no copy either
        target = majority_vote(logits.argmax(dim=1), superpixels, n_classes)
        target[~valid] = IGNORE_LABEL
        loss = F.cross_entropy(logits.float(), target, ignore_index=IGNORE_LABEL)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    return loss.detach()


def training_step_timer(setting: ComputeSetting, *, bands: int, window: tuple[int, int], params: FCNParams,
                        device: torch.device) -> StepTimer:
    """A fresh network in ``setting`` on a random batch of ``window``-sized crops, with random superpixels as
    large as Felzenszwalb's at scale 32; returns a function that runs one training step and returns its seconds."""
    seed_everything(0)  # the rule's deterministic kernels; the run seeds itself again after
    generator = torch.Generator().manual_seed(0)
    model = SuperpixelFCN(bands, params.n_classes, params.width).to(device).to(memory_format=setting.memory_format)
    optimiser = torch.optim.Adam(model.parameters(), lr=params.lr)
    shape = (params.batch_size, *window)
    x = torch.randn(params.batch_size, bands, *window, generator=generator).to(device)
    x = x.contiguous(memory_format=setting.memory_format)
    superpixels = torch.randint(0, max(1, window[0] * window[1] // 400), shape, generator=generator).to(device)
    valid = torch.ones(shape, dtype=torch.bool, device=device)

    def step() -> float:
        start = time.perf_counter()
        training_step(model, optimiser, x, valid, superpixels, n_classes=params.n_classes, dtype=setting.dtype)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start
    return step


EMULATION_PROBE_WINDOW = 64
"""Side of the window on which an emulated bfloat16 step is timed against float32, for the warning."""


def compute_setting(params: FCNParams, *, bands: int, window: tuple[int, int], device: torch.device
                    ) -> tuple[ComputeSetting, dict[str, Any]]:
    """The dtype and layout to train and predict in (:mod:`rsseg.methods.compute`) and how they were chosen.

    ``bfloat16`` asked for where the device emulates it is honoured with a warning that says how much
    slower a step is there than in float32.
    """
    candidates = candidate_settings(params.precision, params.layout, device)
    # Timed on the job's own window: on a smaller one the ranking can turn over (docs/benchmarks.md, "A
    # training step, by precision and layout").
    with retained_heap():  # as the run will compute
        setting, record = choose_setting(
            candidates, device=device, job={"bands": bands, "window": window, "n_classes": params.n_classes,
                                            "width": params.width, "batch_size": params.batch_size},
            prepare=lambda s: training_step_timer(s, bands=bands, window=window, params=params, device=device))
        if AUTO in (params.precision, params.layout) and record["chosen_by"] == "config":
            record["chosen_by"] = "auto: the rule of rsseg.compute_rule"
        if setting.precision == "bfloat16" and not bfloat16_is_native(device):
            probe = (min(window[0], EMULATION_PROBE_WINDOW), min(window[1], EMULATION_PROBE_WINDOW))
            seconds = time_in_turns(
                [ComputeSetting(precision, setting.layout) for precision in ("float32", "bfloat16")],
                lambda s: training_step_timer(s, bands=bands, window=probe, params=params, device=device), rounds=1)
            factor = seconds[f"bfloat16/{setting.layout}"] / seconds[f"float32/{setting.layout}"]
            about = record["hardware"]
            log.warning("precision bfloat16 on %s without native bfloat16 (%s): a training step takes %.0fx as long "
                        "as in float32 here; set superpixel_fcn.precision to auto or float32",
                        about.get("cpu", device),
                        f"capability {about.get('capability', '?')}, no AVX512-BF16 or AMX in use", factor)
            record["bfloat16_emulation_factor"] = factor
    return setting, record


def window_order(n_windows: int, *, epochs: int, steps: int | None, generator: torch.Generator) -> list[list[int]]:
    """The windows each pass of training visits, in order: ``epochs`` random permutations of all of them, or,
    with ``steps``, that many windows from successive permutations (a pass each)."""
    if steps is None:
        return [torch.randperm(n_windows, generator=generator).tolist() for _ in range(epochs)]
    passes = []
    while steps > 0:
        passes.append(torch.randperm(n_windows, generator=generator).tolist()[:steps])
        steps -= len(passes[-1])
    return passes


def compute_record(device: torch.device, setting: ComputeSetting, choice: dict[str, Any]) -> dict[str, Any]:
    """How a run computed, for its run record: the device and its threads, the dtype and layout, and how they were
    chosen (:func:`compute_setting`)."""
    return {"device": str(device), "threads": torch.get_num_threads(), "dtype": setting.precision,
            "layout": setting.layout, "compute_setting": choice}


def training_windows(valid: np.ndarray, params: FCNParams) -> list[tuple[int, int, int, int]]:
    """The windows ``(row, col, h, w)`` a network trains on: those of the scene's tiling with a valid pixel."""
    height, width = valid.shape
    return [w for w in tile_windows(height, width, params.window, params.stride)
            if valid[w[0]:w[0] + w[2], w[1]:w[1] + w[3]].any()]


def train_fcn(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray, params: FCNParams, *,
              device: torch.device | str, seed: int, setting: ComputeSetting,
              steps: int | None = None) -> tuple[SuperpixelFCN, list[float]]:
    """Train a fresh :class:`SuperpixelFCN` on one scene in ``setting``; returns ``(model, mean loss of each
    pass)``.

    ``image`` is a standardised float32 ``(bands, h, w)`` array, ``valid`` its valid-pixel mask and
    ``superpixels`` integer ``(h, w)`` ids. Training runs ``params.epochs`` epochs over the windows, or
    ``steps`` steps (batches of ``params.batch_size`` windows) from successive random orders of them
    (:func:`window_order`), so that a small scene gets as many steps as a large one. Windows without valid
    pixels are skipped; invalid pixels are voted apart from the superpixel they sit in and ignored by the
    loss. Bit-identical on CPU for a fixed ``seed``, setting and thread count.
    """
    device = torch.device(device)
    bands, height, width = image.shape
    if superpixels.shape != (height, width) or valid.shape != (height, width):
        raise ValueError(f"image is {height}x{width} px but valid is {valid.shape} and superpixels "
                         f"{superpixels.shape}")
    windows = training_windows(valid, params)
    if not windows:
        raise ValueError("the image has no valid pixel to train on")
    seed_everything(seed)
    model = SuperpixelFCN(bands, params.n_classes, params.width).to(device).to(memory_format=setting.memory_format)
    optimiser = torch.optim.Adam(model.parameters(), lr=params.lr)
    generator = torch.Generator().manual_seed(seed)
    image_t, valid_t = scene_tensor(image, device), scene_tensor(valid, device)
    superpixels_t = scene_tensor(superpixels, device)

    def batch(indices: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        crops = [windows[i] for i in indices]

        def stack(t: torch.Tensor) -> torch.Tensor:
            return torch.stack([t[..., r:r + h, c:c + w] for r, c, h, w in crops])
        return (stack(image_t).contiguous(memory_format=setting.memory_format), stack(valid_t),
                stack(superpixels_t).long())

    model.train()
    losses, start = [], time.perf_counter()
    log.info("training in %s on %s, %d windows per epoch", setting.name, device, len(windows))
    passes = window_order(len(windows), epochs=params.epochs, generator=generator,
                          steps=None if steps is None else steps * params.batch_size)
    with retained_heap():
        for number, order in enumerate(passes, 1):
            total = torch.zeros((), device=device)
            for first in range(0, len(order), params.batch_size):
                total += training_step(model, optimiser, *batch(order[first:first + params.batch_size]),
                                       n_classes=params.n_classes, dtype=setting.dtype)
            losses.append(total.item() / -(-len(order) // params.batch_size))
            log.info("%s %d/%d: mean loss %.4f, %.1f s elapsed", "epoch" if steps is None else "pass", number,
                     len(passes), losses[-1], time.perf_counter() - start)
    return model, losses


def softmax_rows(model: SuperpixelFCN, image: np.ndarray, params: FCNParams, *, device: torch.device | str,
                 setting: ComputeSetting) -> Iterator[tuple[int, torch.Tensor]]:
    """The softmax of the trained ``model`` summed over the windows that cover each pixel of ``image``, top to
    bottom: yields ``(top, rows)``, ``rows`` a float32 ``(n, width, n_classes)`` block of the scene's rows
    ``top..top + n`` on ``device``, final once yielded and valid until the next one.

    The sums are kept in a buffer one window tall and the scene wide: rows above the next row of windows
    are final, so they are handed out and the buffer moves down. Memory on ``device`` is the scene plus
    ``n_classes * window * width`` floats, never ``n_classes * h * w``. The buffer holds the classes last,
    the layout of channels_last logits, so adding a window's softmax reads contiguous memory. Windows of a
    row go through the net ``batch_size`` at a time, in ``setting``.
    """
    device = torch.device(device)
    _, height, width = image.shape
    win_h, win_w = window_shape(height, width, params.window)
    image_t = scene_tensor(image, device)
    cols = window_starts(width, params.window, params.stride)
    strip = torch.zeros((win_h, width, params.n_classes), device=device)
    top = 0
    model.eval()
    with torch.inference_mode(), retained_heap():
        for row in window_starts(height, params.window, params.stride):
            done = row - top
            if done:
                yield top, strip[:done]
                strip[:win_h - done] = strip[done:].clone()
                strip[win_h - done:] = 0
                top = row
            for first in range(0, len(cols), params.batch_size):
                batch_cols = cols[first:first + params.batch_size]
                x = torch.stack([image_t[:, row:row + win_h, col:col + win_w] for col in batch_cols])
                with autocast(device, setting.dtype):
                    logits = model(x.contiguous(memory_format=setting.memory_format))
                # classes last: free for channels_last logits, one copy of contiguous ones, which the
                # softmax over the class axis and the strip then read in order
                logits = logits.contiguous(memory_format=torch.channels_last)
                for col, window_logits in zip(batch_cols, logits.permute(0, 2, 3, 1), strict=True):
                    strip[:, col:col + win_w] += torch.softmax(window_logits, dim=-1, dtype=torch.float32)
        yield top, strip[:height - top]


def predict_labels(model: SuperpixelFCN, image: np.ndarray, valid: np.ndarray, params: FCNParams, *,
                   device: torch.device | str, setting: ComputeSetting) -> np.ndarray:
    """Label every pixel of ``image`` with the trained ``model``; uint8 ``(h, w)``, invalid = 255.

    The argmax of the softmax summed over overlapping windows (:func:`softmax_rows`), then regions smaller
    than ``min_region`` merged into their nearest large neighbour.
    """
    labels = np.empty(valid.shape, dtype=np.uint8)
    for top, rows in softmax_rows(model, image, params, device=device, setting=setting):
        labels[top:top + len(rows)] = rows.argmax(dim=-1).to(torch.uint8).cpu().numpy()
    # the buffer (0.4 GiB for a GID scene) is gone with the finished generator, before
    # remove_small_regions needs its own memory
    labels[~valid] = IGNORE_LABEL
    return remove_small_regions(labels, params.min_region)


def remove_small_regions(labels: np.ndarray, min_size: int, valid: np.ndarray | None = None) -> np.ndarray:
    """Merge 8-connected regions smaller than ``min_size`` pixels into the nearest large region.

    Each pixel of a small region takes the label of the nearest (Euclidean) pixel of a region of at
    least ``min_size`` pixels. Pixels labelled ``IGNORE_LABEL`` or outside ``valid`` are neither
    regions nor sources and keep their value. Returns a new array; if no region is large enough the
    labels are returned unchanged. Peak extra memory is about 13 bytes per pixel (int64 component
    ids, then int32 nearest-pixel indices).
    """
    ignored = labels == IGNORE_LABEL
    if valid is not None:
        ignored |= ~valid
    components = connected_components(np.where(ignored, IGNORE_LABEL, labels), background=IGNORE_LABEL,
                                      connectivity=2)
    sizes = np.bincount(components.ravel())
    too_small = sizes < min_size
    too_small[0] = False  # background
    small = too_small[components]
    del components
    large = ~(small | ignored)
    out = labels.copy()
    if not small.any() or not large.any():
        return out
    rows, cols = ndimage.distance_transform_edt(~large, return_distances=False, return_indices=True)
    out[small] = labels[rows[small], cols[small]]
    return out


def segment_scene(image: np.ndarray, valid: np.ndarray, superpixels: np.ndarray, params: FCNParams, *,
                  device: torch.device | str, seed: int, in_place: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Standardise, train and predict one scene; returns ``(labels, info)`` with timings and losses.

    ``in_place`` standardises the float32 ``image`` in its own memory, which spares a copy of the
    scene (0.7 GiB for GID) but leaves the caller's array standardised.
    """
    device = torch.device(device)
    standardised = standardise(image, valid, in_place=in_place)
    start = time.perf_counter()
    setting, choice = compute_setting(params, bands=image.shape[0], device=device,
                                      window=window_shape(image.shape[1], image.shape[2], params.window))
    chosen = time.perf_counter()
    model, losses = train_fcn(standardised, valid, superpixels, params, device=device, seed=seed, setting=setting)
    trained = time.perf_counter()
    labels = predict_labels(model, standardised, valid, params, device=device, setting=setting)
    info = {"choose_seconds": chosen - start, "train_seconds": trained - chosen,
            "predict_seconds": time.perf_counter() - trained, "epoch_losses": losses,
            **compute_record(device, setting, choice)}
    return labels, info
