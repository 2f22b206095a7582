"""The conformance check the intrinsic tables share (test_functions, test_lists,
test_dates): a call of a registered function gives exactly a value (and its type), or an
ObjectScript error (``Err``)."""

from __future__ import annotations

from typing import Any

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.functions import FUNCTIONS


class Err:
    """An expected ObjectScript error: ``Err("FUNCTION")`` is ``<FUNCTION>``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return f"<{self.code}>"


def check_call(name: str, args: tuple[Any, ...], expected: Any) -> None:
    """``FUNCTIONS[name](*args)`` is ``expected`` (equal and of the same type), or raises
    the error ``expected`` names."""
    fn = FUNCTIONS[name]
    if isinstance(expected, Err):
        with pytest.raises(ObjectScriptError) as info:
            fn(*args)
        assert info.value.code == expected.code
    else:
        got = fn(*args)
        assert got == expected
        assert type(got) is type(expected)
