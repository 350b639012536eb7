"""The JSON shapes of the API (pydantic v2), shared by both apps.

These are not the database model: they describe what a client may send and what it gets back.
Validation here is strict on purpose — ``completed`` takes only JSON booleans, ``priority`` only
JSON integers — so that both apps reject exactly the same input before any SQL runs.
"""

from __future__ import annotations

import re
import string
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from todo_contract.clock import format_timestamp
from todo_contract.table import TAG_MAX_LENGTH, TITLE_MAX_LENGTH

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

_FORBIDDEN_IN_TITLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _reject_control_characters(title: str) -> str:
    if _FORBIDDEN_IN_TITLE.search(title):
        raise ValueError("title must not contain control characters or lone surrogates")
    return title


# What ``strip_whitespace`` removes: pydantic-core trims Unicode White_Space (not U+001C–U+001F,
# which Python's ``str.strip`` would also take).
_TRIMMED = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_CONTROL = r"\x00-\x1f\x7f-\x9f"
TITLE_PATTERN = (
    f"^[{_TRIMMED}]*"
    f"[^{_CONTROL}{_TRIMMED}]"
    f"(?:[^{_CONTROL}]{{0,{TITLE_MAX_LENGTH - 2}}}[^{_CONTROL}{_TRIMMED}])?"
    f"[{_TRIMMED}]*$"
)
"""The title rules as one regular expression, for the OpenAPI document.

JSON Schema's ``maxLength`` counts the surrounding whitespace the API strips, so the document
states the rules as a pattern instead: optional surrounding whitespace around 1–200 characters
that neither start nor end with whitespace and hold no control character. (Lone surrogates,
also refused, are left out: regular-expression engines disagree on how to write them.)"""

Title = Annotated[
    str,
    StringConstraints(
        strict=True, strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH
    ),
    AfterValidator(_reject_control_characters),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": TITLE_PATTERN,
            "description": "1–200 characters after surrounding whitespace is stripped, "
            "with no control characters",
        }
    ),
]
MAX_TAGS = 20
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_TAG_CHARACTERS = "a-z0-9_-"
_TAG = re.compile(f"[{_TAG_CHARACTERS}]{{1,{TAG_MAX_LENGTH}}}")


def normalize_tag(name: str) -> str:
    """A stripped tag name with its ASCII letters lower-cased, refused unless 1–32 of a–z,
    0–9, ``-`` and ``_``.

    Only ASCII letters are lower-cased: ``str.lower`` would also turn the Kelvin sign (U+212A)
    into ``k`` and accept it."""
    normalized = name.translate(_ASCII_LOWER)
    if not _TAG.fullmatch(normalized):
        raise ValueError(
            f"a tag is 1–{TAG_MAX_LENGTH} characters, each a letter a–z (A–Z is lower-cased), "
            "a digit, - or _"
        )
    return normalized


def _distinct_in_order(names: list[str]) -> list[str]:
    """The contract's order for a set of tags: code point order, each name once."""
    return sorted(set(names))


TAG_PATTERN = f"^[{_TRIMMED}]*[A-Za-z0-9_-]{{1,{TAG_MAX_LENGTH}}}[{_TRIMMED}]*$"
"""The tag rules as one regular expression, for the OpenAPI document."""

Tag = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True),
    AfterValidator(normalize_tag),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": TAG_PATTERN,
            "description": f"1–{TAG_MAX_LENGTH} characters a–z, 0–9, - or _ after surrounding "
            "whitespace is stripped and A–Z lower-cased",
        }
    ),
]
Tags = Annotated[
    list[Tag],
    Field(
        max_length=MAX_TAGS,
        description=f"at most {MAX_TAGS} tags; duplicates (after normalising) count once",
    ),
    AfterValidator(_distinct_in_order),
]
Completed = Annotated[StrictBool, Field(description="only JSON true or false")]
Priority = Annotated[
    StrictInt,
    Field(ge=INT32_MIN, le=INT32_MAX, description="a JSON integer in the signed 32-bit range"),
]
Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2024-01-15T10:30:00.123456Z"]},
        mode="serialization",
    ),
]

_FORBID_UNKNOWN = ConfigDict(extra="forbid")


class TodoCreate(BaseModel):
    """Body of ``POST /todos``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"title": "Buy milk", "completed": False, "priority": 1, "tags": ["shopping"]}
            ]
        },
    )

    title: Title
    completed: Completed = False
    priority: Priority = 0
    tags: Tags = Field(default_factory=list)


def _no_default_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _left_out() -> Any:
    """The default of a PUT or PATCH field the client did not send (never shown in the schema)."""
    return Field(default=None, json_schema_extra=_no_default_in_schema)


class TodoReplace(BaseModel):
    """Body of ``PUT /todos/{id}``: the whole todo, every field required but ``tags``.

    ``tags`` left out keeps the todo's tags, so clients written before tags existed do not wipe
    them; the route passes on only the fields set (``model_dump(exclude_unset=True)``).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"title": "Buy oat milk", "completed": True, "priority": 2, "tags": ["shopping"]}
            ]
        },
    )

    title: Title
    completed: Completed
    priority: Priority
    tags: Tags = _left_out()


class TodoPatch(BaseModel):
    """Body of ``PATCH /todos/{id}``: only the fields sent change; ``null`` is not a value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"completed": True}], "minProperties": 1},
    )

    # Typed without ``| None`` on purpose: a union would report a second, misleading error
    # ("Input should be None") for every bad value. Omitted fields stay None (defaults are not
    # validated) and are dropped by ``model_dump(exclude_unset=True)``.
    title: Title = _left_out()
    completed: Completed = _left_out()
    priority: Priority = _left_out()
    tags: Tags = _left_out()

    @field_validator("title", "completed", "priority", "tags", mode="before")
    @classmethod
    def _null_is_not_a_value(cls, value: object) -> object:
        if value is None:
            raise ValueError("null is not a value; leave the field out to keep it unchanged")
        return value

    @model_validator(mode="after")
    def _at_least_one_field(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of title, completed, priority, tags")
        return self


class TodoRead(BaseModel):
    """A todo as the API returns it."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "title": "Buy milk",
                    "completed": False,
                    "priority": 1,
                    "tags": ["home", "shopping"],
                    "created_at": "2024-01-15T10:30:00.123456Z",
                    "updated_at": "2024-01-15T10:30:00.123456Z",
                }
            ]
        },
    )

    id: int
    title: str
    completed: bool
    priority: int
    tags: Annotated[
        list[str], AfterValidator(_distinct_in_order), Field(description="in code point order")
    ]
    created_at: Timestamp
    updated_at: Timestamp


class TagCount(BaseModel):
    """One entry of ``GET /tags``: a tag and how many todos carry it."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [{"name": "home", "todos": 3}]}
    )

    name: str
    todos: int


class TodoCount(BaseModel):
    """Body of ``GET /todos/count``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"total": 3, "completed": 1, "pending": 2}]}
    )

    total: int
    completed: int
    pending: int


class ErrorMessage(BaseModel):
    """The body of every 404, 405, 413 and 503."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Todo 42 not found"}]})

    detail: str


class HealthOk(BaseModel):
    """``GET /health`` when the database answers."""

    status: Literal["ok"] = "ok"


class HealthUnavailable(BaseModel):
    """``GET /health`` when it does not."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "unavailable", "detail": "database file was deleted"}]
        }
    )

    status: Literal["unavailable"] = "unavailable"
    detail: str
