"""Documents of a namespace, as files in the client's repository layout.

Owns: the grammar of document names, the name <-> path layout, byte-faithful text decoding,
the timestamp index, the store (compare-and-swap saves, deletes, listings), decoded texts,
UDL scanning, compile sets (names and masks), and the protocols of what other packages attach
to a store (``extensions``: compile state, the XML export format).
May import: ``adapters``, ``errors``, ``version``; nothing above it (docs/architecture.md).
"""
