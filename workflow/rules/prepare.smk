rule prepare_scene:
    input:
        unpack(raw_scene_files),
    output:
        image="results/{dataset}/scenes/{scene}/image.tif",
        label="results/{dataset}/scenes/{scene}/label.tif",
        info="results/{dataset}/scenes/{scene}/info.json",
    log:
        "logs/{dataset}/prepare_scene/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/prepare_scene/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("prepare_scene")
    resources:
        **rule_resources("prepare_scene"),
    params:
        dataset=lambda w: dataset_config(w.dataset),
        skip_unscored=config["skip_unscored_scenes"],
        remade=remakes("prepare_scene"),
    script:
        "../scripts/prepare_scene.py"


# With skip_unscored_scenes, which scenes have a scored pixel is known only once they are prepared:
# the score tables, figures and the ISAgrSC2 chain then wait for this list (scored_scenes in common.smk).
checkpoint scored_scenes:
    input:
        infos=per_scene("results/{dataset}/scenes/{scene}/info.json", scenes),
    output:
        scenes="results/{dataset}/scored_scenes.json",
    log:
        "logs/{dataset}/scored_scenes.log",
    benchmark:
        "benchmarks/{dataset}/scored_scenes.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("scored_scenes")
    resources:
        **rule_resources("scored_scenes"),
    script:
        "../scripts/scored_scenes.py"
