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
        layout=lambda w: dataset_config(w.dataset)["layout"],
        manual_dir=lambda w: f"resources/downloads/{w.dataset}",
        # a local folder placed again when its top level changes (filled after a first run, a folder renamed)
        source_state=lambda w: folder_state(dataset_config(w.dataset)["source"]),
        remade=remakes("download_dataset"),  # a download that failed where the study may go without it
        # computed from the output, so not parameters Snakemake tracks: switching study.skip_missing or rewording
        # how to get the data must not unpack a dataset again
        may_be_missing=lambda w, output: config["study"]["skip_missing"] and w.dataset in config["study"]["datasets"],
        manual=lambda w, output: dataset_config(w.dataset).get("manual"),  # only said when the data is missing
    script:
        "../scripts/download_dataset.py"
