"""Checks: the errors IRIS reports, and no others.

Owns: syntax errors per member (``syntax``) with the ObjectScript vocabulary (``vocabulary``),
and class-level semantic checks (``classes``: names, duplicates, missing classes, Final,
circular inheritance).
May import: ``resolution``, ``library``, ``macros``, ``reading``, ``console``, ``qspec``.
"""
