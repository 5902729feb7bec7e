"""Notice templates: plain-text Jinja2 files, one folder per language, English shipped.

A template's first line is the notice's title, the rest its body. The operator may override any
template by putting a file of the same name under the policy's ``notices.templates_dir``
(``<dir>/<language>/<kind>.txt``); a language without its own file falls back to its base
language (``pt-BR`` to ``pt``), then to the policy's default language, then to English.
Undefined variables are errors, so a template can never send a notice with a blank in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from reportguard.errors import ConfigError

# Who receives each kind: the person who reported, or the reported account.
KINDS: dict[str, str] = {
    "report_received": "reporter",
    "report_outcome": "reporter",
    "misuse_measure": "reporter",
    "action_taken": "account",
    "campaign_protection": "account",
    "action_reversed": "account",
}


@dataclass(frozen=True)
class Rendered:
    kind: str
    language: str
    title: str
    body: str


def language_chain(language: str | None, default: str) -> list[str]:
    """The languages to try, most specific first.

    >>> language_chain("pt-BR", "de")
    ['pt-br', 'pt', 'de', 'en']
    """
    chain: list[str] = []
    for candidate in (language, (language or "").split("-")[0], default, "en"):
        code = (candidate or "").lower()
        if code and code not in chain:
            chain.append(code)
    return chain


class NoticeTemplates:
    """Finds and renders the template of a notice kind in the recipient's language."""

    def __init__(self, templates_dir: Path | None = None, default_language: str = "en") -> None:
        loaders: list[Any] = []
        if templates_dir is not None:
            if not templates_dir.is_dir():
                raise ConfigError(f"notice templates folder {templates_dir} does not exist")
            loaders.append(FileSystemLoader(str(templates_dir)))
        loaders.append(PackageLoader("reportguard.notices", "templates"))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,  # plain text: the platform shows it as text, never as HTML  # noqa: S701
            keep_trailing_newline=False,
            auto_reload=False,  # read once: no file check on every notice
        )
        self.default_language = default_language

    def render(self, kind: str, context: dict[str, Any], language: str | None = None) -> Rendered:
        if kind not in KINDS:
            raise ValueError(f"unknown notice kind {kind!r}; kinds: {', '.join(KINDS)}")
        for code in language_chain(language, self.default_language):
            name = f"{code}/{kind}.txt"
            try:
                template = self.env.get_template(name)
            except TemplateNotFound:
                continue
            except TemplateSyntaxError as exc:
                raise ConfigError(
                    f"notice template {name}, line {exc.lineno}: {exc.message}"
                ) from exc
            try:
                text = template.render(**context).strip()
            except TemplateError as exc:
                raise ConfigError(
                    f"notice template {name}: {exc.message}; a {kind} notice has "
                    + ", ".join(sorted(context))
                ) from exc
            title, _, body = text.partition("\n")
            return Rendered(kind=kind, language=code, title=title.strip(), body=body.strip())
        raise ConfigError(f"no template for notice {kind!r}")  # pragma: no cover - en ships

    def check(self) -> None:
        """Render every template found, in every language, with its sample: a broken override
        fails here, at start, rather than inside a moderator's decision."""
        from reportguard.notices.samples import SAMPLES

        languages = {name.split("/")[0] for name in self.env.list_templates(extensions=["txt"])}
        for code in sorted(languages):
            for kind in KINDS:
                self.render(kind, SAMPLES[kind], code)


@lru_cache(maxsize=8)
def notice_templates(templates_dir: Path | None, default_language: str) -> NoticeTemplates:
    """One set of templates per configuration, compiled and checked once."""
    templates = NoticeTemplates(templates_dir, default_language)
    templates.check()
    return templates
