"""Settings from the environment (``REPORTGUARD_*``), flags, or defaults.

Secrets are never read from the repository: the hashing key comes from
``REPORTGUARD_SECRET_KEY``, or from a key file created on first use with 0600 permissions.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from reportguard.errors import ConfigError

if TYPE_CHECKING:
    from reportguard.policy import Policy

DEFAULT_DATABASE = "reportguard.db"


def default_key_file() -> Path:
    """Where the hashing key lives when the environment gives none (XDG config dir)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "reportguard" / "secret.key"


@dataclass(frozen=True)
class TimeBounds:
    """The plausible times of a record: none before ``earliest``, none beyond the clock's skew.

    Forums and mail systems have accounts from the 1990s, so the floor is 1990 unless a setting
    moves it (``REPORTGUARD_EARLIEST_TIME``); a time more than ``skew`` ahead of this machine's
    clock (``REPORTGUARD_CLOCK_SKEW_HOURS``, one day) is a broken clock or a typo, never a report.
    """

    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    skew: timedelta = timedelta(days=1)

    def context(self) -> dict[str, datetime]:
        """The validation context for one import: the latest time is fixed when it starts."""
        return {"earliest": self.earliest, "latest": datetime.now(UTC) + self.skew}


class Settings(BaseSettings):
    """Everything ReportGuard needs to know to run; one instance per app or command."""

    model_config = SettingsConfigDict(env_prefix="REPORTGUARD_", extra="ignore")

    database_url: str = DEFAULT_DATABASE
    # Bring the schema to this version's migrations when a database is opened (the embedded
    # default). False: refuse a database whose schema is behind; `reportguard db upgrade` then.
    migrate_on_open: bool = True
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    policy_file: Path | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None
    # The DSA Transparency Database's API token (export statements --submit): never in the repo.
    dsa_token: SecretStr | None = None
    dsa_token_file: Path | None = None
    api_rate_limit: str = "100/second"
    # Failed authentications one client address may make before it must wait (keys or sign-ins).
    api_auth_failure_limit: str = "20/minute"
    api_max_body_bytes: int = 8 * 1024 * 1024
    api_live_detection: bool = True
    api_key_cache_seconds: float = 5.0
    # /metrics in the Prometheus format (counts only; block it at the proxy from the outside).
    metrics_enabled: bool = True
    dashboard_session_hours: float = 12.0
    # Plausible record times: accounts from the 1990s exist; a day ahead of the clock is a typo.
    earliest_time: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    clock_skew_hours: float = Field(default=24.0, ge=0)

    def time_bounds(self) -> TimeBounds:
        """The bounds ingest holds every record's times to."""
        earliest = self.earliest_time
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=UTC)
        return TimeBounds(earliest=earliest, skew=timedelta(hours=self.clock_skew_hours))

    def webhook_signing_secret(self) -> str:
        """The webhook secret: ``REPORTGUARD_WEBHOOK_SECRET``, else the file it names."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        if self.webhook_secret_file is not None:
            try:
                return self.webhook_secret_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"{self.webhook_secret_file}: cannot read the webhook secret: {exc.strerror}"
                ) from exc
        raise ConfigError(
            "no webhook secret: set REPORTGUARD_WEBHOOK_SECRET or REPORTGUARD_WEBHOOK_SECRET_FILE"
        )

    def dsa_submission_token(self) -> str:
        """The operator's DSA Transparency Database token: ``REPORTGUARD_DSA_TOKEN``, else the
        file ``REPORTGUARD_DSA_TOKEN_FILE`` names."""
        if self.dsa_token is not None:
            return self.dsa_token.get_secret_value()
        if self.dsa_token_file is not None:
            try:
                token = self.dsa_token_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"{self.dsa_token_file}: cannot read the DSA token: {exc.strerror}"
                ) from exc
            if token:
                return token
            raise ConfigError(f"{self.dsa_token_file}: the DSA token file is empty")
        raise ConfigError(
            "no DSA Transparency Database token: set REPORTGUARD_DSA_TOKEN or "
            "REPORTGUARD_DSA_TOKEN_FILE"
        )

    def policy(self) -> Policy:
        """The enforcement policy: ``REPORTGUARD_POLICY_FILE``, else the one shipped."""
        from reportguard.policy import load_policy

        return load_policy(self.policy_file)

    def on_open(self) -> dict[str, bool]:
        """How ``store.database.create_engine`` treats a schema that is behind, per the setting:
        ``create_engine(url, **settings.on_open())``."""
        return {"migrate": self.migrate_on_open, "refuse_behind": not self.migrate_on_open}

    def resolved_database_url(self) -> str:
        """A plain path means an SQLite file; anything with ``://`` is a SQLAlchemy URL."""
        return database_url_from(self.database_url)

    def hashing_key(self) -> bytes:
        """The HMAC key for network identifiers; created on first use if none is configured."""
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value().encode()
            if len(value) < 16:
                raise ConfigError("REPORTGUARD_SECRET_KEY is too short: use at least 16 bytes")
            return value
        return load_or_create_key_file(self.secret_key_file or default_key_file())


def database_url_from(value: str) -> str:
    """Turn a ``--db`` value (path or URL) into a SQLAlchemy URL with our preferred drivers."""
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser()}"
    for plain in ("postgresql://", "postgres://"):
        if value.startswith(plain):
            return "postgresql+psycopg://" + value[len(plain) :]
    return value


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, or write a fresh random key readable by the owner only."""
    try:
        if path.exists():
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                raise ConfigError(
                    f"{path}: key file is readable by others (mode {mode:o}); run chmod 600 {path}"
                )
            key = path.read_bytes().strip()
            if len(key) < 32:
                raise ConfigError(f"{path}: key file holds fewer than 32 bytes")
            return key
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_hex(32).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
        return key
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read or create the hashing key file: {exc}") from exc
