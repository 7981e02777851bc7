rule score_segmentation:
    input:
        labels="results/{dataset}/segmentations/{method}/{scene}.tif",
        info="results/{dataset}/segmentations/{method}/{scene}.json",
        truth="results/{dataset}/scenes/{scene}/label.tif",
    output:
        scores="results/{dataset}/scores/{method}/{scene}.json",
    log:
        "logs/{dataset}/score_segmentation/{method}/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/score_segmentation/{method}/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("score_segmentation")
    resources:
        **rule_resources("score_segmentation"),
    params:
        method=lambda w: w.method,
        remade=remakes("score_segmentation"),
    script:
        "../scripts/score_segmentation.py"


rule ami_table:
    input:
        scores=lambda w: expand(
            "results/{dataset}/scores/{method}/{scene}.json",
            dataset=w.dataset,
            method=config["methods"],
            scene=scored_scenes(w.dataset),
        ),
    output:
        table=report(
            "results/{dataset}_ami.csv",
            caption="../report/ami_table.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"table": "AMI per scene and method"},
        ),
        summary=report(
            "results/{dataset}_summary.csv",
            caption="../report/ami_summary.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"table": "mean per method"},
        ),
    log:
        "logs/{dataset}/ami_table.log",
    benchmark:
        "benchmarks/{dataset}/ami_table.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("ami_table")
    resources:
        **rule_resources("ami_table"),
    params:
        unscored=lambda w: unscored_scenes(w.dataset),
    script:
        "../scripts/ami_table.py"
