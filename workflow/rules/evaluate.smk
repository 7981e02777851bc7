rule score_segmentation:
    input:
        labels=run_file("labels"),
        info=run_file("info"),
        truth="results/{dataset}/scenes/{scene}/label.tif",
    output:
        scores=run_file("scores"),
    log:
        "logs/{dataset}/score_segmentation/{method}/seed{seed}/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/score_segmentation/{method}/seed{seed}/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("score_segmentation")
    resources:
        **rule_resources("score_segmentation"),
    params:
        method=lambda w: w.method,
        seed=lambda w: int(w.seed),
        remade=remakes("score_segmentation"),
    script:
        "../scripts/score_segmentation.py"


rule ami_table:
    input:
        scores=lambda w: expand(
            run_file("scores"),
            dataset=w.dataset,
            method=config["methods"],
            seed=SEEDS,
            scene=scored_scenes(w.dataset),
        ),
        scenes=SCORED_SCENES,
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
    script:
        "../scripts/ami_table.py"
