"""ISAgrSC2's iterative SAM over the patch files of a scene: upscaled patches in, labels and a table out."""

import logging
from pathlib import Path

import pandas as pd

from ..data.raster import label_profile, open_raster, write_raster
from ..files import StrPath, atomic_directory
from .sam_iterative import Generator, SamParams, downsample_instances, iterative_segment, segment_geometry
from .segmented_patches import read_upscaled_rgb
from .weights import REALESRGAN_SCALE

log = logging.getLogger(__name__)

SEGMENT_COLUMNS = ["scene", "patch_id", "segment_id", "area_px", "area_px_upscaled", "round", "refined",
                   "row0", "col0", "row1", "col1", "mean_r", "mean_g", "mean_b"]


def segment_patches(manifest: pd.DataFrame, upscaled_dir: StrPath, labels_dir: StrPath, *, generate: Generator,
                    params: SamParams) -> pd.DataFrame:
    """Segment every patch of a manifest; write ``labels_dir/<patch_id>.tif`` and return the segment table.

    Labels are int32 on the patch grid (georeferenced like the patch) with nodata 0, the unsegmented
    value, so GIS viewers show unsegmented pixels as empty. Table rows (:data:`SEGMENT_COLUMNS`) hold
    area and bbox on the patch grid; round, refined, mean RGB and area_px_upscaled come from the
    upscaled segmentation. Segments that vanish when downsampled are left out. ``labels_dir`` appears
    only once every patch is segmented.
    """
    rows = []
    with atomic_directory(labels_dir) as tmp:
        for patch in manifest.itertuples():
            with open_raster(str(patch.image)) as src:
                profile, patch_shape = src.profile, src.shape
            image = read_upscaled_rgb(Path(upscaled_dir) / f"{patch.patch_id}.tif", patch_shape, REALESRGAN_SCALE)
            log.info("%s: segmenting %dx%d px", patch.patch_id, *image.shape[:2])
            upscaled_labels, upscaled_props = iterative_segment(image, generate, params)
            labels = downsample_instances(upscaled_labels, REALESRGAN_SCALE)
            write_raster(tmp / f"{patch.patch_id}.tif", labels, label_profile(profile, "int32", nodata=0))
            by_id = {p["id"]: p for p in upscaled_props}
            for prop in segment_geometry(labels):
                up = by_id[prop["id"]]
                rows.append([patch.scene, patch.patch_id, prop["id"], prop["area_px"], up["area_px"], up["round"],
                             up["refined"], *prop["bbox"], *up["mean_rgb"]])
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
