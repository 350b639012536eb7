"""core_app's data access, under the throwaway variant's name."""

from core_app.repository import (
    count_todos,
    create_todo,
    delete_todo,
    get_todo,
    list_tags,
    list_todos,
    update_todo,
)

__all__ = [
    "count_todos",
    "create_todo",
    "delete_todo",
    "get_todo",
    "list_tags",
    "list_todos",
    "update_todo",
]
