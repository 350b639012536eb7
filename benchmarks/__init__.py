"""The ORM-versus-SQL benchmark: the cost ladder from the raw driver to HTTP.

Run it with ``python -m benchmarks`` (or ``make bench``); see ``benchmarks/README.md``.
"""
