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
        dataset=lambda w: prepared_scene_settings(w.dataset),
        # the sizes and modification times of the scene's source files: a file replaced by an older one (unzip -o,
        # cp -p, rsync -a, tar x) looks up to date to Snakemake's modification-time check
        source_state=lambda w: files_state(raw_scene_files(w).values()),
        remade=remakes("prepare_scene"),
        # computed from the output, so not parameters Snakemake tracks: they decide whether the job stops (the
        # scored_scenes checkpoint stops the run on a scene prepared before) and what it warns, not what it writes
        skip_unscored=lambda w, output: config["skip_unscored_scenes"],
        georeferenced=lambda w, output: expects_georeferencing(dataset_config(w.dataset)["layout"]),
    script:
        "../scripts/prepare_scene.py"


# Which scenes have a scored pixel is known once they are prepared: the score tables, figures and the ISAgrSC2 chain
# wait for this list (scored_scenes in common.smk). A scene without one stops the run here unless
# skip_unscored_scenes, the only job whose parameters hold the setting, so switching it reruns nothing else.
checkpoint scored_scenes:
    input:
        infos=per_scene("results/{dataset}/scenes/{scene}/info.json", scenes),
    output:
        scenes=SCORED_SCENES,
    log:
        "logs/{dataset}/scored_scenes.log",
    benchmark:
        "benchmarks/{dataset}/scored_scenes.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("scored_scenes")
    resources:
        **rule_resources("scored_scenes"),
    params:
        skip_unscored=config["skip_unscored_scenes"],
    script:
        "../scripts/scored_scenes.py"
