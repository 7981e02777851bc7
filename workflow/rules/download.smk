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
        layout=lambda w: dataset_config(w.dataset)["layout"],
        manual_dir=lambda w: f"resources/downloads/{w.dataset}",
        # a local folder placed again when its top level changes (filled after a first run, a folder renamed)
        source_state=lambda w: folder_state(dataset_config(w.dataset)["source"]),
        remade=remakes("download_dataset"),  # a download that failed where the study may go without it
        # computed from the output, so not a parameter Snakemake tracks: switching study.skip_missing must
        # not unpack a dataset again
        may_be_missing=lambda w, output: config["study"]["skip_missing"] and w.dataset in config["study"]["datasets"],
    script:
        "../scripts/download_dataset.py"
