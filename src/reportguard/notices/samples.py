"""A sample context per notice kind: what `reportguard notices preview` renders, and what an
operator writing their own templates can rely on being there."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "report_received": {
        "report_id": "r-1029",
        "reason_label": "harassment",
        "received_at": "2026-11-24 20:31 UTC",
    },
    "report_outcome": {
        "outcome": "no_action",  # or "action", "dispute"
        "report_id": "r-1029",
        "reason_label": "harassment",
        "clause": "",
        "appeal_until": "2027-05-26",
        "safety_tools": True,
    },
    "action_taken": {
        "action_id": "act-17",
        "facts": "12 report(s) about harassment from 9 independent reporter(s)",
        "until": "2026-11-27 20:31 UTC",
        "statement": {
            "decision": "suspend",
            "restriction": "temporary suspension of the account",
            "feature": None,
            "duration_days": 3,
            "start": "2026-11-24",
            "end": "2026-11-27",
            "territorial_scope": "all territories where the service is offered",
            "source": "notices from users (reports)",
            "automated_detection": True,
            "automated_decision": False,
            "ground": "incompatible with the terms of service",
            "clause": "3.1 Harassment and bullying",
            "strike": {"points": 1, "expires": "2027-02-22", "active_points_after": 4},
            "redress": {
                "internal_complaint": "appeal through the platform until 2027-05-26",
                "out_of_court_dispute_settlement": "a certified body under DSA Article 21",
                "judicial_redress": "the courts of the member state concerned",
            },
        },
    },
    "campaign_protection": {"reports": 57, "reporters": 57, "since": "2026-11-24"},
    "action_reversed": {
        "action_id": "act-17",
        "kind_label": "the suspension",
        "reversed_at": "2026-11-25 09:00 UTC",
        "why": "it rested on reports from a coordinated campaign",
        "strikes_removed": True,
    },
    "misuse_measure": {
        "measure": "suspension",  # or "warning"
        "unfounded": 7,
        "decided": 9,
        "window_days": 90,
        "ends_at": "2026-12-24 09:00 UTC",
        "appeal_until": "2027-05-26",
    },
}
