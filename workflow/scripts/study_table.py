"""The study's tables: AMI per dataset and method beside the papers' figures, and the pooled farmland IoU."""

from typing import Any

import pandas as pd

from rsseg.evaluation.study import study_ami_table, study_farmland_table
from rsseg.files import write_csv
from rsseg.scripting import named_inputs, run_rule


def main(snakemake: Any) -> None:
    params, inputs = snakemake.params, snakemake.input
    tables = {name: pd.read_csv(path) for name, path in named_inputs(inputs, "ami").items()}
    write_csv(snakemake.output.table, study_ami_table(tables, published=params.published, missing=params.missing),
              float_format="%.4f")
    farmland = {name: pd.read_csv(path) for name, path in named_inputs(inputs, "farmland_iou").items()}
    write_csv(snakemake.output.farmland, study_farmland_table(farmland), float_format="%.4f")


snakemake: Any  # the job, which Snakemake defines before it runs this script
run_rule(main, snakemake)
