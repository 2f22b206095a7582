"""The compiler adapter boundary: the contract adapters implement, and their discovery.

Owns: ``contract`` (frozen request/result dataclasses, the ``Adapter`` base class, the
cancellation token; standard library only, the one module an adapter imports),
``discovery`` (finding adapters through the ``atelier_api.compilers`` entry point group) and
``system_library`` (the adapter's system documents as the server serves them).
May import: ``errors`` and ``version``; nothing else of the server.
"""
