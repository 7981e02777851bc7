checkpoint download_dataset:
    output:
        root=directory("resources/datasets/{dataset}"),
    log:
        "logs/download/{dataset}.log",
    benchmark:
        "benchmarks/download/{dataset}.tsv"
    conda:
        "../../envs/download.yaml"
    threads: rule_threads("download_dataset")
    resources:
        **rule_resources("download_dataset"),
    params:
        source=lambda w: dataset_config(w.dataset)["source"],
        archives=lambda w: dataset_archives(w.dataset, dataset_config(w.dataset)),
        manual=lambda w: dataset_config(w.dataset).get("manual"),
        manual_dir=lambda w: f"resources/downloads/{w.dataset}",
    script:
        "../scripts/download_dataset.py"
