"""The spark-submit entry point: detection over a Parquet report log on a cluster.

    spark-submit --master spark://host:7077 "$(python -m reportguard.spark.submit --path)" \\
        --reports s3a://bucket/reports/ --accounts s3a://bucket/accounts/ \\
        --output s3a://bucket/reportguard/

Master, executor memory and every other Spark setting come from spark-submit as usual.
``--database URL`` also stores the campaigns in a ReportGuard database for the moderator queue.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reportguard.errors import ReportGuardError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reportguard-spark", description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="store_true", help="Print this file's path and exit.")
    parser.add_argument("--reports", help="The report log: Parquet file or folder, any URI.")
    parser.add_argument("--accounts", help="Account snapshots (Parquet), optional.")
    parser.add_argument("--output", help="Where to write the result tables (Parquet).")
    parser.add_argument("--database", help="Also store the campaigns in this database URL.")
    args = parser.parse_args(argv)
    if args.path:
        print(Path(__file__).resolve())
        return 0
    if not args.reports or not (args.output or args.database):
        parser.error("--reports and at least one of --output or --database are required")
    from reportguard.spark.run import LogLocation, detect_on_spark

    try:
        detection = detect_on_spark(
            LogLocation.resolve(args.reports, args.accounts),
            output=args.output,
            step=lambda message: print(message, file=sys.stderr),
        )
        if args.database:
            from reportguard.config import Settings
            from reportguard.detect.persist import store_campaigns
            from reportguard.store.database import create_engine

            settings = Settings(database_url=args.database)
            engine = create_engine(settings.resolved_database_url())
            store_campaigns(engine, detection.campaigns, policy=settings.policy())
            engine.dispose()
    except ReportGuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        f"{len(detection.campaigns)} campaign{'' if len(detection.campaigns) == 1 else 's'} "
        f"from {detection.flagged} of {detection.examined} waves ({detection.seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
