"""The todo and tag endpoints, from ``orm_app.aio.repository``, an AsyncSession per request."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from orm_app.aio import repository
from orm_app.aio.db import SessionDep
from todo_contract.errors import todo_not_found
from todo_contract.etags import AsyncIfMatchDep as IfMatchDep
from todo_contract.etags import tag_response
from todo_contract.params import TODO_PATH, TodoId
from todo_contract.params import AsyncTagPageDep as TagPageDep
from todo_contract.params import AsyncTodoFilterDep as TodoFilterDep
from todo_contract.routing import (
    BODY_ERRORS,
    CHANGED_SINCE,
    CREATED,
    NOT_FOUND,
    TAGGED,
    location,
)
from todo_contract.schemas import (
    TagCount,
    TodoCount,
    TodoCreate,
    TodoPatch,
    TodoRead,
    TodoReplace,
)

todos = APIRouter(prefix="/todos", tags=["todos"])
tags = APIRouter(prefix="/tags", tags=["tags"])


@todos.post("", status_code=status.HTTP_201_CREATED, responses=CREATED | BODY_ERRORS)
async def create_todo(body: TodoCreate, session: SessionDep, response: Response) -> TodoRead:
    """Create a todo; ``Location`` gives its path and ``ETag`` its version."""
    todo = await repository.create_todo(session, body)
    response.headers["Location"] = location(todo.id)
    return tag_response(response, todo)


@todos.get("")
async def list_todos(query: TodoFilterDep, session: SessionDep) -> list[TodoRead]:
    """List todos by ascending id, optionally filtered by ``completed`` and ``tag``."""
    return await repository.list_todos(session, query)


@todos.get("/count")
async def count_todos(session: SessionDep) -> TodoCount:
    """Count all, completed and pending todos."""
    return await repository.count_todos(session)


@todos.get(TODO_PATH, responses=TAGGED | NOT_FOUND)
async def get_todo(todo_id: TodoId, session: SessionDep, response: Response) -> TodoRead:
    """Get one todo, with its version in ``ETag``."""
    todo = await repository.get_todo(session, todo_id)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.put(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
async def replace_todo(
    todo_id: TodoId,
    body: TodoReplace,
    precondition: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> TodoRead:
    """Replace a todo's title, completed and priority, and its tags when they are sent."""
    changes = body.model_dump(exclude_unset=True)
    todo = await repository.update_todo(session, todo_id, changes, precondition)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.patch(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
async def update_todo(
    todo_id: TodoId,
    body: TodoPatch,
    precondition: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> TodoRead:
    """Change only the fields sent."""
    changes = body.model_dump(exclude_unset=True)
    todo = await repository.update_todo(session, todo_id, changes, precondition)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.delete(
    TODO_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CHANGED_SINCE
)
async def delete_todo(todo_id: TodoId, precondition: IfMatchDep, session: SessionDep) -> Response:
    """Delete a todo."""
    if not await repository.delete_todo(session, todo_id, precondition):
        raise todo_not_found(todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@tags.get("")
async def list_tags(page: TagPageDep, session: SessionDep) -> list[TagCount]:
    """List the tags some todo carries, by name, with how many todos carry each."""
    return await repository.list_tags(session, page)


router = APIRouter()
router.include_router(todos)
router.include_router(tags)
