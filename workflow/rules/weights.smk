rule fetch_weights:
    output:
        checkpoint="resources/weights/{model}.pth",
    log:
        "logs/weights/{model}.log",
    benchmark:
        "benchmarks/weights/{model}.tsv"
    wildcard_constraints:
        model="realesrgan|sam|clip",
    conda:
        "../../envs/torch.yaml"
    threads: rule_threads("fetch_weights")
    resources:
        **rule_resources("fetch_weights"),
    params:
        name=lambda w: w.model,
        checkpoint=lambda w: config["weights"][w.model]["checkpoint"],
        url=lambda w: config["weights"][w.model].get("url"),
        sha256=lambda w: config["weights"][w.model].get("sha256"),
        path=lambda w: config["weights"][w.model]["path"],
    script:
        "../scripts/fetch_weights.py"
