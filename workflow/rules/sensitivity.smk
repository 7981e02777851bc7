# Parameter study of the superpixel FCN: AMI over the superpixel scale, the epochs and the number of
# classes, each varied alone around the published setting. Every point is a cached job (Paramspace): the
# superpixels per scale, the FCN and its scores per point and seed, reusing the rules of the main chain.
import pandas as pd
from snakemake.utils import Paramspace

from rsseg.config import sensitivity_points

SENSITIVITY = Paramspace(pd.DataFrame(sensitivity_points(config)))
SENSITIVITY_RUN = f"results/{{dataset}}/sensitivity/{SENSITIVITY.wildcard_pattern}"


use rule superpixels as sensitivity_superpixels with:
    output:
        superpixels="results/{dataset}/sensitivity/superpixels/scale~{scale}/{scene}.tif",
    log:
        "logs/{dataset}/sensitivity/superpixels/scale~{scale}/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/sensitivity/superpixels/scale~{scale}/{scene}.tsv"
    params:
        bands=lambda w: band_indices(w.dataset, "superpixel_bands"),
        superpixels=lambda w: {**method_settings(config, "superpixels"), "scale": float(w.scale)},
        remade=remakes("sensitivity_superpixels"),


use rule superpixel_fcn as sensitivity_fcn with:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/sensitivity/superpixels/scale~{scale}/{scene}.tif",
    output:
        labels=f"{SENSITIVITY_RUN}/segmentations/seed{{seed}}/{{scene}}.tif",
        info=f"{SENSITIVITY_RUN}/segmentations/seed{{seed}}/{{scene}}.json",
    log:
        f"logs/{{dataset}}/sensitivity/{SENSITIVITY.wildcard_pattern}/seed{{seed}}/{{scene}}.log",
    benchmark:
        f"benchmarks/{{dataset}}/sensitivity/{SENSITIVITY.wildcard_pattern}/seed{{seed}}/{{scene}}.tsv"
    params:
        fcn=lambda w: fcn_settings(epochs=int(w.epochs), n_classes=int(w.n_classes)),
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("sensitivity_fcn"),


use rule score_segmentation as sensitivity_score with:
    input:
        labels=f"{SENSITIVITY_RUN}/segmentations/seed{{seed}}/{{scene}}.tif",
        info=f"{SENSITIVITY_RUN}/segmentations/seed{{seed}}/{{scene}}.json",
        truth="results/{dataset}/scenes/{scene}/label.tif",
    output:
        scores=f"{SENSITIVITY_RUN}/scores/seed{{seed}}/{{scene}}.json",
    log:
        f"logs/{{dataset}}/sensitivity/{SENSITIVITY.wildcard_pattern}/scores/seed{{seed}}/{{scene}}.log",
    benchmark:
        f"benchmarks/{{dataset}}/sensitivity/{SENSITIVITY.wildcard_pattern}/scores/seed{{seed}}/{{scene}}.tsv"
    params:
        method="superpixel_fcn",
        seed=lambda w: int(w.seed),
        remade=remakes("sensitivity_score"),


rule sensitivity_table:
    input:
        unpack(sensitivity_scores),
        scenes=SCORED_SCENES,
    output:
        table=report(
            "results/{dataset}_sensitivity.csv",
            caption="../report/sensitivity_table.rst",
            category="Parameter study",
            subcategory="{dataset}",
            labels={"table": "AMI per parameter value"},
        ),
    log:
        "logs/{dataset}/sensitivity_table.log",
    benchmark:
        "benchmarks/{dataset}/sensitivity_table.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("sensitivity_table")
    resources:
        **rule_resources("sensitivity_table"),
    params:
        # the points by their pattern, the published one first
        points=dict(zip(SENSITIVITY.instance_patterns, SENSITIVITY.dataframe.to_dict("records"))),
    script:
        "../scripts/sensitivity_table.py"


rule sensitivity_chart:
    input:
        table="results/{dataset}_sensitivity.csv",
    output:
        figure=report(
            "results/{dataset}/charts/sensitivity.png",
            caption="../report/sensitivity_chart.rst",
            category="Parameter study",
            subcategory="{dataset}",
            labels={"figure": "AMI per parameter value"},
        ),
    log:
        "logs/{dataset}/charts/sensitivity.log",
    benchmark:
        "benchmarks/{dataset}/charts/sensitivity.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/sensitivity_chart.py"
