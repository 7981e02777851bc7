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
        tile_size=config["superpixels"].get("tile_size"),
        remade=remakes("superpixels"),
    script:
        "../scripts/superpixels.py"


rule superpixel_fcn:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        labels="results/{dataset}/segmentations/superpixel_fcn/{scene}.tif",
        info="results/{dataset}/segmentations/superpixel_fcn/{scene}.json",
    log:
        "logs/{dataset}/superpixel_fcn/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/superpixel_fcn/{scene}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("superpixel_fcn")
    resources:
        **rule_resources("superpixel_fcn"),
    params:
        fcn=config["superpixel_fcn"],
        device=config["device"],
        seed=config["seed"],
        remade=remakes("superpixel_fcn"),
    script:
        "../scripts/superpixel_fcn.py"


rule superpixel_fcn_consensus:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        labels="results/{dataset}/segmentations/superpixel_fcn_consensus/{scene}.tif",
        info="results/{dataset}/segmentations/superpixel_fcn_consensus/{scene}.json",
    log:
        "logs/{dataset}/superpixel_fcn_consensus/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/superpixel_fcn_consensus/{scene}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("superpixel_fcn_consensus")
    resources:
        **rule_resources("superpixel_fcn_consensus"),
    params:
        fcn=config["superpixel_fcn"],
        consensus=config["superpixel_fcn_consensus"],
        device=config["device"],
        seed=config["seed"],
        remade=remakes("superpixel_fcn_consensus"),
    script:
        "../scripts/superpixel_fcn_consensus.py"
