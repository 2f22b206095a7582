"""Text search over a namespace's documents: ``action/search`` and the ``/work`` search.

Owns query and pattern compilation, regex safety, document selection, scanning (file by file
and over the in-memory corpus), class outlines, rendering the hits and the child processes
that run user regexes. The modules, each importing only those listed before it:

* ``sre``: the standard library's regex parser (``re._parser``) and its repeat operators;
* ``charsets``: what a single-character item matches in Python's ``re``, as code point ranges;
* ``engine``: the two regex engines (RE2, linear time, for every pattern it can express;
  Python's backtracking ``re`` for what RE2 lacks) and a pattern written for RE2;
* ``automaton``: include/exclude patterns that RE2 cannot run (look-arounds), on a lazily built
  DFA with the look-arounds as predicates of the position: a bounded time per name;
* ``jsregex``: include/exclude patterns, JavaScript sources, in Python's syntax;
* ``regex_safety``: refusing patterns for the backtracking engine whose backtracking can
  explode;
* ``query``: ``SearchQuery``, the compiled ``Pattern``, the include/exclude ``NamePattern``,
  the limits and the result shapes;
* ``processes``: forking the child processes (tied to the server, registered, reaped);
* ``corpus``: the in-memory corpus of decoded texts, kept current on every change;
* ``selection``: which documents a query searches (masks, system, include/exclude);
* ``outlines``: class outlines and where a hit is reported (member, attr, line);
* ``plan``: how a query runs over the corpus (the line-local check);
* ``scan``: scanning one document's lines and the corpus chunks;
* ``workers``: the child processes that scan (kept worker, one-off forks) and their pipes;
* ``render``: hits as match dicts, console lines and envelope JSON built as text;
* ``service``: the public entry (``search_envelope``, ``search_all``, ``search_job``,
  ``validate``), what ``api/actions.py`` and ``api/work.py`` call.

May import ``work``, ``config``, ``documents``, ``adapters``, ``errors`` and ``version``;
nothing from ``compile``, ``sql``, ``xmlexport``, ``sandbox``, ``api`` or ``services``, and
nothing of the web layer: whether a client went away comes in as a callable
(``atelier_api.api.disconnect``).
"""
