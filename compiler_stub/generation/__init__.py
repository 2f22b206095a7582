"""Generation: what a compile writes: storage definitions and generated ``.int`` routines.

Owns: ``storage`` (Storage sections generated or extended in place) and ``intcode`` (the
``.1.int`` / ``.G1.int`` routines and MAC -> INT).
May import: ``checks``, ``resolution``, ``library``, ``macros``, ``reading``, ``console``,
``qspec``. A ``runtime/`` package (running ObjectScript) will sit beside it.
"""
