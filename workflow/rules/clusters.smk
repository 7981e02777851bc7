# Methods at matched numbers of clusters, results/{dataset}_clusters.csv: AMI rises with the number of segments,
# so K-means, the superpixel control and the consensus are compared at the same counts (matched_clusters in the
# config), the FCN at its own emergent count beside the control at that count. A method at k clusters is a
# method of its own, <method>_k<k> (rsseg.evaluation.clusters), whose run files and scores are those of any
# method; the consensus clusters its one training at every count.


use rule kmeans as kmeans_at_k with:
    output:
        labels=run_file("labels", "kmeans_k{k}"),
        info=run_file("info", "kmeans_k{k}"),
    log:
        run_file("log", "kmeans_k{k}"),
    benchmark:
        run_file("benchmark", "kmeans_k{k}")
    params:
        # every parameter of kmeans replaced: `use rule` keeps those it is not given
        method="kmeans",
        settings=lambda w: {**config["kmeans"], "n_clusters": int(w.k)},
        seed=lambda w: int(w.seed),
        remade=remakes("kmeans_at_k"),


use rule superpixel_kmeans as superpixel_kmeans_at_k with:
    output:
        labels=run_file("labels", "superpixel_kmeans_k{k}"),
        info=run_file("info", "superpixel_kmeans_k{k}"),
    log:
        run_file("log", "superpixel_kmeans_k{k}"),
    benchmark:
        run_file("benchmark", "superpixel_kmeans_k{k}")
    params:
        superpixel_kmeans=lambda w: superpixel_kmeans_settings(int(w.k)),
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_kmeans_at_k"),


# the FCN's count differs by seed and scene: the job reads it from the FCN's run record
use rule superpixel_kmeans as superpixel_kmeans_at_fcn_count with:
    input:
        image="results/{dataset}/scenes/{scene}/image.tif",
        superpixels="results/{dataset}/scenes/{scene}/superpixels.tif",
        clusters_of=run_file("info", "superpixel_fcn"),
    output:
        labels=run_file("labels", "superpixel_kmeans_kfcn"),
        info=run_file("info", "superpixel_kmeans_kfcn"),
    log:
        run_file("log", "superpixel_kmeans_kfcn"),
    benchmark:
        run_file("benchmark", "superpixel_kmeans_kfcn")
    params:
        superpixel_kmeans=superpixel_kmeans_settings(),
        seed=lambda w: int(w.seed),
        remade=remakes("superpixel_kmeans_at_fcn_count"),


use rule superpixel_fcn_consensus as superpixel_fcn_consensus_at_k with:
    output:
        labels=run_file("labels", "superpixel_fcn_consensus_k{k}"),
        info=run_file("info", "superpixel_fcn_consensus_k{k}"),
    log:
        run_file("log", "superpixel_fcn_consensus_k{k}"),
    benchmark:
        run_file("benchmark", "superpixel_fcn_consensus_k{k}")
    params:
        consensus=lambda w: consensus_settings(runs=False, clusters=int(w.k)),
        seed=lambda w: int(w.seed),


rule clusters_table:
    input:
        scores=matched_scores,
        scenes=SCORED_SCENES,
    output:
        table=report(
            "results/{dataset}_clusters.csv",
            caption="../report/clusters_table.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"table": "AMI at matched numbers of clusters"},
        ),
    log:
        "logs/{dataset}/clusters_table.log",
    benchmark:
        "benchmarks/{dataset}/clusters_table.tsv"
    conda:
        "../../envs/geo.yaml"
    threads: rule_threads("clusters_table")
    resources:
        **rule_resources("clusters_table"),
    script:
        "../scripts/clusters_table.py"


rule clusters_chart:
    input:
        table="results/{dataset}_clusters.csv",
    output:
        figure=report(
            "results/{dataset}/charts/clusters.png",
            caption="../report/clusters_chart.rst",
            category="Scores",
            subcategory="{dataset}",
            labels={"figure": "AMI at matched numbers of clusters"},
        ),
    log:
        "logs/{dataset}/charts/clusters.log",
    benchmark:
        "benchmarks/{dataset}/charts/clusters.tsv"
    conda:
        "../../envs/report.yaml"
    threads: rule_threads("figures")
    resources:
        **rule_resources("figures"),
    script:
        "../scripts/clusters_chart.py"
