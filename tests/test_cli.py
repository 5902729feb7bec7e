"""The command line: one clear line and a non-zero exit on every error, never a traceback."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from tests.helpers import report, write_jsonl

from reportguard import __version__
from reportguard.cli.common import command_name
from reportguard.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the real entry point as a user would, and capture what it prints."""
    old = sys.argv
    sys.argv = ["reportguard", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"reportguard {__version__}")


@pytest.mark.parametrize(
    "command",
    [
        "ingest",
        "outcomes",
        "stats",
        "simulate",
        "evaluate",
        "detect",
        "triage",
        "queue",
        "automate",
        "policy",
        "audit",
        "campaign",
        "export",
        "webhooks",
        "db",
    ],
)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Usage" in out
    assert len(out.splitlines()) > 5


@pytest.mark.parametrize(
    "command",
    [["ingest"], ["outcomes"], ["detect"], ["simulate"], ["evaluate"], ["policy", "check"],
     ["campaign", "list"], ["campaign", "confirm"], ["queue"], ["export", "transparency"],
     ["db", "backup"], ["db", "restore"], ["db", "prune"], ["db", "erase"], ["serve"]],
)  # fmt: skip
def test_help_speaks_in_words_not_python_types(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, _ = run(capsys, *command, "--help")
    assert code == 0
    assert not re.search(r"<[a-z]+(\[.*?\])?>|\{[a-z_]+\}|list\[|\bPath\b", out), out


def test_ingest_then_stats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "rg.db")
    path = write_jsonl(tmp_path / "r.jsonl", [report(n) for n in range(20)])
    code, out, _ = run(capsys, "--db", db, "ingest", str(path))
    assert code == 0
    assert "20 records in" in out
    code, out, _ = run(capsys, "--db", db, "stats", "--json")
    data = json.loads(out)
    assert (code, data["reports"], data["targets"]) == (0, 20, 13)
    assert data["recent_imports"][0]["accepted"] == 20


def test_ingest_json_summary_and_exit_1_on_rejects(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "r.jsonl", [report(1), report(2, created_at="never")])
    code, out, _ = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", "--json", str(path))
    summary = json.loads(out)["total"]
    assert code == 1
    assert (summary["accepted"], summary["rejected"]) == (1, 1)


def test_rejections_are_printed_with_file_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "reports.jsonl", [report(1), report(2, created_at="never")])
    code, _, err = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", str(path))
    assert code == 1
    assert "reports.jsonl:2: created_at: not a timestamp" in err
    assert "written to" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "{tmp}/missing.jsonl"], "missing.jsonl: no such file"),
        (["ingest", "{tmp}/notes.txt"], "unknown file type"),
        (["--db", "{tmp}/no/such/dir/x.db", "stats"], "does not exist"),
        (["--db", "postgresql://nobody@127.0.0.1:1/x", "stats"], "cannot open database"),
        (["ingest", "--map", "nonsense", "{tmp}/r.jsonl"], "use FROM=TO"),
    ],
)
def test_errors_are_one_line_without_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    write_jsonl(tmp_path / "r.jsonl", [report(1)])
    argv = [a.format(tmp=tmp_path) for a in args]
    if argv[0] != "--db":
        argv = ["--db", str(tmp_path / "rg.db"), *argv]
    code, out, err = run(capsys, *argv)
    assert code != 0
    assert message in (out + err)
    assert "Traceback" not in out + err


