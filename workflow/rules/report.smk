# Figures of the report (`snakemake --report report.html`): every method of a scene side by side
# (figures/{scene}.png), a quick-look per method and scene (figures/{method}/{scene}.png), both of the first
# seed's runs, and the charts of the score tables (charts/), each in a path of its own whatever a scene is named.


rule scene_figure:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        truth="results/{dataset}/scenes/{scene}/label.tif",
        labels=[run_file("labels", method, FIRST_SEED) for method in config["methods"]],
        scores=[run_file("scores", method, FIRST_SEED) for method in config["methods"]],
    output:
        figure=report(
            "results/{dataset}/figures/{scene}.png",
            caption="../report/scene_figure.rst",
            category="Segmentations",
            subcategory="{dataset}",
            labels={"scene": "{scene}", "figure": "all methods"},
        ),
    log:
        "logs/{dataset}/figures/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/figures/{scene}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    params:
        methods=config["methods"],
        with_truth=True,
        composite_bands=lambda w: band_indices(w.dataset, "composite_bands"),
        encoding=lambda w: dataset_config(w.dataset)["labels"],
        report=method_settings(config, "report"),
    script:
        "../scripts/scene_figure.py"


rule method_figure:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        truth="results/{dataset}/scenes/{scene}/label.tif",
        labels=[run_file("labels", seed=FIRST_SEED)],
        scores=[run_file("scores", seed=FIRST_SEED)],
    output:
        figure=report(
            "results/{dataset}/figures/{method}/{scene}.png",
            caption="../report/method_figure.rst",
            category="Quick-looks",
            subcategory="{dataset}",
            labels={"scene": "{scene}", "method": "{method}"},
        ),
    log:
        "logs/{dataset}/figures/{method}/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/figures/{method}/{scene}.tsv"
    wildcard_constraints:
        method="|".join(config["methods"]),
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    params:
        methods=lambda w: [w.method],
        with_truth=False,
        composite_bands=lambda w: band_indices(w.dataset, "composite_bands"),
        encoding=lambda w: dataset_config(w.dataset)["labels"],
        report=method_settings(config, "report"),
    script:
        "../scripts/scene_figure.py"


rule ami_chart:
    input:
        table="results/{dataset}_ami.csv",
        summary="results/{dataset}_summary.csv",
    output:
        figure=report(
            "results/{dataset}/charts/ami.png",
            caption="../report/ami_chart.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"figure": "AMI per method"},
        ),
    log:
        "logs/{dataset}/charts/ami.log",
    benchmark:
        "benchmarks/{dataset}/charts/ami.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/ami_chart.py"


rule farmland_chart:
    input:
        scores="results/{dataset}_farmland_iou.csv",
    output:
        figure=report(
            "results/{dataset}/charts/farmland_iou.png",
            caption="../report/farmland_chart.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"figure": "cultivated land IoU"},
        ),
    log:
        "logs/{dataset}/charts/farmland_iou.log",
    benchmark:
        "benchmarks/{dataset}/charts/farmland_iou.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/farmland_chart.py"
