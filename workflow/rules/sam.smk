# ISAgrSC2: iterative SAM on the upscaled patches, the CLIP-assisted cultivated-land classifier, the
# SAM+CLIP semantic map (a method of the AMI table) and the farmland IoU table. The chain runs once, with the
# first seed; the SAM+CLIP map runs for every seed on that SAM output, as its clustering is seeded too.


rule sam_iterative:
    input:
        manifest="results/{dataset}/patches/{scene}/manifest.csv",
        upscaled="results/{dataset}/patches/{scene}/upscaled",
        checkpoint="resources/weights/sam.pth",
    output:
        labels=directory("results/{dataset}/sam/{scene}/labels"),
        segments="results/{dataset}/sam/{scene}/segments.csv",
        info="results/{dataset}/sam/{scene}/info.json",
    log:
        "logs/{dataset}/sam_iterative/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/sam_iterative/{scene}.tsv"
    conda:
        "../../envs/sam.yaml"
    threads: rule_threads("sam_iterative")
    resources:
        **rule_resources("sam_iterative"),
    params:
        sam=config["sam"],
        model_type=config["weights"]["sam"]["checkpoint"].removeprefix("sam_"),
        device=config["device"],
        seed=FIRST_SEED,
    script:
        "../scripts/sam_iterative.py"


rule train_classifier:
    input:
        manifests=per_scene("results/{dataset}/patches/{scene}/manifest.csv"),
        upscaled=per_scene("results/{dataset}/patches/{scene}/upscaled"),
        sam_labels=per_scene("results/{dataset}/sam/{scene}/labels"),
        scenes=SCORED_SCENES,
        clip="resources/weights/clip.pth",
    output:
        model="results/{dataset}/classifier/model.joblib",
        curve="results/{dataset}/classifier/training_curve.csv",
        segments="results/{dataset}/classifier/segments.csv",
    log:
        "logs/{dataset}/train_classifier.log",
    benchmark:
        "benchmarks/{dataset}/train_classifier.tsv"
    conda:
        "../../envs/classifier.yaml"
    threads: rule_threads("train_classifier")
    resources:
        **rule_resources("train_classifier"),
    params:
        classifier=config["classifier"],
        clip_model=config["weights"]["clip"]["model"],
        labels=lambda w: dataset_config(w.dataset)["labels"],
        farmland=lambda w: dataset_config(w.dataset)["farmland"],
        device=config["device"],
        seed=FIRST_SEED,
    script:
        "../scripts/train_classifier.py"


rule classify_segments:
    input:
        manifest="results/{dataset}/patches/{scene}/manifest.csv",
        upscaled="results/{dataset}/patches/{scene}/upscaled",
        sam_labels="results/{dataset}/sam/{scene}/labels",
        model="results/{dataset}/classifier/model.joblib",
        clip="resources/weights/clip.pth",
    output:
        masks=directory("results/{dataset}/farmland/{scene}"),
    log:
        "logs/{dataset}/classify_segments/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/classify_segments/{scene}.tsv"
    conda:
        "../../envs/classifier.yaml"
    threads: rule_threads("classify_segments")
    resources:
        **rule_resources("classify_segments"),
    params:
        classifier=config["classifier"],
        clip_model=config["weights"]["clip"]["model"],
        device=config["device"],
        seed=FIRST_SEED,
    script:
        "../scripts/classify_segments.py"


rule sam_clip:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        manifest="results/{dataset}/patches/{scene}/manifest.csv",
        upscaled="results/{dataset}/patches/{scene}/upscaled",
        sam_labels="results/{dataset}/sam/{scene}/labels",
        sam_info="results/{dataset}/sam/{scene}/info.json",
        clip="resources/weights/clip.pth",
    output:
        labels=run_file("labels", "sam_clip"),
        info=run_file("info", "sam_clip"),
    log:
        run_file("log", "sam_clip"),
    benchmark:
        run_file("benchmark", "sam_clip")
    conda:
        "../../envs/classifier.yaml"
    threads: rule_threads("sam_clip")
    resources:
        **rule_resources("sam_clip"),
    params:
        sam_clip=lambda w: {
            **config["sam_clip"],
            "n_clusters": clusters_or_classes(config["sam_clip"]["n_clusters"], w.dataset),
        },
        clip_model=config["weights"]["clip"]["model"],
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("sam_clip"),
    script:
        "../scripts/sam_clip_map.py"


rule farmland_iou_table:
    input:
        unpack(
            named_per_scene(
                manifest="results/{dataset}/patches/{scene}/manifest.csv",
                masks="results/{dataset}/farmland/{scene}",
            )
        ),
        scenes=SCORED_SCENES,
    output:
        table=report(
            "results/{dataset}_farmland_iou.csv",
            caption="../report/farmland_table.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"table": "cultivated land IoU"},
        ),
    log:
        "logs/{dataset}/farmland_iou_table.log",
    benchmark:
        "benchmarks/{dataset}/farmland_iou_table.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("farmland_iou_table")
    resources:
        **rule_resources("farmland_iou_table"),
    params:
        labels=lambda w: dataset_config(w.dataset)["labels"],
        farmland=lambda w: dataset_config(w.dataset)["farmland"],
    script:
        "../scripts/farmland_iou_table.py"
