"""Runtime settings, read from ``TODO_*`` environment variables (and overridden by CLI flags)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
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
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
