"""The ORM-versus-SQL benchmark (not built yet; see ``python -m benchmarks``)."""
