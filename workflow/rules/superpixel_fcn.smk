rule superpixels:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
    output:
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    log:
        "logs/{dataset}/superpixels/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/superpixels/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("superpixels")
    resources:
        **rule_resources("superpixels"),
    params:
        bands=lambda w: band_indices(w.dataset, "superpixel_bands"),
        scale=config["superpixels"]["scale"],
        sigma=config["superpixels"]["sigma"],
        min_size=config["superpixels"]["min_size"],
        tile_size=config["superpixels"]["tile_size"],
        remade=remakes("superpixels"),
    script:
        "../scripts/superpixels.py"


rule superpixel_fcn:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        labels=run_file("labels", "superpixel_fcn"),
        info=run_file("info", "superpixel_fcn"),
    log:
        run_file("log", "superpixel_fcn"),
    benchmark:
        run_file("benchmark", "superpixel_fcn")
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("superpixel_fcn")
    resources:
        **rule_resources("superpixel_fcn"),
    params:
        fcn=config["superpixel_fcn"],
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_fcn"),
    script:
        "../scripts/superpixel_fcn.py"


rule superpixel_fcn_consensus:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        labels=run_file("labels", "superpixel_fcn_consensus"),
        info=run_file("info", "superpixel_fcn_consensus"),
    log:
        run_file("log", "superpixel_fcn_consensus"),
    benchmark:
        run_file("benchmark", "superpixel_fcn_consensus")
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("superpixel_fcn_consensus")
    resources:
        **rule_resources("superpixel_fcn_consensus"),
    params:
        fcn=config["superpixel_fcn"],
        consensus=config["superpixel_fcn_consensus"],
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_fcn_consensus"),
    script:
        "../scripts/superpixel_fcn.py"
