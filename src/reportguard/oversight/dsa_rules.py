"""The DSA Transparency Database's rules for a submitted statement of reasons.

The same rules as the database's public ``StatementStoreRequest`` (repository
digital-services-act/transparency-database, ``app/Http/Requests/StatementStoreRequest.php``),
written out here so that ReportGuard checks every statement before writing or sending it, and so
the tests' stand-in for the database refuses exactly what the database would. A field outside
these rules is refused too: ReportGuard never sends what the database does not define.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from reportguard.policy.dsa import (
    ACCOUNT_TYPES,
    AUTOMATED_DECISIONS,
    AUTOMATED_DETECTIONS,
    CONTENT_TYPES,
    DECISION_ACCOUNTS,
    DECISION_GROUNDS,
    DECISION_MONETARIES,
    DECISION_PROVISIONS,
    DECISION_VISIBILITIES,
    EUROPEAN_COUNTRY_CODES,
    INCOMPATIBLE_CONTENT_ILLEGALS,
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
)

PUID = re.compile(r"^[a-zA-Z0-9\-_]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
FIELDS = frozenset(
    {
        "content_id", "content_id_ean", *DECISIONS, "decision_visibility_other",
        "decision_monetary_other", "account_type", "category_specification",
        "category_specification_other", "decision_ground", "decision_ground_reference_url",
        "illegal_content_legal_ground", "illegal_content_explanation",
        "incompatible_content_ground", "incompatible_content_explanation",
        "incompatible_content_illegal", "content_type", "content_type_other", "category",
        "category_addition", "territorial_scope", "content_language", "content_date",
        "application_date", "end_date_account_restriction", "end_date_monetary_restriction",
        "end_date_service_restriction", "end_date_visibility_restriction", "decision_facts",
        "source_type", "source_identity", "automated_detection", "automated_decision", "puid",
    }
)  # fmt: skip

Problems = list[tuple[str, str]]


def validate_statement(statement: Mapping[str, Any]) -> Problems:
    """``(field, message)`` for every rule ``statement`` breaks; empty when it would be accepted."""
    problems: Problems = [(k, "not a field of a statement") for k in statement if k not in FIELDS]
    for check in CHECKS:
        problems += check(statement)
    return problems


def _given(s: Mapping[str, Any], name: str) -> bool:
    value = s.get(name)
    return value is not None and value not in ("", [])


def _one_of(
    name: str, allowed: tuple[str, ...], *, required: bool = False
) -> Callable[..., Problems]:
    def check(s: Mapping[str, Any]) -> Problems:
        if not _given(s, name):
            return [(name, "required")] if required else []
        if s[name] not in allowed:
            return [(name, f"{s[name]!r} is not one of {', '.join(allowed)}")]
        return []

    return check


def _list_of(
    name: str, allowed: tuple[str, ...], *, required: bool = False
) -> Callable[..., Problems]:
    def check(s: Mapping[str, Any]) -> Problems:
        if not _given(s, name):
            return [(name, "required")] if required else []
        value = s[name]
        if not isinstance(value, list):
            return [(name, "must be a list")]
        bad = [v for v in value if v not in allowed]
        return [(name, f"{bad[0]!r} is not one of {', '.join(allowed)}")] if bad else []

    return check


def _text(name: str, most: int, *, required: bool = False) -> Callable[..., Problems]:
    def check(s: Mapping[str, Any]) -> Problems:
        if not _given(s, name):
            return [(name, "required")] if required else []
        if not isinstance(s[name], str):
            return [(name, "must be text")]
        return [(name, f"longer than {most} characters")] if len(s[name]) > most else []

    return check


def _date(
    name: str, earliest: str | None, latest: str, *, required: bool = False
) -> Callable[..., Problems]:
    def check(s: Mapping[str, Any]) -> Problems:
        if not _given(s, name):
            return [(name, "required")] if required else []
        value = s[name]
        if not isinstance(value, str) or not DATE.match(value):
            return [(name, "does not match the format YYYY-MM-DD")]
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return [(name, "does not match the format YYYY-MM-DD")]
        if earliest is not None and day < date.fromisoformat(earliest):
            return [(name, f"must be on or after {earliest}")]
        if day > date.fromisoformat(latest):
            return [(name, f"must be on or before {latest}")]
        return []

    return check


def _some_decision(s: Mapping[str, Any]) -> Problems:
    if any(_given(s, name) for name in DECISIONS):
        return []
    return [("decision_visibility", "required when none of decision_monetary, decision_provision, "
             "decision_account is given")]  # fmt: skip


def _when(
    condition: Callable[[Mapping[str, Any]], bool], name: str, most: int
) -> Callable[..., Problems]:
    """Required (and at most ``most`` long) when ``condition`` holds, left out otherwise."""

    def check(s: Mapping[str, Any]) -> Problems:
        if condition(s):
            return _text(name, most, required=True)(s)
        return [(name, "must be left out here")] if _given(s, name) else []

    return check


def _has(name: str, value: str) -> Callable[[Mapping[str, Any]], bool]:
    def test(s: Mapping[str, Any]) -> bool:
        given = s.get(name)
        return value in given if isinstance(given, list) else given == value

    return test


def _puid(s: Mapping[str, Any]) -> Problems:
    problems = _text("puid", 500, required=True)(s)
    if not problems and not PUID.match(s["puid"]):
        return [("puid", "the puid format is invalid (letters, digits, - and _ only)")]
    return problems


def _url(s: Mapping[str, Any]) -> Problems:
    name = "decision_ground_reference_url"
    problems = _text(name, 500)(s)
    if not problems and _given(s, name) and not re.match(r"^https?://\S+$", s[name]):
        return [(name, "must be a URL")]
    return problems


INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
CHECKS: tuple[Callable[[Mapping[str, Any]], Problems], ...] = (
    _some_decision,
    _list_of("decision_visibility", DECISION_VISIBILITIES),
    _when(
        _has("decision_visibility", "DECISION_VISIBILITY_OTHER"), "decision_visibility_other", 500
    ),
    _one_of("decision_monetary", DECISION_MONETARIES),
    _when(_has("decision_monetary", "DECISION_MONETARY_OTHER"), "decision_monetary_other", 500),
    _one_of("decision_provision", DECISION_PROVISIONS),
    _one_of("decision_account", DECISION_ACCOUNTS),
    _one_of("account_type", ACCOUNT_TYPES),
    _text("category_specification_other", 500),
    _one_of("decision_ground", DECISION_GROUNDS, required=True),
    _url,
    _when(_has("decision_ground", ILLEGAL), "illegal_content_legal_ground", 500),
    _when(_has("decision_ground", ILLEGAL), "illegal_content_explanation", 2000),
    _when(_has("decision_ground", INCOMPATIBLE), "incompatible_content_ground", 500),
    _when(_has("decision_ground", INCOMPATIBLE), "incompatible_content_explanation", 2000),
    _one_of("incompatible_content_illegal", INCOMPATIBLE_CONTENT_ILLEGALS),
    _list_of("content_type", CONTENT_TYPES, required=True),
    _when(_has("content_type", "CONTENT_TYPE_OTHER"), "content_type_other", 500),
    _one_of("category", STATEMENT_CATEGORIES, required=True),
    _list_of("category_addition", STATEMENT_CATEGORIES),
    _list_of("territorial_scope", EUROPEAN_COUNTRY_CODES),
    _date("content_date", "2000-01-01", "2038-01-01", required=True),
    _date("application_date", "2020-01-01", "2038-01-01", required=True),
    _date("end_date_account_restriction", None, "2038-01-01"),
    _date("end_date_monetary_restriction", None, "2038-01-01"),
    _date("end_date_service_restriction", None, "2038-01-01"),
    _date("end_date_visibility_restriction", None, "2038-01-01"),
    _text("decision_facts", 5000, required=True),
    _one_of("source_type", SOURCE_TYPES, required=True),
    _text("source_identity", 500),
    _one_of("automated_detection", AUTOMATED_DETECTIONS, required=True),
    _one_of("automated_decision", AUTOMATED_DECISIONS, required=True),
    _puid,
)
