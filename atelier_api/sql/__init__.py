"""``action/query``: the IRIS SQL that IDE clients send, parsed with sqlglot, run on SQLite.

Owns: the dialect, the functions allow-list, the ``%Dictionary`` tables (class dictionary),
Studio projects, the class queries (``StudioOpenDialog`` and others). See docs/sql.md.
May import: ``work``, ``config``, ``documents``, ``adapters``, ``errors``, ``version``.
"""
