"""DELETE /todos/{id}: 204 with an empty body, then 404 for that todo.

Deleting twice or deleting a missing todo is 404, the other todos stay as they were, and ids
created afterwards are larger than every earlier one (never reused).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared_tests.helpers import create_todo


def not_found(todo_id: int) -> dict[str, str]:
    return {"detail": f"Todo {todo_id} not found"}


def test_deleting_a_todo_answers_204_with_an_empty_body(client: TestClient) -> None:
    todo = create_todo(client)

    response = client.delete(f"/todos/{todo['id']}")

    assert response.status_code == 204
    assert response.content == b""


def test_a_deleted_todo_is_gone_from_get_the_list_and_the_count(client: TestClient) -> None:
    todo = create_todo(client, completed=True)
    assert client.delete(f"/todos/{todo['id']}").status_code == 204

    response = client.get(f"/todos/{todo['id']}")

    assert response.status_code == 404
    assert response.json() == not_found(todo["id"])
    assert client.get("/todos").json() == []
    assert client.get("/todos/count").json() == {"total": 0, "completed": 0, "pending": 0}


def test_deleting_a_todo_twice_is_404_the_second_time(client: TestClient) -> None:
    todo = create_todo(client)
    assert client.delete(f"/todos/{todo['id']}").status_code == 204

    response = client.delete(f"/todos/{todo['id']}")

    assert response.status_code == 404
    assert response.json() == not_found(todo["id"])


def test_deleting_a_todo_that_never_existed_is_404_and_deletes_nothing(
    client: TestClient,
) -> None:
    todo = create_todo(client)

    response = client.delete("/todos/424242")

    assert response.status_code == 404
    assert response.json() == not_found(424242)
    assert client.get("/todos").json() == [todo]


def test_deleting_the_largest_possible_id_is_404(client: TestClient) -> None:
    response = client.delete(f"/todos/{2**63 - 1}")

    assert response.status_code == 404
    assert response.json() == not_found(2**63 - 1)


def test_deleting_one_todo_leaves_the_others_unchanged(client: TestClient) -> None:
    first = create_todo(client, title="first", priority=1)
    middle = create_todo(client, title="middle", completed=True)
    last = create_todo(client, title="last", priority=-1)

    assert client.delete(f"/todos/{middle['id']}").status_code == 204

    assert client.get("/todos").json() == [first, last]
    assert client.get(f"/todos/{first['id']}").json() == first
    assert client.get(f"/todos/{last['id']}").json() == last
    assert client.get("/todos/count").json() == {"total": 2, "completed": 0, "pending": 2}


def test_ids_created_after_a_delete_are_larger_than_every_earlier_id(
    client: TestClient,
) -> None:
    earlier = [create_todo(client, title=f"todo {n}")["id"] for n in range(3)]
    for todo_id in [earlier[1], earlier[2]]:
        assert client.delete(f"/todos/{todo_id}").status_code == 204

    later = [create_todo(client, title=f"later {n}")["id"] for n in range(2)]

    assert later[0] > max(earlier)
    assert later[1] > later[0]
    assert [todo["id"] for todo in client.get("/todos").json()] == [earlier[0], *later]


def test_ids_keep_growing_after_every_todo_is_deleted(client: TestClient) -> None:
    earlier = [create_todo(client)["id"] for _ in range(3)]
    for todo_id in earlier:
        assert client.delete(f"/todos/{todo_id}").status_code == 204

    after = create_todo(client)["id"]

    assert after > max(earlier)