def test_database_of_another_application(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE reports (x INTEGER)")
    code, _, err = run(capsys, "--db", str(db), "stats")
    assert code == 2
    assert "another application" in err
    assert "Traceback" not in err


def test_simulate_ingest_evaluate_end_to_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "sim"
    code, text, _ = run(
        capsys,
        "simulate",
        "--out",
        str(out),
        "--set",
        "days=25",
        "--set",
        "accounts=4000",
        "--set",
        "organic_reports_per_day=200",
    )
    assert code == 0, text
    assert "planted campaigns" in text
    code, text, _ = run(
        capsys,
        "--db",
        str(tmp_path / "rg.db"),
        "ingest",
        str(out / "accounts.jsonl"),
        str(out / "reports.jsonl"),
    )
    assert code == 0, text
    code, text, _ = run(
        capsys, "--db", str(tmp_path / "rg.db"), "detect", "--json", str(tmp_path / "found.json")
    )
    assert code == 0, text
    assert "campaign" in text
    # evidence as sentences; "young" is relative to this small platform's own ages
    assert re.search(r"reporters' accounts were under [\d.]+ (days|hours) old", text)
    db = str(tmp_path / "rg.db")
    found = json.loads((tmp_path / "found.json").read_text())["campaigns"]
    key = found[0]["key"]
    assert re.search(rf"campaign \d+ \(key {key}\)", text)  # detect prints number and key
    code, listed, _ = run(capsys, "--db", db, "campaign", "list", "--json-free", "x")
    assert code != 0  # an unknown option is refused
    code, listed, _ = run(capsys, "--db", db, "campaign", "list")
    assert code == 0
    assert f"{len(found)} campaign" in listed
    assert key in listed
    number = re.search(rf"campaign (\d+) \(key {key}\)", text).group(1)  # type: ignore[union-attr]
    code, shown, _ = run(capsys, "--db", db, "campaign", "show", key[:8])
    assert code == 0
    assert shown.startswith(f"campaign {number} (key {key}): active")
    assert "surprise" in shown
    run(capsys, "--db", db, "triage")
    code, by_key, _ = run(capsys, "--db", db, "queue", "--json", "--campaign", key[:6])
    code_n, by_number, _ = run(capsys, "--db", db, "queue", "--json", "--campaign", number)
    assert (code, code_n) == (0, 0)
    assert json.loads(by_key) == json.loads(by_number) != []
    assert {r["target_id"] for r in json.loads(by_key)} <= set(found[0]["targets"])
    code, done, _ = run(capsys, "--db", db, "campaign", "confirm", key, "--as", "mod")
    assert code == 0
    assert done.startswith(f"campaign {number} (key {key}) confirmed")
    code, listed, _ = run(capsys, "--db", db, "campaign", "list", "--status", "confirmed")
    assert "1 confirmed campaign stored" in listed
    code, _, err = run(capsys, "--db", db, "campaign", "show", "zzzz")
    assert code == 1
    assert "campaign zzzz does not exist" in err
    code, text, _ = run(
        capsys,
        "evaluate",
        str(out),
        "--result",
        str(tmp_path / "found.json"),
        "--json",
        str(tmp_path / "eval.json"),
    )
    assert code == 0, text
    assert "baseline" in text
    scores = json.loads((tmp_path / "eval.json").read_text())
    ours, baseline = scores
    assert ours["detector"] == "reportguard"
    assert ours["targets"]["viral"] == baseline["targets"]["viral"] == 4
    assert ours["targets"]["viral_called_campaign"] == 0
    assert ours["members"]["f1"] > baseline["members"]["f1"]
    found = json.loads((tmp_path / "found.json").read_text())
    assert len(found["report_scores"]) == sum(1 for _ in (out / "reports.jsonl").open())
    # Campaign reports carry their campaign's evidence on top of their own burst surprise.
    level = ours["report_level"]
    assert "Per-report scores against the attack reports" in text
    assert level["score_roc_auc"] > max(0.9, level["stream_roc_auc"])
    assert "report_level" not in baseline


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--preset", "huge"], "unknown preset"),
        (["simulate", "--set", "days=2"], "after the last day"),
        (["simulate", "--set", "nonsense"], "use PATH=VALUE"),
        (["evaluate", "{tmp}"], "no ground truth"),
        (["evaluate", "{tmp}", "--no-baseline"], "no ground truth"),
        (["detect", "--since", "yesterday"], "not an ISO 8601 time"),
    ],
)
def test_simulate_and_evaluate_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *[a.format(tmp=tmp_path) for a in args])
    assert code != 0
    assert message in out + err
    assert "Traceback" not in out + err


def test_triage_queue_campaign_audit_and_export_from_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "rg.db")
    records = [report(i, target_id="t-busy" if i % 3 else f"t-{i}") for i in range(60)]
    run(capsys, "--db", db, "ingest", str(write_jsonl(tmp_path / "r.jsonl", records)))
    code, out, _ = run(capsys, "--db", db, "triage")
    assert code == 0
    assert "60 new reports into cases" in out
    code, out, _ = run(capsys, "--db", db, "queue", "--json", "--limit", "3")
    rows = json.loads(out)
    assert code == 0
    assert rows[0]["target_id"] == "t-busy"
    assert rows[0]["why"]
    code, _, err = run(capsys, "--db", db, "campaign", "confirm", "99", "--as", "mod")
    assert code == 1
    assert "campaign 99 does not exist" in err
    code, out, _ = run(capsys, "--db", db, "audit", "verify")
    assert (code, "audit log intact: 0 entries" in out) == (0, True)
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "export",
        "transparency",
        "--from",
        "2026-11-01",
        "--to",
        "2026-12-01",
        "--out",
        str(tmp_path / "fig"),
    )
    assert code == 0
    assert json.loads((tmp_path / "fig" / "transparency.json").read_text())["reports_total"] == 60


