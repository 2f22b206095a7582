"""The bundled system library: class signatures (``system_classes/``) and include files
(``system_includes/``), read by ``bundle``.

May import: ``macros``, ``reading``, ``console``, ``qspec``.
"""
