"""The todo endpoints, served from ``orm_app.repository`` through a Session per request."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from orm_app import repository
from orm_app.db import SessionDep
from todo_contract.errors import todo_not_found
from todo_contract.params import TODO_PATH, TodoFilterDep, TodoId
from todo_contract.routing import BODY_ERRORS, CREATED, NOT_FOUND, location
from todo_contract.schemas import TodoCount, TodoCreate, TodoPatch, TodoRead, TodoReplace

router = APIRouter(prefix="/todos", tags=["todos"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=CREATED | BODY_ERRORS)
def create_todo(body: TodoCreate, session: SessionDep, response: Response) -> TodoRead:
    """Create a todo; ``Location`` gives its path."""
    todo = repository.create_todo(session, body)
    response.headers["Location"] = location(todo.id)
    return todo


@router.get("")
def list_todos(query: TodoFilterDep, session: SessionDep) -> list[TodoRead]:
    """List todos by ascending id, optionally filtered by ``completed``."""
    return repository.list_todos(session, query)


@router.get("/count")
def count_todos(session: SessionDep) -> TodoCount:
    """Count all, completed and pending todos."""
    return repository.count_todos(session)


@router.get(TODO_PATH, responses=NOT_FOUND)
def get_todo(todo_id: TodoId, session: SessionDep) -> TodoRead:
    """Get one todo."""
    todo = repository.get_todo(session, todo_id)
    if todo is None:
        raise todo_not_found(todo_id)
    return todo


@router.put(TODO_PATH, responses=NOT_FOUND | BODY_ERRORS)
def replace_todo(todo_id: TodoId, body: TodoReplace, session: SessionDep) -> TodoRead:
    """Replace a todo's title, completed and priority."""
    todo = repository.update_todo(session, todo_id, body.model_dump())
    if todo is None:
        raise todo_not_found(todo_id)
    return todo


@router.patch(TODO_PATH, responses=NOT_FOUND | BODY_ERRORS)
def update_todo(todo_id: TodoId, body: TodoPatch, session: SessionDep) -> TodoRead:
    """Change only the fields sent."""
    todo = repository.update_todo(session, todo_id, body.model_dump(exclude_unset=True))
    if todo is None:
        raise todo_not_found(todo_id)
    return todo


@router.delete(TODO_PATH, status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_todo(todo_id: TodoId, session: SessionDep) -> Response:
    """Delete a todo."""
    if not repository.delete_todo(session, todo_id):
        raise todo_not_found(todo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
