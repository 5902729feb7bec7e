"""Platform formats read into the input contract: Mastodon, ActivityPub, AT Protocol, Discourse.

``adapter(name, policy)`` gives the function that turns one record of that format into contract
records, with the policy's mapping table of the format's reason words (``[formats.NAME]``).
"""

from __future__ import annotations

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


def adapter(name: str, policy: Policy) -> Adapter:
    """The converter of format ``name`` with the policy's mapping table for it."""
    if name not in FORMATS:
        raise ConfigError(f"unknown format {name!r}: use one of {', '.join(FORMATS)}")
    convert = FORMATS[name]
    mapping = policy.formats.get(name, FormatMapping())

    def adapt(raw: Mapping[str, Any]) -> list[Converted]:
        return convert(raw, mapping)

    return adapt


__all__ = ["FORMATS", "Adapter", "Converted", "adapter"]
