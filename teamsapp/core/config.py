"""Settings from the environment and `.env`, prefix `BACKEND_`."""

from __future__ import annotations

import enum
import functools
import secrets
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import URL

ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET_FILE = ROOT / ".teamsapp" / "secret_key"
MIN_SECRET_LENGTH = 32
WEAK_SECRETS = frozenset({"secret", "changeme", "change-me", "password", "dev", "test"})


class SettingsError(SystemExit):
    """A setting is missing or malformed.

    It is a `SystemExit` so that whichever entry point reads the settings first (the Reflex CLI,
    uvicorn, Alembic, the management commands) stops with this one line instead of a traceback.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"teamsapp: configuration error: {message}")


class Environment(enum.StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class MailTLS(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


class Settings(BaseSettings):
    """Every setting of the app; see the README for what each one does."""

    # An empty variable counts as unset (docker-compose.yml passes `${BACKEND_X:-}` through).
    model_config = SettingsConfigDict(
        env_prefix="BACKEND_", env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    environment: Environment = Environment.DEV
    host: str = "0.0.0.0"  # noqa: S104  (a server listens on every interface by default)
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    public_url: str | None = None
    log_level: str = "INFO"

    db_url: str | None = None
    db_host: str | None = None
    db_port: Annotated[int, Field(ge=1, le=65535)] = 5432
    db_user: str = "teamsapp"
    db_pass: str = ""
    db_base: str = "teamsapp"
    db_echo: bool = False
    db_pool_size: Annotated[int, Field(ge=1)] = 10
    sqlite_path: str = "teamsapp.db"

    redis_url: str | None = None

    secret_key: str = ""
    access_token_minutes: Annotated[int, Field(ge=1)] = 15
    refresh_token_days: Annotated[int, Field(ge=1)] = 30
    bcrypt_rounds: Annotated[int, Field(ge=4, le=31)] = 12

    mail_server: str | None = None
    mail_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    mail_username: str = ""
    mail_password: str = ""
    mail_tls: MailTLS = MailTLS.NONE
    mail_ca_file: str | None = None
    email_from: str = "teamsapp <noreply@teamsapp.local>"
    sendgrid_api_key: str = ""
    sendgrid_host: str = "https://api.sendgrid.com"

    trusted_proxies: str = ""
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    metrics_token: str = ""
    invitation_mails_per_team_hour: Annotated[int, Field(ge=1)] = 20
    invitation_mails_per_address_hour: Annotated[int, Field(ge=1)] = 3

    @model_validator(mode="after")
    def _require_strong_secret(self) -> Settings:
        if self.environment is Environment.DEV:
            return self
        if not self.secret_key:
            raise ValueError(f"BACKEND_SECRET_KEY is required when BACKEND_ENVIRONMENT={self.environment}")
        if len(self.secret_key) < MIN_SECRET_LENGTH or self.secret_key.lower() in WEAK_SECRETS:
            raise ValueError(
                f"BACKEND_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random characters "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return self

    @property
    def is_dev(self) -> bool:
        return self.environment is Environment.DEV

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the database: the whole-URL override, the parts, or a SQLite file."""
        if self.db_url:
            return self.db_url
        if self.db_host:
            # Built, not formatted: a password with `@`, `%`, `/`, `:` or spaces is quoted as a URL
            # needs, and every consumer parses it back with `make_url` to the same password.
            url = URL.create(
                "postgresql",
                username=self.db_user,
                password=self.db_pass or None,
                host=self.db_host,
                port=self.db_port,
                database=self.db_base,
            )
            return url.render_as_string(hide_password=False)
        sqlite = URL.create("sqlite+aiosqlite", database=str(Path(self.sqlite_path).resolve()))
        return sqlite.render_as_string()

    @property
    def base_url(self) -> str:
        """Where the app is reached from a browser; links in mails start with it."""
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def signing_key(self) -> str:
        """The JWT and token-hashing key; in dev without one, a random key kept in `.teamsapp/`."""
        if self.secret_key:
            return self.secret_key
        return _dev_secret()

    @property
    def trusted_proxy_hosts(self) -> list[str]:
        """The proxy addresses or networks whose `X-Forwarded-For` is believed (none by default)."""
        return [host.strip() for host in self.trusted_proxies.split(",") if host.strip()]

    @property
    def mail_backend(self) -> str:
        """Which mail sender is used: `sendgrid`, `smtp` or `log`."""
        if self.sendgrid_api_key:
            return "sendgrid"
        if self.mail_server:
            return "smtp"
        return "log"


@functools.cache
def _dev_secret() -> str:
    # Kept in a file so that every worker process and every restart signs with the same key.
    if DEV_SECRET_FILE.exists():
        return DEV_SECRET_FILE.read_text().strip()
    DEV_SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    DEV_SECRET_FILE.write_text(key)
    DEV_SECRET_FILE.chmod(0o600)
    return key


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    name = f"BACKEND_{field.upper()}: " if field else ""
    # A validator's own message already names the setting; pydantic prefixes it with its kind.
    return f"{name}{first['msg'].removeprefix('Value error, ')}"


@functools.cache
def get_settings() -> Settings:
    """Read the settings once; a bad value stops the process with one line naming the setting."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None
