"""Campaign fusion on Spark: the same waves, signals, members and campaigns as in-process.

:class:`SparkCampaignDetector` takes a :class:`~reportguard.detect.campaigns.CampaignDetector` (its
detectors and fusion parameters: one definition for both engines) and runs each step as Spark
DataFrame operations over the log. Only results come back to the driver: platform-wide scalars
(rates, medians), a sample of texts for the near-duplicate baseline, and the campaigns found, whose
evidence sentences are written by the very detector objects the in-process engine uses.
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import reduce
from types import ModuleType
from typing import TYPE_CHECKING, Any

import polars as pl

from reportguard.detect.boundaries import raid_cores, with_crowd
from reportguard.detect.campaigns import (
    BOUND_COLUMNS,
    CampaignDetector,
    FoundCampaign,
    campaign_key,
    campaign_score,
    narrowest,
    spread_waves,
)
from reportguard.detect.signals import (
    BurstDetector,
    Detector,
)
from reportguard.spark import burst as spark_burst
from reportguard.spark import udf
from reportguard.spark.components import components
from reportguard.spark.fitted import SparkFitted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from reportguard.spark.log import SparkLog


@dataclass
class SparkDetection:
    """Campaigns (on the driver) and the per-wave and per-report tables (on the cluster)."""

    campaigns: list[FoundCampaign]
    waves: DataFrame
    report_scores: DataFrame
    campaign_reports: DataFrame
    examined: int
    flagged: int
    seconds: float = 0.0


def implementation(signal: Detector) -> ModuleType:
    """The Spark module a detector names as its twin; a detector without one cannot run here."""
    if signal.spark_twin is None:
        raise NotImplementedError(
            f"{type(signal).__name__} has no Spark implementation (set its spark_twin to a "
            "module of reportguard.spark with fit, waves and traits)"
        )
    module: ModuleType = importlib.import_module(signal.spark_twin)
    return module


class SparkCampaignDetector:
    """Runs a :class:`CampaignDetector`'s detectors and fusion on Spark DataFrames."""

    def __init__(self, engine: CampaignDetector | None = None) -> None:
        self.engine = engine

    def run(self, log: SparkLog) -> SparkDetection:
        """Batch detection over the whole log."""
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        started = time.perf_counter()
        engine = self.engine or CampaignDetector.default()
        # The log is not cached: each step reads only the Parquet columns it needs, and a cached
        # copy of every column (texts included) is what ran a 4 GB heap out of memory at 10M.
        burst = spark_burst.fit((engine.burst or BurstDetector()).clone(), log)
        fitted = [implementation(s).fit(s.clone(), log) for s in engine.signals or []]
        signals = [f.detector for f in fitted]
        active = log.active_reporters()

        waves = spark_burst.find_waves(burst, log).localCheckpoint()
        wave_reports = spark_burst.wave_reports(log, waves).persist(StorageLevel.MEMORY_AND_DISK)
        table = waves
        for signal in fitted:
            part = implementation(signal.detector).waves(signal, wave_reports, log)
            keep = [c for c in part.columns if c not in table.columns or c == "wave"]
            table = table.join(part.select(keep), "wave", "left")
        present = [c for s in signals for c in s.surprise_columns]
        table = table.fillna(0.0, subset=present)
        evidence = sum((udf.capped(F.col(c)) for c in present), F.lit(0.0))
        # As CampaignDetector._weigh: evidence a wave's context explains does not flag it.
        explained = sum(
            (
                F.when(
                    F.coalesce(F.col(context), F.lit(False)), udf.capped(F.col(column))
                ).otherwise(F.lit(0.0))
                for s in signals
                for column, context in s.explained_by
                if context in table.columns and column in present
            ),
            F.lit(0.0),
        )
        table = (
            table.withColumn("evidence", evidence)
            .withColumn("explained", explained)
            .withColumn("flagged", F.col("evidence") - F.col("explained") >= engine.min_evidence)
            .withColumn(
                "suspect",
                (F.col("evidence") - F.col("explained") >= engine.suspect_evidence)
                & ~F.col("flagged"),
            )
            .localCheckpoint()
        )
        # As ``Detection.examined``/``flagged``: a wave counts once with its peak.
        wave = F.concat_ws("@", "target_id", F.col("wave_start").cast("string"))
        counts = table.agg(
            F.countDistinct(wave).alias("examined"),
            F.countDistinct(F.when(F.col("flagged"), wave)).alias("flagged"),
        ).first()
        members = self._members(
            engine, table, wave_reports, fitted, log, bucket_seconds=burst.bucket_minutes * 60
        ).localCheckpoint()
        suspects = (
            self._members(
                engine,
                table,
                wave_reports,
                fitted,
                log,
                bucket_seconds=burst.bucket_minutes * 60,
                which="suspect",
            )
            .transform(_narrowest)
            .select(
                "report_id",
                F.concat_ws("@", "target_id", F.col("start").cast("string")).alias("suspect"),
            )
        )
        campaigns = self._fuse(engine, table, members, [burst, *signals])
        rings = self._rings(fitted, log)
        campaigns += CampaignDetector.lockstep_rings(rings, campaigns)
        flagged_rows = {r["wave"]: r.asDict() for r in table.filter(F.col("flagged")).collect()}
        # The ring-finding signals as the ring step read them (their groups on the driver), so a
        # campaign of a ring alone is explained in the ring's own words, as in-process.
        with_rings = {type(r): r for r in rings}
        campaigns = engine.bound(
            campaigns,
            self._bound_reports(members, rings),
            lambda spans: self._crowds(log, spans),
            flagged_rows,
            [burst, *(with_rings.get(type(s), s) for s in signals)],
            active_reporters=active,
            activity=lambda groups: self._activity(log, groups),
            elsewhere=lambda groups, least: self._elsewhere(log, groups, least),
            spreads=self._spreads(table),
        )
        campaign_reports = self._campaign_reports(log, campaigns)
        scores = self._report_scores(table, wave_reports, campaign_reports).join(
            suspects.join(campaign_reports.select("report_id"), "report_id", "left_anti"),
            "report_id",
            "left",
        )
        wave_reports.unpersist()
        return SparkDetection(
            campaigns=campaigns,
            waves=table,
            report_scores=scores,
            campaign_reports=campaign_reports,
            examined=int(counts["examined"] or 0),  # type: ignore[index]
            flagged=int(counts["flagged"] or 0),  # type: ignore[index]
            seconds=time.perf_counter() - started,
        )

    @staticmethod
    def _members(
        engine: CampaignDetector,
        table: DataFrame,
        wave_reports: DataFrame,
        signals: list[SparkFitted],
        log: SparkLog,
        *,
        bucket_seconds: int,
        which: str = "flagged",
    ) -> DataFrame:
        """As ``CampaignDetector._members``: flagged waves' reports that carry a trait, and the
        reports inside a wave's raid core when far more reporters there lack one than the
        target draws by itself."""
        import pandas as pd
        from pyspark.sql import functions as F

        flagged = table.filter(F.col(which))
        inside = wave_reports.join(flagged.select("wave"), "wave").localCheckpoint()
        marks = [implementation(s.detector).traits(s, inside, flagged, log) for s in signals]
        marked = marks[0]
        for mark in marks[1:]:
            marked = marked.unionByName(mark)
        inside = inside.join(
            marked.distinct().withColumn("trait", F.lit(True)), ["wave", "report_id"], "left"
        ).fillna(False, subset=["trait"])
        share = engine.target_core_share

        def core(part: pd.DataFrame) -> pd.DataFrame:
            cores = raid_cores(pl.from_pandas(part), share, pad=bucket_seconds)
            return cores.to_pandas()

        cores = (
            inside.select("wave", "reporter_id", "t", "trait")
            .groupBy("wave")
            .applyInPandas(core, "wave string, core_start long, core_end long")
        )
        core_buckets = F.greatest(
            (F.col("core_end") - F.col("core_start")) / bucket_seconds, F.lit(1)
        )
        in_core = (
            inside.filter(~F.col("trait"))
            .join(cores, "wave")
            .filter((F.col("t") >= F.col("core_start")) & (F.col("t") <= F.col("core_end")))
        )
        plain = (
            in_core.groupBy("wave")
            .agg(F.countDistinct("reporter_id").alias("plain"))
            .join(cores, "wave")
            .join(flagged.select("wave", "expected", "window"), "wave")
            .withColumn("expected", F.col("expected") / F.col("window") * core_buckets)
        )
        # As in-process: a wave a context explains draws its own crowd of plain reporters.
        contexts = [
            F.coalesce(F.col(c), F.lit(False))
            for s in signals
            if (c := s.detector.context_column) and c in flagged.columns
        ]
        explained = flagged.filter(reduce(lambda a, b: a | b, contexts, F.lit(False))).select(
            "wave"
        )
        crowded = (
            plain.filter(udf.tail(F.col("plain"), F.col("expected") + 0.5) < engine.bystander_p)
            .select("wave")
            .join(explained, "wave", "left_anti")
        )
        extra = in_core.join(crowded, "wave").select(
            "wave", "report_id", F.lit(True).alias("extra")
        )
        return (
            inside.join(extra, ["wave", "report_id"], "left")
            .filter(F.col("trait") | F.col("extra").isNotNull())
            .select("wave", "report_id", "reporter_id", "target_id", "t", "start", "end")
        )

    @staticmethod
    def _fuse(
        engine: CampaignDetector, table: DataFrame, members: DataFrame, detectors: list[Any]
    ) -> list[FoundCampaign]:
        """As ``CampaignDetector._fuse``: waves sharing members are one campaign."""
        from pyspark.sql import functions as F

        per_wave = members.select("wave", "reporter_id").distinct()
        sizes = per_wave.groupBy("wave").agg(F.count("*").alias("n"))
        other = per_wave.select(F.col("wave").alias("wave_other"), "reporter_id")
        links = (
            per_wave.join(other, "reporter_id")
            .filter(F.col("wave") < F.col("wave_other"))
            .groupBy("wave", "wave_other")
            .agg(F.count("*").alias("shared"))
            .join(sizes, "wave")
            .join(
                sizes.select(F.col("wave").alias("wave_other"), F.col("n").alias("n_other")),
                "wave_other",
            )
            .filter(F.col("shared") / F.least("n", "n_other") >= engine.merge_overlap)
            .select(F.col("wave").alias("a"), F.col("wave_other").alias("b"))
        )
        groups = components(links, sizes.select(F.col("wave").alias("node"))).withColumnRenamed(
            "node", "wave"
        )
        found = (
            members.join(groups, "wave")
            .groupBy("component")
            .agg(
                F.array_sort(F.collect_set("reporter_id")).alias("members"),
                F.array_sort(F.collect_set("target_id")).alias("targets"),
                F.array_sort(F.collect_set("report_id")).alias("report_ids"),
                F.min("t").alias("first"),
                F.max("t").alias("last"),
            )
            .collect()
        )
        rows: dict[str, list[dict[str, Any]]] = {}
        for row in table.join(groups, "wave").orderBy("start", "target_id").collect():
            rows.setdefault(row["component"], []).append(row.asDict())
        campaigns = []
        for row in found:
            waves = rows[row["component"]]
            targets = list(row["targets"])
            first = int(row["first"])
            key = campaign_key(targets, first)
            total = max(w["evidence"] for w in waves)
            campaigns.append(
                FoundCampaign(
                    key=key,
                    members=list(row["members"]),
                    targets=targets,
                    report_ids=list(row["report_ids"]),
                    first_report_at=datetime.fromtimestamp(first, UTC),
                    last_report_at=datetime.fromtimestamp(int(row["last"]), UTC),
                    score=campaign_score(total),
                    evidence=engine.evidence_sentences(waves, detectors),
                )
            )
        campaigns.sort(key=lambda c: (-c.score, c.first_report_at))
        return campaigns

    @staticmethod
    def _rings(signals: list[SparkFitted], log: SparkLog) -> list[Any]:
        """The signals that find rings on their own, with their groups' reports, as the ring
        step reads them (the twin's ``group_reports``)."""
        out = []
        for found in signals:
            twin = implementation(found.detector)
            if not hasattr(twin, "group_reports"):
                continue
            reports = twin.group_reports(found, log).toPandas()
            ring = found.detector.clone()
            ring.groups_ = []
            if len(reports):
                frame = pl.from_pandas(reports).sort("t", "report_id")
                ring.groups_ = [
                    g.drop("group") for _, g in frame.group_by(["group"], maintain_order=True)
                ]
            out.append(ring)
        return out

    @staticmethod
    def _bound_reports(members: DataFrame, rings: list[Any]) -> pl.DataFrame:
        """Every report the campaigns may hold, on the driver, as the boundary step reads them."""
        waves = narrowest(
            pl.from_pandas(members.select(*BOUND_COLUMNS, "start", "end").toPandas())
        ).select(*BOUND_COLUMNS)
        ringed = [
            r.select(*list(BOUND_COLUMNS)[:4]).with_columns(
                pl.lit(None, dtype=pl.Utf8).alias("wave")
            )
            for ring in rings
            for r in ring.rings()
        ]
        known: pl.DataFrame = pl.concat(
            [waves.cast(BOUND_COLUMNS), *(r.cast(BOUND_COLUMNS) for r in ringed)]
        )
        return known.unique("report_id", keep="first", maintain_order=True)

    @staticmethod
    def _spreads(table: DataFrame) -> pl.DataFrame:
        """As the in-process ``spread_waves``: unflagged waves a post going round explains."""
        from pyspark.sql import functions as F

        if "spread" not in table.columns:
            return spread_waves(pl.DataFrame())
        rows = (
            table.filter(F.coalesce(F.col("spread"), F.lit(False)) & ~F.col("flagged"))
            .select("target_id", "start", "end")
            .collect()
        )
        return pl.DataFrame(
            [(r["target_id"], int(r["start"]), int(r["end"])) for r in rows],
            schema={"target_id": pl.Utf8, "start": pl.Int64, "end": pl.Int64},
            orient="row",
        )

    @staticmethod
    def _crowds(log: SparkLog, spans: pl.DataFrame) -> pl.DataFrame:
        """As the in-process crowds: each span's distinct reporters, counted on the cluster."""
        from pyspark.sql import functions as F

        if spans.is_empty():
            return with_crowd(spans, spans.select("group", "target_id", pl.lit(0).alias("crowd")))
        wanted = log.reports.sparkSession.createDataFrame(
            spans.select("group", "target_id", "lo", "hi").to_pandas()
        )
        counted = (
            log.reports.select("reporter_id", "target_id", "t")
            .join(F.broadcast(wanted), "target_id")
            .filter((F.col("t") >= F.col("lo")) & (F.col("t") <= F.col("hi")))
            .groupBy("group", "target_id")
            .agg(F.countDistinct("reporter_id").alias("crowd"))
        )
        return with_crowd(spans, pl.from_pandas(counted.toPandas()))

    @staticmethod
    def _campaign_reports(log: SparkLog, campaigns: list[FoundCampaign]) -> DataFrame:
        """(campaign_key, campaign_score, report_id) for every report of every campaign."""
        from pyspark.sql import functions as F

        rows = [(c.key, float(c.score), c.report_ids) for c in campaigns]
        return (
            log.reports.sparkSession.createDataFrame(
                rows, "campaign_key string, campaign_score double, report_ids array<string>"
            )
            .select("campaign_key", "campaign_score", F.explode("report_ids").alias("report_id"))
            .localCheckpoint()
        )

    @staticmethod
    def _elsewhere(log: SparkLog, groups: dict[int, list[str]], least: int) -> pl.DataFrame:
        """As ``CampaignDetector._elsewhere``: members' reports on targets ``least`` of them
        reported, collected to the driver."""
        from pyspark.sql import functions as F

        rows = [(g, m) for g, members in groups.items() for m in members]
        empty = pl.DataFrame(
            schema={"group": pl.Int64, "report_id": pl.Utf8, "reporter_id": pl.Utf8,
                    "target_id": pl.Utf8, "t": pl.Int64}
        )  # fmt: skip
        if not rows:
            return empty
        tags = log.reports.sparkSession.createDataFrame(rows, "group long, reporter_id string")
        mine = log.reports.select("report_id", "reporter_id", "target_id", "t").join(
            F.broadcast(tags), "reporter_id"
        )
        shared = (
            mine.groupBy("group", "target_id")
            .agg(F.countDistinct("reporter_id").alias("n"))
            .filter(F.col("n") >= least)
            .select("group", "target_id")
        )
        found = mine.join(shared, ["group", "target_id"]).select(
            "group", "report_id", "reporter_id", "target_id", "t"
        )
        collected = found.toPandas()
        return pl.from_pandas(collected).cast(empty.schema) if len(collected) else empty

    @staticmethod
    def _activity(log: SparkLog, groups: dict[int, list[str]]) -> dict[int, float]:
        """Each group's share of the log's distinct (reporter, target) pairs, in one job."""
        from pyspark.sql import functions as F

        rows = [(g, m) for g, members in groups.items() for m in members]
        if not rows:
            return {}
        tags = log.reports.sparkSession.createDataFrame(rows, "group long, reporter_id string")
        pairs = log.reports.select("reporter_id", "target_id").distinct()
        counted = (
            pairs.join(F.broadcast(tags), "reporter_id")
            .groupBy("group")
            .agg(F.count("*").alias("pairs"))
            .collect()
        )
        total = max(log.distinct_pairs(), 1)
        return {int(r["group"]): int(r["pairs"]) / total for r in counted}

    @staticmethod
    def _report_scores(
        table: DataFrame, wave_reports: DataFrame, campaign_reports: DataFrame
    ) -> DataFrame:
        """Per report in a wave: its wave's evidence and, for members, the campaign's score."""
        return (
            _narrowest(
                wave_reports.select(
                    "report_id", "wave", "target_id", "reporter_id", "t", "start", "end"
                )
            )
            .drop("start", "end")
            .join(table.select("wave", "evidence", "flagged"), "wave")
            .join(campaign_reports, "report_id", "full")  # ring reports may lie outside waves
        )


def _narrowest(reports: DataFrame) -> DataFrame:
    """As the in-process ``narrowest``: one row per report, credited to the narrowest wave
    holding it (then the earliest)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy("report_id").orderBy(F.col("end") - F.col("start"), "start")
    return (
        reports.withColumn("_rank", F.row_number().over(order))
        .filter(F.col("_rank") == 1)
        .drop("_rank")
    )
