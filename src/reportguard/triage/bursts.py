"""Bursts: voices that reached one account together, for a reason the reports do not show.

Independent people come across an account at their own times. Voices that reach it within the
same span and spread over its posts (or name none) were called there together, or came for
something outside that a moderator should read about rather than count; triage counts such a
burst as one witness (``priority``). What explains a burst keeps its voices independent: the
post that most of them name (a post going round), a crowd that keeps away from the profile far
more than the platform's own reports do (people report a post where they saw it; a called crowd
goes to the account), and a platform whose reports mostly name no post, where a wave on one post
cannot be told from a called crowd at all.
"""

from __future__ import annotations

import polars as pl
from scipy.stats import binom

POST_SHARE = 0.5  # a burst with at least this share on one post is drawn by that post (spread)
NAMED_SHARE = 0.5  # below this share of reports naming a post, posts cannot explain a burst
SPREAD_P = 0.001  # bursts this unlikely to avoid the profile so much, at the platform's mix, spread


def assign_bursts(frame: pl.DataFrame, *, minutes: int) -> pl.DataFrame:
    """Each voice (``case``, ``voice``) with the burst it arrived in, null when it came alone.

    ``frame`` holds every report with its ``voice``; one row per voice comes back, in order.

    A voice arrives with its first report; a case's voices fall in spans of ``minutes``. Within a
    span, the voices naming the post that holds at least ``POST_SHARE`` of the span's voices, not
    filed on the profile, were drawn by that post: they stay independent. The others, if two or
    more, are the span's burst. On a platform whose reports mostly name no post, a post going
    round cannot be told from a called crowd: nobody is put in a burst.

    >>> reports = pl.DataFrame({
    ...     "case": ["a"] * 5, "voice": [0, 1, 2, 3, 4], "reporter_id": list("pqrst"),
    ...     "t": [0, 600, 1200, 1800, 90_000],
    ...     "content_id": ["p1", "p2", "p3", "p3", "p1"], "surface": ["profile"] * 5,
    ... })
    >>> assign_bursts(reports, minutes=60)["burst"].to_list()
    ['a@0', 'a@0', 'a@0', 'a@0', None]
    >>> assign_bursts(reports.with_columns(content_id=pl.lit("p1"), surface=pl.lit("feed")),
    ...               minutes=60)["burst"].to_list()
    [None, None, None, None, None]
    >>> unnamed = reports.with_columns(content_id=pl.lit(None, pl.Utf8))
    >>> assign_bursts(unnamed, minutes=60)["burst"].to_list()
    [None, None, None, None, None]
    """
    if (
        minutes <= 0
        or frame.is_empty()
        or "t" not in frame.columns
        or "content_id" not in frame.columns
        or frame["content_id"].is_not_null().mean() < NAMED_SHARE  # type: ignore[operator]
    ):
        return (
            frame.select("case", "voice")
            .unique()
            .sort("case", "voice")
            .with_columns(burst=pl.lit(None, dtype=pl.Utf8))
        )
    surface = pl.col("surface") if "surface" in frame.columns else pl.lit(None, dtype=pl.Utf8)
    voices = (
        frame.select("case", "voice", "t", "content_id", surface.alias("surface"))
        .sort("t")
        .unique(["case", "voice"], keep="first")
        .with_columns(span=pl.col("t") // (minutes * 60))
    )
    in_span = pl.len().over("case", "span")
    on_post = pl.len().over("case", "span", "content_id")
    voices = voices.with_columns(n_span=in_span, n_post=on_post)
    voices = voices.with_columns(
        n_top=pl.when(pl.col("content_id").is_not_null()).then(pl.col("n_post")).otherwise(0)
    ).with_columns(n_top=pl.col("n_top").max().over("case", "span"))
    drawn = (
        pl.col("content_id").is_not_null()
        & (pl.col("n_post") == pl.col("n_top"))
        & (pl.col("n_top") >= POST_SHARE * pl.col("n_span"))
        & (pl.col("surface").fill_null("") != "profile")
    )
    label = pl.concat_str([pl.col("case"), pl.col("span").cast(pl.Utf8)], separator="@")
    voices = voices.with_columns(
        burst=pl.when(~drawn & (pl.col("n_span") >= 2)).then(label),
        on_profile=pl.col("surface") == "profile",
    )
    # A case whose burst voices come far less often through the profile than the platform's own
    # reports do arrived where content is shared, like a post going round whose post the
    # reports do not single out: those voices stay independent.
    known = voices.filter(pl.col("surface").is_not_null())
    if len(known):
        share = float(known["on_profile"].mean())  # type: ignore[arg-type]
        tally = (
            known.filter(pl.col("burst").is_not_null())
            .group_by("case")
            .agg(n=pl.len(), k=pl.col("on_profile").sum())
        )
        tail = binom.cdf(tally["k"].to_numpy(), tally["n"].to_numpy(), share)
        spread = tally.filter(pl.Series(tail < SPREAD_P))["case"]
        voices = voices.with_columns(
            burst=pl.when(pl.col("case").is_in(spread.implode())).then(None).otherwise("burst")
        )
    return voices.select("case", "voice", "burst").sort("case", "voice")
