"""The standard library's regex parser (``re._parser``), for the modules that read parsed
patterns, and its repeat operators."""

from __future__ import annotations

__all__ = ["REPEATS", "sre_parse"]


try:  # Python 3.11+: the parser lives in re._parser; sre_parse is its deprecated alias
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse


REPEATS = tuple(getattr(sre_parse, op) for op in (
    "MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if hasattr(sre_parse, op))
