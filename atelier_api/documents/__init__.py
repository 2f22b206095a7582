"""Documents of a namespace, as files in the client's repository, in whatever layout it has.

Owns: the grammar of document names, what a file's header declares (``declared``: its name
and stored form, ``%RO`` and header-less routines shown as UDL), the name map of a root
(``namemap``: names from headers, duplicates, where a new document goes), the layouts of new
documents, byte-faithful text decoding,
the timestamp index, the store (compare-and-swap saves, deletes, listings), decoded texts,
UDL scanning, compile sets (names and masks), and the protocols of what other packages attach
to a store (``extensions``: compile state, the XML export format).
May import: ``adapters``, ``errors``, ``version``; nothing above it (docs/architecture.md).
"""
