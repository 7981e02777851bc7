# The per-pixel baselines, one rule each, so that a job's parameters are its own method's settings only: a
# K-means setting must not rerun the ISODATA jobs. Both share the resources of `baseline`.


rule kmeans:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
    output:
        labels=run_file("labels", "kmeans"),
        info=run_file("info", "kmeans"),
    log:
        run_file("log", "kmeans"),
    benchmark:
        run_file("benchmark", "kmeans")
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("baseline")
    resources:
        **rule_resources("baseline"),
    params:
        method="kmeans",
        settings=lambda w: {
            **config["kmeans"],
            "n_clusters": clusters_or_classes(config["kmeans"]["n_clusters"], w.dataset),
        },
        seed=lambda w: int(w.seed),
        remade=remakes("kmeans"),
    script:
        "../scripts/baseline.py"


use rule kmeans as isodata with:
    output:
        labels=run_file("labels", "isodata"),
        info=run_file("info", "isodata"),
    log:
        run_file("log", "isodata"),
    benchmark:
        run_file("benchmark", "isodata")
    params:
        # every parameter of kmeans replaced: `use rule` keeps those it is not given
        method="isodata",
        settings=lambda w: {
            **config["isodata"],
            "desired_clusters": clusters_or_classes(config["isodata"]["desired_clusters"], w.dataset),
        },
        seed=lambda w: int(w.seed),
        remade=remakes("isodata"),


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