def test_policy_check_names_the_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from reportguard.policy.schema import resources

    good = tmp_path / "good.toml"
    good.write_text(resources.files("reportguard.policy").joinpath("default.toml").read_text())
    code, out, _ = run(capsys, "policy", "check", str(good))
    assert code == 0
    assert "valid" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text().replace('action = "ban"', 'action = "banish"'))
    code, _, err = run(capsys, "policy", "check", str(bad))
    assert code == 2
    assert "ladder.5.action" in err
    assert "Traceback" not in err


def test_webhooks_deliver_without_an_address_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "rg.db"), "webhooks", "deliver", "--once")
    assert code == 2
    assert "REPORTGUARD_WEBHOOK_URL" in err


def test_help_names_values_in_words_not_python_types(capsys: pytest.CaptureFixture[str]) -> None:
    """``<list[Path]>``, ``<bool>`` and ``{files}`` are Python's words, not a user's."""
    import typer.main

    from reportguard.cli.main import app

    def paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        found = [prefix]
        for name, sub in getattr(command, "commands", {}).items():
            found += paths(sub, (*prefix, name))
        return found

    commands = paths(typer.main.get_command(app))
    assert len(commands) > 20
    for words in commands:
        code, out, _ = run(capsys, *words, "--help")
        assert code == 0, words
        for python in ("<bool>", "<str>", "<int", "<Path", "list[", "{"):
            assert python not in out, (words, python)


def test_a_mistyped_db_is_refused_instead_of_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "reportguard.bd"
    code, out, err = run(capsys, "--db", str(typo), "stats")
    assert code == 2
    assert f"no database at {typo}" in err
    assert "--create" in err
    assert not typo.exists()  # nothing was made behind the user's back
    code, out, _ = run(capsys, "--db", str(typo), "--create", "stats", "--json")
    assert code == 0
    assert json.loads(out)["reports"] == 0
    fresh = tmp_path / "new.db"
    example = Path(__file__).resolve().parents[1] / "examples" / "sample-reports.jsonl"
    code, _, err = run(capsys, "--db", str(fresh), "ingest", str(example))
    assert code == 0, err  # ingest fills a database, so it may start one
    assert fresh.exists()


def test_an_empty_file_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, out, _ = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", str(empty))
    assert code == 0  # not an error, but visible
    assert "empty.jsonl: no records in this file; nothing was imported." in " ".join(out.split())


def test_self_reports_are_named_in_the_summary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "r.jsonl", [report(1, reporter_id="u-5", target_id="u-5"), report(2)]
    )
    code, out, _ = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", str(path), "--json")
    assert code == 0
    assert json.loads(out)["total"]["self_reports"] == 1
    code, out, _ = run(capsys, "--db", str(tmp_path / "rg.db"), "ingest", str(path))
    assert "r.jsonl: 1 self-reports (reporter and target are the same account)" in " ".join(
        out.split()
    )


def test_the_command_printed_to_run_again_works_from_this_shell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "venv" / "bin" / "reportguard"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert command_name() == str(script.resolve())  # a venv that was not activated
    monkeypatch.setenv("PATH", str(script.parent))
    assert command_name() == "reportguard"
    monkeypatch.setattr(sys, "argv", ["-c"])
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert command_name() == f"{sys.executable} -m reportguard.cli"


def test_ingest_of_a_file_cut_short_says_what_it_stored_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import gzip

    lines = "".join(json.dumps(report(n)) + "\n" for n in range(5000))
    packed = gzip.compress(lines.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    db = str(tmp_path / "rg.db")
    code, _, err = run(capsys, "--db", db, "ingest", "--batch-size", "500", str(path))
    assert code == 2, err
    message = " ".join(err.split())
    assert "cut.jsonl.gz: cannot read line " in message
    stored = int(re.search(r"were read: ([\d,]+) stored now", message)[1].replace(",", ""))  # type: ignore[index]
    assert 0 < stored < 5000
    assert "reports already stored are skipped" in message
    assert "Traceback" not in err
