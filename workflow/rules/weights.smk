rule fetch_weights:
    output:
        checkpoint="resources/weights/{model}.pth",
    wildcard_constraints:
        model="realesrgan|sam|clip",
    params:
        name=lambda w: w.model,
        checkpoint=lambda w: config["weights"][w.model]["checkpoint"],
        url=lambda w: config["weights"][w.model].get("url"),
        sha256=lambda w: config["weights"][w.model].get("sha256"),
        path=lambda w: config["weights"][w.model]["path"],
    threads: rule_threads("fetch_weights")
    resources:
        **rule_resources("fetch_weights"),
    log:
        "logs/weights/{model}.log",
    benchmark:
        "benchmarks/weights/{model}.tsv"
    conda:
        "../../envs/torch.yaml"
    script:
        "../scripts/fetch_weights.py"
