# The whole study, `snakemake --cores 8 study`: for every dataset of study.datasets whose data is in place
# or downloads by itself, its tables and figures (the farmland IoU where the weights are installed), the
# cross-dataset table beside the papers' figures, and a study page. Missing manual data stops the run, one
# line per dataset, and so does a download that fails, unless study.skip_missing lists such datasets as
# missing instead (the study's rules wait for the downloads, all at once, to know which).


rule study:
    input:
        study_targets,


rule study_table:
    input:
        unpack(study_tables),
    output:
        table=report(
            "results/study_ami.csv",
            caption="../report/study_table.rst",
            category="Study",
            labels={"table": "AMI per dataset and method"},
        ),
        farmland="results/study_farmland_iou.csv",
    log:
        "logs/study/study_table.log",
    benchmark:
        "benchmarks/study/study_table.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("study_table")
    resources:
        **rule_resources("study_table"),
    params:
        missing=lambda w: study_datasets()[1] if config["study"]["skip_missing"] else {},
        published={name: cfg.get("published") for name, cfg in config["datasets"].items()},
    script:
        "../scripts/study_table.py"


rule study_chart:
    input:
        table="results/study_ami.csv",
    output:
        figure=report(
            "results/study/charts/ami.png",
            caption="../report/study_chart.rst",
            category="Study",
            labels={"figure": "AMI per dataset and method"},
        ),
    log:
        "logs/study/study_chart.log",
    benchmark:
        "benchmarks/study/study_chart.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/study_chart.py"


rule study_report:
    input:
        pending=pending_downloads,
        table="results/study_ami.csv",
        farmland="results/study_farmland_iou.csv",
        chart="results/study/charts/ami.png",
        charts=lambda w: [f"results/{name}/charts/ami.png" for name in study_datasets()[0]]
        + [f"results/{name}/charts/farmland_iou.png" for name in study_farmland_datasets()]
        + [f"results/{name}/charts/sensitivity.png" for name in config["study"]["sensitivity"]],
    output:
        page="results/study.html",
    log:
        "logs/study/study_report.log",
    benchmark:
        "benchmarks/study/study_report.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/study_report.py"
