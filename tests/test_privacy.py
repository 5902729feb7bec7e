"""Raw IP addresses and device ids never reach the database, the logs or the rejects file."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tests.conftest import TEST_KEY
from tests.helpers import report, write_jsonl

from reportguard.config import Settings, load_or_create_key_file
from reportguard.errors import ConfigError
from reportguard.ingest.hashing import IdentifierHasher
from reportguard.ingest.importer import Importer
from reportguard.store import models as m

RAW_IP = "203.0.113.219"
RAW_DEVICE = "device-7f3a9c21-raw-identifier"


def _import(engine: Engine, tmp_path: Path, key: bytes = TEST_KEY.encode()) -> None:
    records = [report(n, ip=RAW_IP, device=RAW_DEVICE) for n in range(50)]
    path = write_jsonl(tmp_path / "r.jsonl", records)
    Importer(engine, IdentifierHasher(key)).import_file(path)


def test_raw_identifiers_are_nowhere_in_the_sqlite_files(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _import(sqlite_engine, tmp_path)
    db_files = [p for p in tmp_path.iterdir() if p.name.startswith("reportguard.db")]
    assert db_files
    blob = b"".join(p.read_bytes() for p in db_files)
    assert RAW_IP.encode() not in blob
    assert RAW_DEVICE.encode() not in blob
    # ...but the keyed hashes are there, so detection can still see shared infrastructure.
    assert IdentifierHasher(TEST_KEY.encode()).ip(RAW_IP).encode() in blob


def test_raw_identifiers_are_nowhere_in_any_stored_row(engine: Engine, tmp_path: Path) -> None:
    _import(engine, tmp_path)
    with engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                text = repr(tuple(row))
                assert RAW_IP not in text
                assert RAW_DEVICE not in text
        hashes = conn.execute(sa.select(m.Report.ip_hash).distinct()).scalars().all()
    assert hashes == [IdentifierHasher(TEST_KEY.encode()).ip(RAW_IP)]


@pytest.mark.parametrize("key", [b"k" * 16, b"k" * 64, b"x" * 65, b"long key " * 20])
def test_the_hash_is_standard_hmac_sha256(key: bytes) -> None:
    """Anyone holding the key can reproduce our hashes with an off-the-shelf HMAC."""
    expected = hmac.new(key, f"ip:{RAW_IP}".encode(), hashlib.sha256).hexdigest()[:32]
    assert IdentifierHasher(key).ip(RAW_IP) == expected
    device = hmac.new(key, b"device:abc", hashlib.sha256).hexdigest()[:32]
    assert IdentifierHasher(key).device(" ABC") == device


def test_the_hash_depends_on_the_key() -> None:
    a = IdentifierHasher(b"a" * 32)
    b = IdentifierHasher(b"b" * 32)
    assert a.ip(RAW_IP) != b.ip(RAW_IP)
    assert a.ip(RAW_IP) != a.device(RAW_IP)  # ip and device hashes live in separate spaces
    assert a.device(" ABC ") == a.device("abc")


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "reportguard" / "secret.key"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64
    assert load_or_create_key_file(path) == key


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_key_file(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        load_or_create_key_file(path)


def test_settings_prefer_the_environment_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().hashing_key() == TEST_KEY.encode()
    monkeypatch.setenv("REPORTGUARD_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        Settings().hashing_key()


def test_settings_fall_back_to_a_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPORTGUARD_SECRET_KEY")
    key = Settings().hashing_key()
    assert (tmp_path / "config" / "reportguard" / "secret.key").read_bytes().strip() == key
