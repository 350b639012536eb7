"""What both todo apps share: the API contract and everything that is not the data layer.

``orm_app`` and ``core_app`` differ only in how they talk to the database. Everything else —
schemas, settings, the table, error handling, the body-size limit, health, the CLI and the
Alembic migrations — lives here once, so that the two apps cannot drift apart by accident.
"""
