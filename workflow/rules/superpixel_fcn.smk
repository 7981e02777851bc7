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
        superpixels=method_settings(config, "superpixels"),
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
        fcn=fcn_settings(),
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_fcn"),
    script:
        "../scripts/superpixel_fcn.py"


rule consensus_runs:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
    output:
        runs="results/{dataset}/consensus_runs/seed{seed}/{scene}.npz",
        info="results/{dataset}/consensus_runs/seed{seed}/{scene}.json",
    log:
        "logs/{dataset}/consensus_runs/seed{seed}/{scene}.log",
    benchmark:
        "benchmarks/{dataset}/consensus_runs/seed{seed}/{scene}.tsv"
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("consensus_runs")
    resources:
        **rule_resources("consensus_runs"),
    params:
        fcn=fcn_settings(),
        consensus=consensus_settings(runs=True),
        device=config["device"],
        seed=lambda w: int(w.seed),
        remade=remakes("consensus_runs"),
    script:
        "../scripts/consensus_runs.py"


rule superpixel_fcn_consensus:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
        runs="results/{dataset}/consensus_runs/seed{seed}/{scene}.npz",
        runs_info="results/{dataset}/consensus_runs/seed{seed}/{scene}.json",
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
        consensus=consensus_settings(runs=False),
        seed=lambda w: int(w.seed),
    script:
        "../scripts/superpixel_fcn_consensus.py"
