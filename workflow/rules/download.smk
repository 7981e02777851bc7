checkpoint download_dataset:
    output:
        root=directory("resources/datasets/{dataset}"),
    params:
        source=lambda w: dataset_config(w.dataset)["source"],
        sha256=lambda w: dataset_config(w.dataset).get("sha256"),
        manual_dir=lambda w: f"resources/downloads/{w.dataset}",
    threads: rule_threads("download_dataset")
    resources:
        **rule_resources("download_dataset"),
    log:
        "logs/download/{dataset}.log",
    benchmark:
        "benchmarks/download/{dataset}.tsv"
    conda:
        "../../envs/download.yaml"
    script:
        "../scripts/download_dataset.py"
