"""Parenthesised operands anywhere in an expression, the first one included (``(1)+1`` was a
``<SYNTAX>``): strict left-to-right evaluation, with a parenthesis a single operand
("Operator Precedence" in the ObjectScript guide: parentheses force an order; otherwise
left to right)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process

CASES = [
    ("write (1)+1", "2"),
    ("set x=(5#4)+1 write x", "2"),
    ("write (2+3)*4", "20"),
    ("write 2+(3*4)", "14"),
    ("write ((1+2)*3)_\"x\"", "9x"),
    ('write ("a")_("b")="ab"', "1"),
    ("write 1+(2)*3", "9"),
    ("write (1+2)*(3+4)-(5)", "16"),
    ("write -(2)+5", "3"),
    ("write '(1)&1", "0"),
    ('if (1)&(0) { write "y" } else { write "n" }', "n"),
    ("write ((((7))))", "7"),
]


@pytest.mark.parametrize(("line", "printed"), CASES)
def test_parenthesised_operands(tmp_path: Path, line: str, printed: str) -> None:
    store = GlobalStore(str(tmp_path / "g.sqlite"))
    device = BufferDevice()
    try:
        Process("USER", store, lambda _name: None, device).execute(line)
    finally:
        store.close()
    assert device.out == printed
