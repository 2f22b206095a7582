"""Compiling a namespace through its adapter.

Owns: the compile service of one namespace (sync and ``/work`` compiles, masks and flags), the
compile state kept in SQLite (``upd``, generated documents), the read-only workspace view the
adapter reads sources through, the console of a compile, and the index and macro look-ups.
May import: ``work``, ``config``, ``documents``, ``adapters``, ``errors``, ``version``.
The adapter contract itself lives in ``atelier_api.adapters``.
"""
