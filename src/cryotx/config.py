"""Settings of the record service (pydantic-settings), read from ``CRYOTX_*`` variables.

The settings object is built on first use by :func:`get_settings` and cached; nothing
reads the environment at import time.  Only the adapters (``asgi``, ``cli``, ``api``)
read settings; the domain packages take plain arguments.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Service configuration.

    Attributes
    ----------
    database_url
        SQLAlchemy URL; empty means the embedded SQLite file ``DATA_DIR/cryotx.sqlite3``.
        ``postgresql+psycopg://user@host:port/db`` selects PostgreSQL.
    data_dir
        Directory of the embedded database (created on start).
    token_ttl_s
        Lifetime of a login (bearer token and session cookie). [s]
    token_cache_s
        How long the server process remembers a token it found valid, so that a request
        needs no database lookup to find its user (0: no cache).  Logout and account
        changes made through this process take effect at once; changes made elsewhere
        (another process, SQL by hand) within this time. [s]
    login_max_failures, login_window_s
        Login rate limit: after this many failed logins for one user name or one
        client address inside the window, further attempts are refused (HTTP 429).
    cookie_secure
        Mark the session cookie ``Secure`` (set it when served behind HTTPS).
    migrate_on_start
        Run the Alembic migrations when the application starts.
    """

    model_config = SettingsConfigDict(env_prefix="CRYOTX_", extra="ignore")

    database_url: str = ""
    data_dir: Path = Path("var")
    token_ttl_s: int = Field(default=8 * 3600, gt=0)
    token_cache_s: float = Field(default=2.0, ge=0, le=60)
    login_max_failures: int = Field(default=5, gt=0)
    login_window_s: int = Field(default=300, gt=0)
    cookie_secure: bool = False
    migrate_on_start: bool = True

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cryotx.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once from the environment."""
    return Settings()
