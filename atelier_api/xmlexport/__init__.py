"""XML export format: documents <-> the InterSystems ``<Export>`` XML (see docs/xml.md)."""
