"""The compiler adapter boundary: the contract adapters implement, and their discovery.

Owns: ``contract`` (frozen request/result dataclasses, the ``Adapter`` base class, the
cancellation token; standard library only, the one module an adapter imports) and
``discovery`` (finding adapters through the ``atelier_api.compilers`` entry point group).
May import: ``errors`` and ``version``; nothing else of the server.
"""
