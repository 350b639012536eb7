"""The framework floor: the same API surface with no database behind it.

Same routes, parameters, headers, request and response models, error handlers and middleware
as the two apps, answering with todos built once in memory. What a request costs here is what
FastAPI, Starlette, pydantic and the ASGI server cost before any data access; the distance
from this floor to an app is what its data layer adds.

The async floor (``create_async_app``, ``python -m benchmarks.floor --async``) is the same
on asyncio, as the async apps are written: ``async def`` endpoints, the contract's own
dependencies run on the event loop (``todo_contract.params``' and ``etags``' ``Async…Dep``),
and with ``dependency=True`` an ``async def`` yield dependency standing in for the
AsyncSession's. Against the sync floor it shows what FastAPI's thread pool costs a request
that needs no database: the hops the async apps save.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Depends, FastAPI, Response, status

from benchmarks.database import seeded_tags
from todo_contract.app import API_DESCRIPTION, API_VERSION, install_middleware
from todo_contract.clock import utc_now
from todo_contract.errors import install_error_handlers, todo_not_found
from todo_contract.etags import AsyncIfMatchDep, IfMatchDep, tag_response
from todo_contract.params import (
    TODO_PATH,
    AsyncTagPageDep,
    AsyncTodoFilterDep,
    TagPageDep,
    TodoFilterDep,
    TodoId,
)
from todo_contract.routing import (
    BODY_ERRORS,
    CHANGED_SINCE,
    CREATED,
    NOT_FOUND,
    TAGGED,
    location,
)
from todo_contract.schemas import (
    HealthOk,
    TagCount,
    TodoCount,
    TodoCreate,
    TodoPatch,
    TodoRead,
    TodoReplace,
)
from todo_contract.settings import Settings

ROWS = 1000
NOW = utc_now()
TODOS = [
    TodoRead(
        id=number,
        title=f"seeded todo {number}",
        completed=number % 2 == 0,
        priority=number % 5,
        tags=names,
        created_at=NOW,
        updated_at=NOW,
    )
    for number, names in zip(range(1, ROWS + 1), seeded_tags(ROWS), strict=True)
]
"""The benchmark's seeded todos, their tags included (so a page weighs what the apps' do)."""
COMPLETED = [todo for todo in TODOS if todo.completed]
TAG_COUNTS = [
    TagCount(name=name, todos=todos)
    for name, todos in sorted(Counter(name for todo in TODOS for name in todo.tags).items())
]

router = APIRouter(prefix="/todos", tags=["todos"])


def _find(todo_id: int) -> TodoRead:
    if todo_id > ROWS:
        raise todo_not_found(todo_id)
    return TODOS[todo_id - 1]


@router.post("", status_code=status.HTTP_201_CREATED, responses=CREATED | BODY_ERRORS)
def create_todo(body: TodoCreate, response: Response) -> TodoRead:
    """Validate the body, answer a todo (nothing is stored)."""
    todo = TodoRead(id=ROWS + 1, created_at=NOW, updated_at=NOW, **body.model_dump())
    response.headers["Location"] = location(todo.id)
    return tag_response(response, todo)


@router.get("")
def list_todos(query: TodoFilterDep) -> list[TodoRead]:
    """Slice the in-memory list (filtered by tag when asked)."""
    source = TODOS if query.completed is None else COMPLETED
    if query.tag is not None:
        source = [todo for todo in source if query.tag in todo.tags]
    return source[query.offset : query.offset + query.limit]


@router.get("/count")
def count_todos() -> TodoCount:
    """Constant counts."""
    return TodoCount(total=ROWS, completed=len(COMPLETED), pending=ROWS - len(COMPLETED))


@router.get(TODO_PATH, responses=TAGGED | NOT_FOUND)
def get_todo(todo_id: TodoId, response: Response) -> TodoRead:
    """Index the in-memory list."""
    return tag_response(response, _find(todo_id))


def _merge(todo_id: int, changes: dict[str, object], precondition: IfMatchDep) -> TodoRead:
    todo = _find(todo_id)
    if precondition is not None:
        precondition.check(todo.id, todo.updated_at)
    return todo.model_copy(update=changes)


@router.put(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
def replace_todo(
    todo_id: TodoId, body: TodoReplace, precondition: IfMatchDep, response: Response
) -> TodoRead:
    """Merge and answer (nothing is stored)."""
    return tag_response(response, _merge(todo_id, body.model_dump(), precondition))


@router.patch(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
def update_todo(
    todo_id: TodoId, body: TodoPatch, precondition: IfMatchDep, response: Response
) -> TodoRead:
    """Merge and answer (nothing is stored)."""
    changes = body.model_dump(exclude_unset=True)
    return tag_response(response, _merge(todo_id, changes, precondition))


@router.delete(
    TODO_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CHANGED_SINCE
)
def delete_todo(todo_id: TodoId, precondition: IfMatchDep) -> Response:
    """Answer 204 (nothing is deleted)."""
    _merge(todo_id, {}, precondition)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


tags_router = APIRouter(prefix="/tags", tags=["tags"])


@tags_router.get("")
def list_tags(page: TagPageDep) -> list[TagCount]:
    """Slice the in-memory counts."""
    return TAG_COUNTS[page.offset : page.offset + page.limit]


health_router = APIRouter(tags=["health"])


@health_router.get("/health")
def health() -> HealthOk:
    """Always ok: there is no database."""
    return HealthOk()


def session_stand_in() -> Iterator[None]:
    """A sync yield dependency that does nothing: what ``SessionDep`` costs FastAPI alone.

    FastAPI runs a sync generator dependency in its thread pool, on entry and on exit, as it
    does ``get_session``/``get_connection``; this measures those hops without a database.
    """
    yield None


def create_app(database_url: str = "", *, dependency: bool = False, **_: object) -> FastAPI:
    """The floor app (``database_url`` is accepted and ignored, like the apps' signature).

    With ``dependency=True`` every todo route also runs ``session_stand_in``.
    """
    app = FastAPI(
        title="Todo API (framework floor)", version=API_VERSION, description=API_DESCRIPTION
    )
    install_error_handlers(app)
    install_middleware(app, Settings())
    app.include_router(health_router)
    dependencies = [Depends(session_stand_in)] if dependency else None
    app.include_router(router, dependencies=dependencies)
    app.include_router(tags_router, dependencies=dependencies)
    return app


async_router = APIRouter(prefix="/todos", tags=["todos"])


@async_router.post("", status_code=status.HTTP_201_CREATED, responses=CREATED | BODY_ERRORS)
async def async_create_todo(body: TodoCreate, response: Response) -> TodoRead:
    """``create_todo`` as ``async def``."""
    return create_todo(body, response)


@async_router.get("")
async def async_list_todos(query: AsyncTodoFilterDep) -> list[TodoRead]:
    """``list_todos`` as ``async def``."""
    return list_todos(query)


@async_router.get("/count")
async def async_count_todos() -> TodoCount:
    """``count_todos`` as ``async def``."""
    return count_todos()


@async_router.get(TODO_PATH, responses=TAGGED | NOT_FOUND)
async def async_get_todo(todo_id: TodoId, response: Response) -> TodoRead:
    """``get_todo`` as ``async def``."""
    return get_todo(todo_id, response)


@async_router.put(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
async def async_replace_todo(
    todo_id: TodoId, body: TodoReplace, precondition: AsyncIfMatchDep, response: Response
) -> TodoRead:
    """``replace_todo`` as ``async def``."""
    return replace_todo(todo_id, body, precondition, response)


@async_router.patch(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
async def async_update_todo(
    todo_id: TodoId, body: TodoPatch, precondition: AsyncIfMatchDep, response: Response
) -> TodoRead:
    """``update_todo`` as ``async def``."""
    return update_todo(todo_id, body, precondition, response)


@async_router.delete(
    TODO_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CHANGED_SINCE
)
async def async_delete_todo(todo_id: TodoId, precondition: AsyncIfMatchDep) -> Response:
    """``delete_todo`` as ``async def``."""
    return delete_todo(todo_id, precondition)


async_tags_router = APIRouter(prefix="/tags", tags=["tags"])


@async_tags_router.get("")
async def async_list_tags(page: AsyncTagPageDep) -> list[TagCount]:
    """``list_tags`` as ``async def``."""
    return list_tags(page)


async_health_router = APIRouter(tags=["health"])


@async_health_router.get("/health")
async def async_health() -> HealthOk:
    """Always ok: there is no database."""
    return HealthOk()


async def async_session_stand_in() -> AsyncIterator[None]:
    """An ``async def`` yield dependency that does nothing: what the async apps'
    ``get_session``/``get_connection`` cost FastAPI alone (run on the event loop, no hop)."""
    yield None


def create_async_app(database_url: str = "", *, dependency: bool = False, **_: object) -> FastAPI:
    """The async floor app (``database_url`` is accepted and ignored).

    With ``dependency=True`` every todo route also runs ``async_session_stand_in``.
    """
    app = FastAPI(
        title="Todo API (framework floor, asyncio)",
        version=API_VERSION,
        description=API_DESCRIPTION,
    )
    install_error_handlers(app)
    install_middleware(app, Settings())
    app.include_router(async_health_router)
    dependencies = [Depends(async_session_stand_in)] if dependency else None
    app.include_router(async_router, dependencies=dependencies)
    app.include_router(async_tags_router, dependencies=dependencies)
    return app


if __name__ == "__main__":
    from todo_contract.cli import run

    raise SystemExit(
        run(
            create_app,
            prog="python -m benchmarks.floor",
            async_app="benchmarks.floor:create_async_app",
        )
    )
