"""Per-band normalisation of pixel spectra, shared by every method that feeds them to a model."""

import numpy as np


def standardise(image: np.ndarray, valid: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Scale each band to zero mean and unit variance over valid pixels; invalid pixels become 0.

    Works band by band in float32 so a full GID scene never needs a float64 copy. ``in_place``
    overwrites ``image`` (which must be float32) instead of allocating a second scene, for callers
    that have no further use for the raw values.
    """
    if in_place and image.dtype != np.float32:
        raise ValueError(f"in-place standardisation needs a float32 image, got {image.dtype}")
    out = image if in_place else np.empty(image.shape, dtype=np.float32)
    for band, values in enumerate(image):
        pixels = values[valid]
        mean = float(pixels.mean(dtype=np.float64)) if pixels.size else 0.0
        std = float(pixels.std(dtype=np.float64)) if pixels.size else 1.0
        np.subtract(values, mean, out=out[band], dtype=np.float32)
        out[band] /= std if std > 0 else 1.0
        out[band][~valid] = 0.0
    return out


def percentile_stretch(image: np.ndarray, valid: np.ndarray, low: float = 2.0, high: float = 98.0) -> np.ndarray:
    """Stretch each band to [0, 1] between its percentiles over valid pixels (for display and superpixels)."""
    out = np.zeros(image.shape, dtype=np.float32)
    for band, values in enumerate(image):
        pixels = values[valid]
        if not pixels.size:
            continue
        lo, hi = np.percentile(pixels, [low, high])
        span = hi - lo if hi > lo else 1.0
        np.clip((values - lo) / span, 0.0, 1.0, out=out[band])
        out[band][~valid] = 0.0
    return out
