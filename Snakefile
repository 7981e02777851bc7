# Unsupervised segmentation of remote-sensing images: superpixel-guided FCN (Chen et al. 2022),
# ISAgrSC2 iterative SAM with a CLIP-assisted classifier, and their baselines, as one cached DAG.


import sys
from pathlib import Path

# The config is read from the working directory (--directory): one line where it is missing, not Snakemake's
# message about this directive.
if not Path("config/config.yaml").is_file():
    sys.exit(
        f"error: {Path('config/config.yaml').resolve()}: missing; run from the repository root, or give "
        "--directory a folder holding config/config.yaml"
    )


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


wildcard_constraints:
    # "study" names the cross-dataset outputs (results/study_ami.csv), so no dataset is called so
    dataset=r"(?!study$)[A-Za-z0-9-]+",
    scene=r"[^/]+",
    method=r"[^/]+",
    seed=r"\d+",
    k=r"\d+",


include: "workflow/rules/common.smk"
include: "workflow/rules/download.smk"
include: "workflow/rules/prepare.smk"
include: "workflow/rules/superpixel_fcn.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/clusters.smk"
include: "workflow/rules/weights.smk"
include: "workflow/rules/patches.smk"
include: "workflow/rules/sam.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/sensitivity.smk"
include: "workflow/rules/study.smk"


rule all:
    default_target: True
    input:
        default_targets(),
