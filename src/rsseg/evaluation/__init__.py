"""Scoring segmentations and building the study's tables: AMI and farmland IoU, per-dataset,
parameter-study and cross-dataset tables."""
