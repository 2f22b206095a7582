"""Conformance table of the $LIST family (compiler_stub/runtime/lists.py).

Every case is ``(function, args, expected)``: an exact value (type included) or ``Err(code)``.
The comment on each case names where the expected value comes from: a page of the InterSystems
ObjectScript Reference (RCOS_f...) and its example, or a byte layout cross-checked against the
list codecs of InterSystems' native drivers (noted "codec").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from intrinsics import Err, check_call

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.functions import FUNCTIONS, SET_FORMS
from compiler_stub.runtime.lists import UNCHANGED, UNDEF, End, items, listbuild


def c(*codes: int) -> str:
    return "".join(map(chr, codes))


LB = listbuild
RGB = LB("Red", "Blue", "Green")
GAP = LB("Red", None, "Green")  # $LB("Red",,"Green")

CASES: list[tuple[str, tuple[Any, ...], Any]] = [
    # --- encoding of $LISTBUILD (codec: length byte, type byte, payload)
    ("$LB", ("abc",), c(5, 1, 97, 98, 99)),  # codec: 8-bit string, type 1
    ("$LB", ("",), c(2, 1)),  # codec: empty string = type 1 without payload
    ("$LB", (None,), c(1)),  # codec: element without value = lone 01
    ("$LB", (), c(1)),  # RCOS_flistbuild: $LB() is one element without a value
    ("$LB", (0,), c(2, 4)),  # codec: integer 0 has no payload
    ("$LB", (1,), c(3, 4, 1)),  # codec: positive integer, type 4
    ("$LB", (144,), c(3, 4, 0x90)),  # codec example 144
    ("$LB", (256,), c(4, 4, 0, 1)),  # codec example 256: little-endian
    ("$LB", (-1,), c(2, 5)),  # codec example -1: type 5 without payload
    ("$LB", (-256,), c(3, 5, 0)),  # codec example -256
    ("$LB", (-257,), c(4, 5, 0xFF, 0xFE)),  # codec example -257
    ("$LB", (Decimal("1.5"),), c(4, 6, 0xFF, 15)),  # codec: decimal = exponent -1, mantissa 15
    ("$LB", (Decimal("-1.5"),), c(4, 7, 0xFF, 0xF1)),  # codec: negative mantissa, type 7
    ("$LB", (Decimal("-0.1"),), c(3, 7, 0xFF)),  # codec: mantissa -1 has no bytes
    ("$LB", (10**20,), c(4, 6, 20, 1)),  # codec: beyond 64 bits as mantissa 1 exponent 20
    ("$LB", (1.5,), c(4, 8, 0xC0, 0x3F)),  # codec: compact double, float32 0x3FC00000
    ("$LB", (0.0,), c(2, 8)),  # codec: +0 double without payload
    ("$LB", ("тест",), c(10, 2, 0x42, 4, 0x35, 4, 0x41, 4, 0x42, 4)),  # codec: UTF-16LE type 2
    ("$LB", ("x" * 253,), c(255, 1) + "x" * 253),  # codec: 253 bytes still one length byte
    ("$LB", ("x" * 254,), c(0, 255, 0, 1) + "x" * 254),  # codec: long form 00 + LE16(size+1)
    ("$LB", ("a", "b"), c(3, 1, 97, 3, 1, 98)),  # RCOS_flistbuild: elements concatenated
    ("$LISTBUILD", ("1",), c(3, 1, 49)),  # RCOS_flistbuild: a string stays a string
    # --- $LIST
    ("$LI", (RGB, 2), "Blue"),  # RCOS_flist example: $LIST(list,2) prints Blue
    ("$LIST", (RGB,), "Red"),  # RCOS_flist: one argument returns the first element
    ("$LIST", (RGB, -1), "Green"),  # RCOS_flist: -1 is the last element
    ("$LIST", (RGB, End(0)), "Green"),  # RCOS_flist: * is the last element
    ("$LIST", (RGB, End(-1)), "Blue"),  # TOS_Lists: $list(mail,*-1) is next to last
    ("$LIST", (RGB, 4), Err("NULL VALUE")),  # RCOS_flist: position past the end
    ("$LIST", (RGB, 0), Err("NULL VALUE")),  # RCOS_flist: position 0 (two-argument form)
    ("$LIST", (GAP, 2), Err("NULL VALUE")),  # RCOS_flist: element without a value
    ("$LIST", (RGB, -2), Err("RANGE")),  # RCOS_flist: position below -1
    ("$LIST", ("abc", 1), Err("LIST")),  # RCOS_flist: not a list
    ("$LIST", ("", 1), Err("NULL VALUE")),  # RCOS_flist: empty list has no element 1
    ("$LIST", (RGB, 2, 3), LB("Blue", "Green")),  # RCOS_flist: a range gives a sublist
    ("$LIST", (RGB, 2, 9), LB("Blue", "Green")),  # RCOS_flist: end past the end stops there
    ("$LIST", (RGB, 3, 2), ""),  # RCOS_flist: end before position gives ""
    ("$LIST", (RGB, 5, 6), ""),  # RCOS_flist: range past the end gives ""
    ("$LIST", (RGB, 1, -1), RGB),  # RCOS_flist: -1 as end is the last element
    ("$LIST", (LB(1, Decimal("2.5")), 2), Decimal("2.5")),  # codec: decimal round trip
    ("$LIST", (LB(-300), 1), -300),  # codec: negative integer round trip
    ("$LIST", (LB(LB("x")), 1), LB("x")),  # RCOS_flistvalid: nested list is a string element
    # --- $LISTGET
    ("$LG", (GAP, 2, "White"), "White"),  # RCOS_flistget: undefined element gives default
    ("$LG", (LB("Red", ""), 2, "White"), ""),  # RCOS_flistget: "" is a value, not default
    ("$LG", (RGB, 9), ""),  # RCOS_flistget: default defaults to ""
    ("$LISTGET", (RGB,), "Red"),  # RCOS_flistget: position defaults to 1
    ("$LISTGET", (RGB, -1), "Green"),  # RCOS_flistget: -1 is the last element
    ("$LISTGET", (RGB, End(-2)), "Red"),  # RCOS_flistget: *-n counts back from the end
    ("$LISTGET", (RGB, 0, "d"), "d"),  # RCOS_flistget: nonexistent element gives default
    ("$LISTGET", ("x", 1), Err("LIST")),  # RCOS_flistget: list must be valid
    # --- $LISTLENGTH
    ("$LL", (RGB,), 3),  # RCOS_flistlength: three elements
    ("$LL", ("",), 0),  # RCOS_flistlength: the empty string is an empty list
    ("$LL", (GAP,), 3),  # RCOS_flistlength: omitted elements count
    ("$LL", (LB(),), 1),  # RCOS_flistlength: $LB() has one element
    ("$LISTLENGTH", (RGB + LB("x"),), 4),  # TOS_Lists: concatenating lists makes a list
    ("$LL", ("abc",), Err("LIST")),  # RCOS_flistlength: not a list
    # --- $LISTDATA
    ("$LD", (LB("Red", None, "Y", "", "Green"), 4), 1),  # RCOS_flistdata (SQL page) example
    ("$LD", (LB("Red", None, "Y", "", "Green"), 2), 0),  # RCOS_flistdata: omitted element
    ("$LD", (LB("Red", None, "Y", "", "Green"), -1), 1),  # RCOS_flistdata: -1 last element
    ("$LD", (LB("Red", None, "Y", "", "Green"), 6), 0),  # RCOS_flistdata: past the end
    ("$LISTDATA", (RGB,), 1),  # RCOS_flistdata: position defaults to 1
    ("$LISTDATA", ("", 1), 0),  # RCOS_flistdata: the empty list has no data
    # --- $LISTFIND
    ("$LF", (RGB, "Blue"), 2),  # RCOS_flistfind: position of the match
    ("$LF", (RGB, "blue"), 0),  # RCOS_flistfind: comparison is case-sensitive
    ("$LF", (RGB, "Red", 1), 0),  # RCOS_flistfind: the search starts after start
    ("$LF", (LB(1, 2, 3), "2"), 2),  # RCOS_flistfind: compared as strings ("2" = 2)
    ("$LF", (LB(Decimal("1.5")), "1.50"), 0),  # RCOS_flistfind: string compare, no numeric
    ("$LF", (GAP, ""), 0),  # RCOS_flistfind: an element without value matches nothing
    ("$LISTFIND", (RGB, "Green", 3), 0),  # RCOS_flistfind: start at the last element
    ("$LISTFIND", ("x", "x"), Err("LIST")),  # RCOS_flistfind: not a list
    # --- $LISTVALID
    ("$LV", (RGB,), 1),  # RCOS_flistvalid example w
    ("$LV", (LB(365),), 1),  # RCOS_flistvalid example y
    ("$LV", ("",), 1),  # RCOS_flistvalid: "" is a valid list
    ("$LV", ("Red",), 0),  # RCOS_flistvalid: a plain string is not a list
    ("$LV", (44,), 0),  # RCOS_flistvalid: a number is not a list
    ("$LV", (c(1),), 1),  # RCOS_flistvalid: $CHAR(1) is a valid list
    ("$LV", (c(2, 1),), 1),  # RCOS_flistvalid: $CHAR(2,1) is a valid list
    ("$LV", (c(3, 1, 65),), 1),  # RCOS_flistvalid: $CHAR(3,1,asciicode) is a valid list
    ("$LISTVALID", (c(5, 1, 65),), 0),  # codec: length runs past the end
    ("$LISTVALID", (GAP + LB(LB(1)),), 1),  # RCOS_flistvalid: omitted and nested elements
    # --- $LISTSAME
    ("$LS", (LB(1, 2), LB("1", "2")), 1),  # RCOS_flistsame: compares string values
    ("$LS", (LB(1), LB("01")), 0),  # RCOS_flistsame: "01" is not the string of 1
    ("$LS", (LB(None), LB("")), 0),  # RCOS_flistsame: undefined differs from ""
    ("$LS", (LB(1), LB(1, 2)), 0),  # RCOS_flistsame: different lengths
    ("$LISTSAME", ("", ""), 1),  # RCOS_flistsame: two empty lists
    ("$LISTSAME", ("x", ""), Err("LIST")),  # RCOS_flistsame: invalid list
    # --- $LISTFROMSTRING / $LISTTOSTRING
    ("$LFS", ("a,b,c",), LB("a", "b", "c")),  # RCOS_flistfromstring: comma by default
    ("$LFS", ("a^^c", "^"), LB("a", "", "c")),  # RCOS_flistfromstring: empty piece is ""
    ("$LFS", ("",), ""),  # RCOS_flistfromstring: empty string gives the empty list
    ("$LFS", ("1,2",), LB("1", "2")),  # RCOS_flistfromstring: elements are strings
    ("$LISTFROMSTRING", ("a", ""), Err("FUNCTION")),  # stated rule: empty delimiter
    ("$LTS", (RGB,), "Red,Blue,Green"),  # RCOS_flisttostring: comma by default
    ("$LTS", (RGB, "^"), "Red^Blue^Green"),  # RCOS_flisttostring: delimiter
    ("$LTS", (LB(1, Decimal("2.5")), ""), "12.5"),  # RCOS_flisttostring: numbers canonical
    ("$LTS", (GAP,), Err("NULL VALUE")),  # RCOS_flisttostring: undefined element
    ("$LTS", (GAP, ",", 1), "Red,,Green"),  # RCOS_flisttostring: flag 1 gives ""
    ("$LISTTOSTRING", ("",), ""),  # RCOS_flisttostring: empty list
    # --- $LISTUPDATE
    ("$LU", (RGB, 2, "Cyan"), LB("Red", "Cyan", "Green")),  # RCOS_flistupdate: replace
    ("$LU", (RGB, 4, "Pink"), LB("Red", "Blue", "Green", "Pink")),  # RCOS_flistupdate: append
    ("$LU", (RGB, 1, None, "X"), LB("Red", "X", "Green")),  # RCOS_flistupdate: omitted keeps
    ("$LISTUPDATE", (LB("a"), 3, "c"), LB("a", None, "c")),  # RCOS_flistupdate: pads
]


@pytest.mark.parametrize(("name", "args", "expected"), CASES, ids=[c_[0] for c_ in CASES])
def test_conformance(name: str, args: tuple[Any, ...], expected: Any) -> None:
    check_call(name, args, expected)


SET_CASES: list[tuple[Any, Any, tuple[Any, ...], Any]] = [
    (RGB, "Cyan", (2,), LB("Red", "Cyan", "Green")),  # RCOS_flist: SET $LIST(l,2)=v
    (RGB, "Pink", (-1,), LB("Red", "Blue", "Pink")),  # RCOS_flist: -1 replaces the last
    (RGB, "X", (5,), LB("Red", "Blue", "Green", None, "X")),  # RCOS_flist: pads undefined
    (None, "a", (1,), LB("a")),  # RCOS_flist: an undefined variable starts empty
    (RGB, LB("a", "b"), (1, 2), LB("a", "b", "Green")),  # RCOS_flist: range takes a list
    (RGB, LB("z"), (2, 3), LB("Red", "z")),  # RCOS_flist: range shrinks the list
    (RGB, "x", (1, 2), Err("LIST")),  # RCOS_flist: range value must be a list
    (RGB, "a", (End(1),), LB("Red", "Blue", "Green", "a")),  # RCOS_flist: *+1 appends
    ("abc", "a", (1,), Err("LIST")),  # RCOS_flist: the variable must hold a list
    (RGB, "a", (0,), Err("NULL VALUE")),  # RCOS_flist: position 0 in the set form
]


@pytest.mark.parametrize(("old", "new", "args", "expected"), SET_CASES)
def test_set_list(old: Any, new: Any, args: tuple[Any, ...], expected: Any) -> None:
    for name in ("$LIST", "$LI"):
        fn = SET_FORMS[name]
        if isinstance(expected, Err):
            with pytest.raises(ObjectScriptError) as info:
                fn(old, new, *args)
            assert info.value.code == expected.code
        else:
            assert fn(old, new, *args) == expected


def test_listnext_walks_every_element() -> None:
    # RCOS_flistnext: ptr 0 starts, each call returns 1 and the element; an omitted element
    # leaves the value undefined (None here); at the end it returns 0.
    lst = LB("a", None, 3)
    ptr, seen = 0, []
    while True:
        found, ptr, value = FUNCTIONS["$LISTNEXT"](lst, ptr)
        if not found:
            assert value is UNCHANGED
            break
        seen.append(value)
    assert seen == ["a", None, 3]
    assert ptr == len(lst)


def test_listnext_rejects_bad_lists_and_pointers() -> None:
    # RCOS_flistnext: a list that is not valid gives <LIST>; a negative ptr is <FUNCTION>.
    with pytest.raises(ObjectScriptError) as info:
        FUNCTIONS["$LISTNEXT"]("abc", 0)
    assert info.value.code == "LIST"
    with pytest.raises(ObjectScriptError) as info:
        FUNCTIONS["$LISTNEXT"](LB(1), -1)
    assert info.value.code == "FUNCTION"


@pytest.mark.parametrize(
    "value",
    [
        0,
        1,
        -1,
        255,
        256,
        -256,
        -257,
        2**63 - 1,
        -(2**63),
        10**25,
        Decimal("0.001"),
        Decimal("-123.456"),
        Decimal("1234567890.123456789"),
        0.1,
        -2.5,
        1e300,
        -0.0,
        "",
        "x" * 70000,
        "\u20ac",
        "a\x00b",
    ],
)
def test_round_trip(value: Any) -> None:
    # codec: every value decodes to itself (type included) after $LISTBUILD
    [back] = items(listbuild(value))
    assert back == value and type(back) is type(value)


def test_undefined_element_decodes_to_undef() -> None:
    # codec: a lone 01 is an element without value
    assert items(c(1, 1)) == [UNDEF, UNDEF]
