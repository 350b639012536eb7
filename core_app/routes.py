"""The todo and tag endpoints, served from ``core_app.repository``, a Connection per request."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from core_app import repository
from core_app.db import ConnDep
from todo_contract.errors import todo_not_found
from todo_contract.etags import IfMatchDep, tag_response
from todo_contract.params import TODO_PATH, TagPageDep, TodoFilterDep, TodoId
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
def create_todo(body: TodoCreate, connection: ConnDep, response: Response) -> TodoRead:
    """Create a todo; ``Location`` gives its path and ``ETag`` its version."""
    todo = repository.create_todo(connection, body)
    response.headers["Location"] = location(todo.id)
    return tag_response(response, todo)


@todos.get("")
def list_todos(query: TodoFilterDep, connection: ConnDep) -> list[TodoRead]:
    """List todos by ascending id, optionally filtered by ``completed`` and ``tag``."""
    return repository.list_todos(connection, query)


@todos.get("/count")
def count_todos(connection: ConnDep) -> TodoCount:
    """Count all, completed and pending todos."""
    return repository.count_todos(connection)


@todos.get(TODO_PATH, responses=TAGGED | NOT_FOUND)
def get_todo(todo_id: TodoId, connection: ConnDep, response: Response) -> TodoRead:
    """Get one todo, with its version in ``ETag``."""
    todo = repository.get_todo(connection, todo_id)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.put(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
def replace_todo(
    todo_id: TodoId,
    body: TodoReplace,
    precondition: IfMatchDep,
    connection: ConnDep,
    response: Response,
) -> TodoRead:
    """Replace a todo's title, completed and priority, and its tags when they are sent."""
    changes = body.model_dump(exclude_unset=True)
    todo = repository.update_todo(connection, todo_id, changes, precondition)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.patch(TODO_PATH, responses=TAGGED | NOT_FOUND | CHANGED_SINCE | BODY_ERRORS)
def update_todo(
    todo_id: TodoId,
    body: TodoPatch,
    precondition: IfMatchDep,
    connection: ConnDep,
    response: Response,
) -> TodoRead:
    """Change only the fields sent."""
    changes = body.model_dump(exclude_unset=True)
    todo = repository.update_todo(connection, todo_id, changes, precondition)
    if todo is None:
        raise todo_not_found(todo_id)
    return tag_response(response, todo)


@todos.delete(
    TODO_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CHANGED_SINCE
)
def delete_todo(todo_id: TodoId, precondition: IfMatchDep, connection: ConnDep) -> Response:
    """Delete a todo."""
    if not repository.delete_todo(connection, todo_id, precondition):
        raise todo_not_found(todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@tags.get("")
def list_tags(page: TagPageDep, connection: ConnDep) -> list[TagCount]:
    """List the tags some todo carries, by name, with how many todos carry each."""
    return repository.list_tags(connection, page)


router = APIRouter()
router.include_router(todos)
router.include_router(tags)
