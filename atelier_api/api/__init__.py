"""The HTTP layer: one view module per resource group, and their schemas (``api/schemas/``).

Owns: routes, request parsing, version gating, envelopes and status codes. A view parses,
calls one service, and answers; no filesystem, SQL or thread code lives here.
May import: ``operations``, ``services`` and everything below them (docs/architecture.md).
"""
