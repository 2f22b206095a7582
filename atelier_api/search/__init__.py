"""Text search over a namespace's documents: ``action/search`` and the ``/work`` search.

Owns query and pattern compilation, regex safety, document selection, scanning (file by file
and over the in-memory corpus), class outlines, rendering the hits and the child processes
that run user regexes. The modules, each importing only those listed before it:

* ``sre``: the standard library's regex parser (``re._parser``) and its repeat operators;
* ``regex_safety``: refusing regexes whose backtracking can explode;
* ``query``: ``SearchQuery``, the compiled ``Pattern``, the limits and the result shapes;
* ``corpus``: the in-memory corpus of decoded texts, kept current on every change;
* ``selection``: which documents a query searches (masks, system, include/exclude);
* ``outlines``: class outlines and where a hit is reported (member, attr, line);
* ``plan``: how a query runs over the corpus (line-local check, lower-cased rewrite);
* ``scan``: scanning one document's lines and the corpus chunks;
* ``workers``: the forked child processes (kept worker, one-off forks) and their pipes;
* ``render``: hits as match dicts, console lines and envelope JSON built as text;
* ``service``: the public entry (``search_envelope``, ``search_all``, ``search_job``,
  ``validate``), what ``api/actions.py`` and ``api/work.py`` call.

May import ``work``, ``config``, ``documents``, ``adapters``, ``errors`` and ``version``;
nothing from ``compile``, ``sql``, ``xmlexport``, ``sandbox``, ``api`` or ``services``.
"""
