rule prepare_scene:
    input:
        unpack(raw_scene_files),
    output:
        image="results/{dataset}/scenes/{scene}/image.tif",
        label="results/{dataset}/scenes/{scene}/label.tif",
        info="results/{dataset}/scenes/{scene}/info.json",
    params:
        dataset=lambda w: dataset_config(w.dataset),
    threads: rule_threads("prepare_scene")
    resources:
        **rule_resources("prepare_scene"),
    log:
        "logs/{dataset}/prepare_scene/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/prepare_scene/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    script:
        "../scripts/prepare_scene.py"
