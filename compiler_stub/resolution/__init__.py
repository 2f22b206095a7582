"""Resolution: classes against the compile set, the workspace and the library; compile order.

Owns: the class world (``world``: look-ups, superclass chains) and the compile set and its order
(``order``).
May import: ``library``, ``macros``, ``reading``, ``console``, ``qspec``.
"""
