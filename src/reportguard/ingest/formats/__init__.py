"""Platform formats read into the input contract: Mastodon, ActivityPub, AT Protocol, Discourse.

``adapter(name, policy)`` gives the function that turns one record of that format into contract
records, with the policy's mapping table of the format's reason words (``[formats.NAME]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reportguard.errors import ConfigError
from reportguard.ingest.formats import activitypub, atproto, discourse, mastodon
from reportguard.ingest.formats.base import Adapter, Converted
from reportguard.policy import Policy
from reportguard.policy.schema import FormatMapping

Convert = Callable[[Mapping[str, Any], FormatMapping], list[Converted]]
FORMATS: dict[str, Convert] = {
    mastodon.NAME: mastodon.convert,
    activitypub.NAME: activitypub.convert,
    atproto.NAME: atproto.convert,
    discourse.NAME: discourse.convert,
}
# The words of each format's reason vocabulary, for `policy check` to name unknown table keys.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    mastodon.NAME: mastodon.CATEGORIES,
    discourse.NAME: tuple(discourse.FLAG_TYPES.values()),
}
RESOLUTIONS: dict[str, tuple[str, ...]] = {
    mastodon.NAME: ("action_taken",),
    discourse.NAME: (*discourse.RESOLUTIONS, "no action"),
}


_ATPROTO_TOKEN = re.compile(
    r"^(com\.atproto\.moderation\.defs|tools\.ozone\.report\.defs)#reason\w+$"
)


def table_problems(policy: Policy) -> list[str]:
    """Words in the policy's format tables that the format never sends (a typo would leave a
    reason unmapped without a word), and tables for formats that do not exist."""
    problems = []
    for name, mapping in policy.formats.items():
        if name not in FORMATS:
            problems.append(f"formats.{name}: not a format (use one of {', '.join(FORMATS)})")
            continue
        for word in mapping.reasons:
            if name == atproto.NAME and not _ATPROTO_TOKEN.match(word):
                problems.append(
                    f"formats.{name}.reasons.{word}: not a reason token of "
                    "com.atproto.moderation.defs or tools.ozone.report.defs"
                )
            elif (
                name in VOCABULARIES
                and word not in VOCABULARIES[name]
                and not (name == discourse.NAME and word.startswith("custom_"))
            ):
                problems.append(
                    f"formats.{name}.reasons.{word}: not a word {name} sends "
                    f"(it sends {', '.join(VOCABULARIES[name])})"
                )
        for word in mapping.outcomes:
            if word not in RESOLUTIONS.get(name, ()):
                problems.append(
                    f"formats.{name}.outcomes.{word}: {name} resolves reports as "
                    f"{', '.join(RESOLUTIONS.get(name, ())) or 'nothing'}"
                )
    return problems


def adapter(name: str, policy: Policy) -> Adapter:
    """The converter of format ``name`` with the policy's mapping table for it."""
    if name not in FORMATS:
        raise ConfigError(f"unknown format {name!r}: use one of {', '.join(FORMATS)}")
    convert = FORMATS[name]
    mapping = policy.formats.get(name, FormatMapping())

    def adapt(raw: Mapping[str, Any]) -> list[Converted]:
        return convert(raw, mapping)

    return adapt


__all__ = ["FORMATS", "Adapter", "Converted", "adapter", "table_problems"]
