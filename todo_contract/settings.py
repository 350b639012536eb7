"""Runtime settings, read from ``TODO_*`` environment variables (and overridden by CLI flags)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./todos.db"


class Settings(BaseSettings):
    """Everything an operator may tune without touching code.

    The pool is sized to FastAPI's worker threads (40 by default): a sync endpoint holds one
    connection per thread, so a pool smaller than that makes requests queue for a connection,
    and a larger one only opens connections nobody can use. Whatever the size, no more
    requests than the pool holds are let into the app at once (``todo_contract.admission``);
    the rest queue, holding nothing, for up to ``queue_timeout`` seconds, then get a 503.
    Connections are opened on demand and then kept: "overflow" connections would be closed on
    return and reopened by the next burst, and the benchmark showed that churn cutting
    MariaDB's throughput at 16 concurrent clients to a sixth of what one client gets.

    The ``database_*`` timeouts bound every wait for PostgreSQL or MariaDB, so a server that
    hangs or is cut off by the network costs each request seconds, not the minutes TCP takes
    to give up (``todo_contract.database.driver_connect_args`` says which driver option each
    one becomes). The defaults spare a healthy server: its heaviest request, 1,000 rows, takes
    milliseconds, and a write waits for a row lock only while another request holds it, so a
    10 s statement timeout is hundreds of times what it needs. The read timeout (15 s) is the
    bound on a frozen server, which enforces no statement timeout; it is longer than the
    statement timeout so that a healthy server's own cancel, which keeps the connection, comes
    first. A request on a frozen server meets at most the pool's ping and one new connection:
    20 s on PostgreSQL (read + connect), 30 s on MariaDB (whose greeting is read under the read
    timeout).
    """

    model_config = SettingsConfigDict(env_prefix="TODO_", env_ignore_empty=True, extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path, postgresql+psycopg://… or mysql+pymysql://… (MariaDB)",
    )
    pool_size: int = Field(default=40, ge=1, description="connections kept open (opened on demand)")
    pool_max_overflow: int = Field(
        default=0, ge=0, description="extra connections under load, closed again after use"
    )
    pool_timeout: float = Field(
        default=5.0, gt=0, description="seconds a request waits for a connection before a 503"
    )
    queue_timeout: float = Field(
        default=30.0,
        gt=0,
        description="seconds a request waits for its turn when every connection is in use, "
        "before a 503",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="how long a SQLite writer waits for the write lock"
    )
    request_head_timeout: float = Field(
        default=10.0,
        gt=0,
        description="seconds a connection has to send a complete request head (after connecting "
        "or after its previous response) before the server closes it",
    )
    database_connect_timeout: int = Field(
        default=5,
        ge=2,
        le=600,
        description="seconds to open a connection to PostgreSQL or MariaDB (TCP, handshake, "
        "login) before the request gets a 503; whole seconds, at least 2 (libpq's minimum)",
    )
    database_statement_timeout: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="PostgreSQL's statement_timeout: the server cancels a statement (or a wait "
        "for a row lock) that runs longer, and the request gets a 503",
    )
    database_read_timeout: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="seconds the app waits for any answer from PostgreSQL or MariaDB (a query, "
        "a commit, the pool's ping) before it drops the connection and answers 503: the bound "
        "on a frozen or unreachable server; longer than the statement timeout",
    )
    database_write_timeout: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="seconds sent data may stay unacknowledged before the connection is "
        "dropped (PostgreSQL's tcp_user_timeout, PyMySQL's write_timeout)",
    )
    database_keepalives_idle: int = Field(
        default=10,
        ge=1,
        le=7200,
        description="PostgreSQL: seconds of silence before TCP keepalive probes start",
    )
    database_keepalives_interval: int = Field(
        default=5, ge=1, le=600, description="PostgreSQL: seconds between TCP keepalive probes"
    )
    database_keepalives_count: int = Field(
        default=3,
        ge=1,
        le=100,
        description="PostgreSQL: unanswered keepalive probes before the connection is dead",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    @model_validator(mode="after")
    def _read_timeout_outlasts_statement_timeout(self) -> Settings:
        """On a healthy server the server's own cancel must come first: it ends the statement
        cleanly and keeps the connection, whereas the client's read timeout drops it."""
        if self.database_read_timeout <= self.database_statement_timeout:
            raise ValueError(
                f"TODO_DATABASE_READ_TIMEOUT ({self.database_read_timeout:g} s) must be longer "
                f"than TODO_DATABASE_STATEMENT_TIMEOUT ({self.database_statement_timeout:g} s), "
                "so that a slow statement on a healthy server is cancelled by the server first"
            )
        return self
