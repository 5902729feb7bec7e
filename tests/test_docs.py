"""Docs that cannot drift: every command and option of the command line is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from reportguard.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, list[str]]:
    """Every command, sub-commands as "group sub", with its long options."""
    found: dict[str, list[str]] = {}

    def walk(prefix: str, command: object) -> None:
        for name, cmd in getattr(command, "commands", {}).items():
            full = f"{prefix} {name}".strip()
            if getattr(cmd, "commands", None):
                walk(full, cmd)
                continue
            found[full] = [
                opt for p in cmd.params for opt in getattr(p, "opts", []) if opt.startswith("--")
            ]

    walk("", typer.main.get_command(app))
    return found


def test_every_command_and_option_is_in_docs_cli() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    for name, options in _commands().items():
        assert f"`reportguard {name}" in text, f"docs/cli.md does not describe {name}"
        for option in options:
            if option != "--help":
                assert f"`{option}" in text, f"docs/cli.md does not describe {name} {option}"


def test_readme_quick_start_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for script in re.findall(r"^\./(scripts/[\w.-]+)", readme, flags=re.MULTILINE):
        assert (ROOT / script).is_file(), f"README names {script}, which does not exist"
    assert "./scripts/test.sh" in readme
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_concepts_define_the_vocabulary() -> None:
    text = (ROOT / "docs" / "concepts.md").read_text()
    for word in (
        "report",
        "campaign",
        "credibility",
        "case",
        "decision",
        "action",
        "strike",
        "appeal",
        "misuse",
        "signal",
    ):
        assert f"**{word}**" in text, f"docs/concepts.md does not define {word}"
