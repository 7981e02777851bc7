rule sample_patches:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        label="results/{dataset}/scenes/{scene}/label.tif",
    output:
        manifest="results/{dataset}/patches/{scene}/manifest.csv",
        patches=directory("results/{dataset}/patches/{scene}/tiles"),
    log:
        "logs/{dataset}/sample_patches/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/sample_patches/{scene}.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("sample_patches")
    resources:
        **rule_resources("sample_patches"),
    params:
        patches=config["patches"],
        seed=FIRST_SEED,
    script:
        "../scripts/sample_patches.py"


rule upscale_patches:
    input:
        manifest="results/{dataset}/patches/{scene}/manifest.csv",
        patches="results/{dataset}/patches/{scene}/tiles",
        checkpoint="resources/weights/realesrgan.pth",
    output:
        upscaled=directory("results/{dataset}/patches/{scene}/upscaled"),
    log:
        "logs/{dataset}/upscale_patches/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/upscale_patches/{scene}.tsv"
    conda:
        "../../envs/upscale.yaml"
    threads: rule_threads("upscale_patches")
    resources:
        **rule_resources("upscale_patches"),
    params:
        bands=lambda w: band_indices(w.dataset, "upscale_bands"),
        upscale=method_settings(config, "upscale"),
        device=config["device"],
    script:
        "../scripts/upscale_patches.py"
