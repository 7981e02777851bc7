rule baseline:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
    output:
        labels=run_file("labels"),
        info=run_file("info"),
    log:
        run_file("log"),
    benchmark:
        run_file("benchmark")
    wildcard_constraints:
        method="kmeans|isodata",
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("baseline")
    resources:
        **rule_resources("baseline"),
    params:
        n_clusters=lambda w: clusters_or_classes(config["kmeans"]["n_clusters"], w.dataset),
        kmeans=lambda w: {k: v for k, v in config["kmeans"].items() if k != "n_clusters"},
        isodata=lambda w: {
            **config["isodata"],
            "desired_clusters": clusters_or_classes(config["isodata"]["desired_clusters"], w.dataset),
        },
        seed=lambda w: int(w.seed),
        remade=remakes("baseline"),
    script:
        "../scripts/baseline.py"


rule superpixel_kmeans:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        labels=run_file("labels", "superpixel_kmeans"),
        info=run_file("info", "superpixel_kmeans"),
    log:
        run_file("log", "superpixel_kmeans"),
    benchmark:
        run_file("benchmark", "superpixel_kmeans")
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("superpixel_kmeans")
    resources:
        **rule_resources("superpixel_kmeans"),
    params:
        superpixel_kmeans=superpixel_kmeans_settings(),
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_kmeans"),
    script:
        "../scripts/superpixel_kmeans.py"
