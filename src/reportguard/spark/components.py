"""Connected components of a graph held as a DataFrame of edges, without collecting it.

Minimum-label propagation: every node starts as its own label and takes the smallest label among
its neighbours until nothing changes. The number of rounds is the graph's diameter, which is small
for the graphs detection builds (rings of reporters, waves that share members). Each round's
labels are checkpointed locally so the query plan does not grow with the rounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportguard.errors import ReportGuardError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def components(
    edges: DataFrame, nodes: DataFrame | None = None, *, max_rounds: int = 200
) -> DataFrame:
    """(node, component) for the undirected ``edges`` (columns ``a``, ``b``) and lone ``nodes``.

    A component is named by its smallest node.
    """
    from pyspark.sql import functions as F

    both = edges.select("a", "b").unionByName(
        edges.select(F.col("b").alias("a"), F.col("a").alias("b"))
    )
    both = both.filter(F.col("a") != F.col("b")).distinct().localCheckpoint()
    start = both.select(F.col("a").alias("node"))
    if nodes is not None:
        start = start.unionByName(nodes.select(F.col("node")))
    labels = start.distinct().withColumn("component", F.col("node")).localCheckpoint()
    for _ in range(max_rounds):
        offered = (
            both.join(labels.withColumnRenamed("node", "b"), "b")
            .groupBy(F.col("a").alias("node"))
            .agg(F.min("component").alias("offer"))
        )
        updated = (
            labels.join(offered, "node", "left")
            .select(
                "node",
                F.least(F.col("component"), F.coalesce("offer", "component")).alias("component"),
                (F.col("offer") < F.col("component")).alias("changed"),
            )
            .localCheckpoint()
        )
        labels = updated.select("node", "component")
        if updated.filter(F.col("changed")).limit(1).count() == 0:
            return labels
    raise ReportGuardError(f"connected components did not settle in {max_rounds} rounds")
