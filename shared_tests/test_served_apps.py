"""The running apps the ``client`` fixture shares (``shared_tests.served_apps``).

Every test taking ``client`` trusts that it starts on an empty database whose first todo gets
id 1, whatever the tests before it in the same worker wrote; and that a test inspecting or
breaking its own database never does it through a client on another one.
"""

from __future__ import annotations

import pytest

from shared_tests.served_apps import ServedApps, refuse_mixed_clients


def test_an_app_emptied_for_the_next_test_has_no_rows_and_numbers_todos_from_one_again(
    served_apps: ServedApps, app_kind: str, backend: str
) -> None:
    client = served_apps.get(app_kind, backend).client
    for title in ("a", "b", "c"):
        assert client.post("/todos", json={"title": title}).status_code == 201
    assert client.get("/todos/count").json()["total"] == 3

    again = served_apps.get(app_kind, backend)

    assert again.client is client, "the app was started again instead of emptied"
    assert client.get("/todos").json() == []
    assert client.post("/todos", json={"title": "first again"}).json()["id"] == 1


@pytest.mark.parametrize("own", ["app", "database_url"])
def test_a_test_taking_client_with_its_own_app_or_database_is_refused(own: str) -> None:
    with pytest.raises(pytest.UsageError, match=f"takes client and {own}.*take app_client"):
        refuse_mixed_clients("test_x", ["client", own, "backend"])


def test_a_test_taking_only_client_is_served() -> None:
    refuse_mixed_clients("test_x", ["client", "app_kind", "backend", "tmp_path"])
