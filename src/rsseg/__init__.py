"""Unsupervised segmentation of remote-sensing images."""

IGNORE_LABEL = 255
"""Label value of unlabelled or no-data pixels in every prepared label raster."""
