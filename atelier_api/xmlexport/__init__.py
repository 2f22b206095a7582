"""The XML export format: documents <-> the InterSystems ``<Export>`` XML (see docs/xml.md).

Owns: the format (classes, routines, web files, hostile-input guard), the XML endpoints'
operations over a store, the Interoperability class lists, and ``XmlFormat``, the codec the
container attaches to every store.
May import: ``work``, ``config``, ``documents``, ``adapters``, ``errors``, ``version``.
"""
