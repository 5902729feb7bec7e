"""Every way a record can be wrong gets a message that names the field and says what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.helpers import account, report

from reportguard.config import Settings, TimeBounds
from reportguard.ingest.contract import AccountSnapshot, ReportEvent
from reportguard.ingest.validate import RecordError, validate_record


def errors_of(raw: dict[str, object], kind: str = "auto") -> list[str]:
    with pytest.raises(RecordError) as info:
        validate_record(raw, kind)  # type: ignore[arg-type]
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize("field", ["report_id", "reporter_id", "target_id", "reason", "created_at"])
def test_each_required_report_field_is_named_when_missing(field: str) -> None:
    raw = report(1)
    del raw[field]
    assert errors_of(raw, "report") == [f"{field}: required field is missing"]


@pytest.mark.parametrize("field", ["reporter_id", "target_id", "reason"])
def test_blank_required_text_is_an_error(field: str) -> None:
    assert errors_of(report(1, **{field: "   "})) == [f"{field}: must not be empty"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yesterday", "not a timestamp"),
        ("2026-13-01T00:00:00Z", "not a timestamp"),
        ("", "must not be empty"),
        ("1989-12-31T23:59:59Z", "implausible timestamp (before 1990-01-01)"),
        (0, "implausible timestamp (before 1990-01-01)"),
        ("2126-11-24T20:31:07Z", "in the future"),
    ],
)
def test_bad_timestamps(value: object, message: str) -> None:
    (error,) = errors_of(report(1, created_at=value))
    assert error.startswith(f"created_at: {message}")


def test_the_time_bounds_are_settings() -> None:
    # A forum from the 1990s: its 1998 accounts and reports are plausible by default.
    assert validate_record(report(1, created_at="1998-07-03T10:00:00Z")) is not None
    older = TimeBounds(earliest=datetime(1970, 1, 1, tzinfo=UTC)).context()
    assert validate_record(report(1, created_at=0), context=older) is not None
    tight = TimeBounds(skew=timedelta(0)).context()
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert validate_record(report(1, created_at=soon)) is not None  # within a day's skew
    with pytest.raises(RecordError, match="created_at: in the future"):
        validate_record(report(1, created_at=soon), context=tight)
    settings = Settings(earliest_time="1985-01-01", clock_skew_hours=2)
    bounds = settings.time_bounds()
    assert bounds.earliest == datetime(1985, 1, 1, tzinfo=UTC)
    assert bounds.skew == timedelta(hours=2)


def test_timestamps_normalise_to_utc() -> None:
    naive = validate_record(report(1, created_at="2026-11-24T20:31:07"))
    offset = validate_record(report(1, created_at="2026-11-24T21:31:07+01:00"))
    epoch = validate_record(report(1, created_at=1795552267))
    expected = datetime(2026, 11, 24, 20, 31, 7, tzinfo=UTC)
    assert isinstance(naive, ReportEvent)
    assert naive.created_at == expected
    assert offset.created_at == expected  # type: ignore[union-attr]
    assert epoch.created_at == expected  # type: ignore[union-attr]


def test_too_long_fields() -> None:
    assert errors_of(report(1, report_id="x" * 201)) == ["report_id: longer than 200 characters"]
    assert errors_of(report(1, text="x" * 20_001)) == ["text: longer than 20000 characters"]
    assert errors_of(report(1, reason="x" * 65)) == ["reason: longer than 64 characters"]


def test_bad_ip_is_rejected_without_echoing_the_value() -> None:
    (error,) = errors_of(report(1, ip="999.12.34.56"))
    assert error == "ip: not an IPv4 or IPv6 address"
    assert "999" not in error


def test_several_errors_are_all_reported() -> None:
    raw = report(1, created_at="soon", ip="nope")
    del raw["target_id"]
    assert sorted(errors_of(raw)) == [
        "created_at: not a timestamp (use ISO 8601 such as 2026-11-24T20:31:07Z, or epoch seconds)",
        "ip: not an IPv4 or IPv6 address",
        "target_id: required field is missing",
    ]


def test_lenient_where_meaning_is_clear() -> None:
    record = validate_record(
        report(1, report_id=1042, reporter_id=77, content_id="", reason=" Hate  Speech ", text="")
    )
    assert isinstance(record, ReportEvent)
    assert record.report_id == "1042"
    assert record.reporter_id == "77"
    assert record.content_id is None
    assert record.text is None
    assert record.reason == "hate_speech"


def test_ipv4_mapped_ipv6_normalises() -> None:
    record = validate_record(report(1, ip="::ffff:203.0.113.9"))
    assert record.ip == "203.0.113.9"  # type: ignore[union-attr]


def test_record_type_detection() -> None:
    assert isinstance(validate_record(account("u-1")), AccountSnapshot)
    assert isinstance(validate_record(report(1)), ReportEvent)
    assert isinstance(validate_record({**account("u-1"), "type": "account"}), AccountSnapshot)
    assert errors_of({"reason": "spam"}) == [
        "report_id: required field is missing (or account_id for an account)"
    ]
    assert errors_of({**report(1), "record_type": "comment"}) == [
        "record_type: must be 'report', 'account' or 'content'"
    ]


def test_kind_forces_the_record_type() -> None:
    assert errors_of(account("u-1"), "report")[0] == "report_id: required field is missing"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("followers", -1, "followers: must be at least 0"),
        ("posts", "many", "posts: not a whole number"),
        ("following", 1.5, "following: not a whole number"),
        ("verified", "maybe", "verified: not true or false"),
        ("created_at", "long ago", "created_at: not a timestamp"),
        ("account_id", " ", "account_id: must not be empty"),
    ],
)
def test_account_errors(field: str, value: object, message: str) -> None:
    (error,) = errors_of({**account("u-1"), field: value}, "account")
    assert error.startswith(message)


def test_account_csv_cells() -> None:
    record = validate_record(
        account("u-1", followers="", posts="12", verified="true", snapshot_at="")
    )
    assert isinstance(record, AccountSnapshot)
    assert (record.followers, record.posts, record.verified, record.snapshot_at) == (
        None,
        12,
        True,
        None,
    )


def test_account_language_is_a_language_tag() -> None:
    snapshot = validate_record(account("u-1", language="pt-BR"))
    assert isinstance(snapshot, AccountSnapshot)
    assert snapshot.language == "pt-br"
    with pytest.raises(RecordError) as caught:
        validate_record(account("u-1", language="english!!"))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("language", "not a language tag (like en, de or pt-BR)")
    ]


@pytest.mark.parametrize("value", [8.5, 1e21, float("nan")])
def test_a_float_is_no_id(value: float) -> None:
    assert errors_of(report(1, target_id=value)) == [
        "target_id: a number with a fraction or an exponent is not an id; write it as text"
    ]


def test_whole_numbers_are_ids_even_as_floats() -> None:
    # An integer column with gaps (pandas, Parquet) arrives as 3.0: the id is 3, not "3.0".
    record = validate_record(report(1, target_id=3.0, reporter_id=12))
    assert (record.target_id, record.reporter_id) == ("3", "12")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value"),
    [("reason", 5), ("text", 8.5), ("source", 1e30), ("referrer", 3), ("surface", 1),
     ("outcome", 2), ("ip", 3232235777)],
)  # fmt: skip
def test_a_number_where_text_is_expected_is_refused(field: str, value: float) -> None:
    # The contract says text: 8.5 used to be stored as "8.5", a reason code as a reason.
    assert errors_of(report(1, **{field: value})) == [
        f"{field}: a number where text is expected; write it as text"
    ]


def test_a_number_where_a_handle_is_expected_is_refused_and_a_device_may_be_an_id() -> None:
    with pytest.raises(RecordError) as caught:
        validate_record(account("u-1", handle=1.5))
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("handle", "a number where text is expected; write it as text")
    ]
    assert validate_record(report(1, device=123456)).device == "123456"  # type: ignore[union-attr]
    assert errors_of(report(1, device=1.5)) == [
        "device: a number with a fraction or an exponent is not an id; write it as text"
    ]
