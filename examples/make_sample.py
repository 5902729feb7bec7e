"""Write examples/sample-reports.jsonl: a small, seeded report export for the quick start.

It holds account snapshots and about 1,500 report records: a trickle of ordinary reports, and
one burst of near-identical reports from freshly created accounts against a single target, so
that the quick start has something to look at. These are records for our own database only.

    python examples/make_sample.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 20261124
START = datetime(2026, 10, 1, tzinfo=UTC)
REASONS = ["spam", "harassment", "hate_speech", "impersonation", "scam", "nudity"]
PHRASES = [
    "keeps insulting me in the comments",
    "this is a scam account, asked me for money",
    "posting the same link everywhere",
    "pretends to be my friend",
    "threatened me in DMs",
    "",
    "spam spam spam",
    "very rude, please look at this",
]


def main() -> None:
    rng = random.Random(SEED)
    records: list[dict[str, object]] = []
    accounts = [f"u-{n}" for n in range(400)]
    for account_id in accounts[:300]:
        created = START - timedelta(days=rng.randint(30, 3000))
        records.append(
            {
                "record_type": "account",
                "account_id": account_id,
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "followers": int(rng.paretovariate(1.2) * 10),
                "following": rng.randint(0, 800),
                "posts": rng.randint(0, 5000),
                "handle": f"{rng.choice(['sun', 'moon', 'river', 'kite'])}_{account_id[2:]}",
            }
        )
    n = 0
    for _ in range(1200):  # organic trickle over 30 days
        n += 1
        reporter, target = rng.sample(accounts[:300], 2)
        records.append(
            {
                "report_id": f"s-{n}",
                "reporter_id": reporter,
                "target_id": target,
                "reason": rng.choice(REASONS),
                "text": rng.choice(PHRASES),
                "created_at": (START + timedelta(seconds=rng.randint(0, 30 * 86400))).isoformat(),
                "source": "in_app",
                "ip": f"198.51.100.{rng.randint(1, 254)}",
            }
        )
    burst_start = START + timedelta(days=20, hours=14)
    for k in range(300, 400):  # fresh accounts, one target, minutes, one template
        records.append(
            {
                "record_type": "account",
                "account_id": f"u-{k}",
                "created_at": (burst_start - timedelta(days=1, minutes=k)).isoformat(),
                "followers": 0,
                "posts": 0,
                "handle": f"user{rng.randint(10000, 99999)}",
            }
        )
        for _ in range(3):
            n += 1
            records.append(
                {
                    "report_id": f"s-{n}",
                    "reporter_id": f"u-{k}",
                    "target_id": "u-7",
                    "reason": "hate_speech",
                    "text": "this account spreads hate, ban it now" + "!" * rng.randint(0, 2),
                    "created_at": (
                        burst_start + timedelta(seconds=rng.randint(0, 900))
                    ).isoformat(),
                    "source": "in_app",
                    "referrer": "forum.example.org/t/raid",
                    "ip": f"203.0.113.{rng.randint(1, 12)}",
                }
            )
    rng.shuffle(records)
    out = Path(__file__).with_name("sample-reports.jsonl")
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
    print(f"wrote {len(records)} records to {out}")


if __name__ == "__main__":
    main()
