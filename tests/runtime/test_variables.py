"""Local variables: ``Node`` (one variable's tree), ``Locals`` (NEW/KILL), ZWRITE lines.

Sources of the expected values, noted per test:
- [ORDER] InterSystems ObjectScript reference, $ORDER (RCOS_forder): next/previous subscript,
  "" to start and at the end, direction 1/-1, 3-argument form returns the value in target.
- [QUERY] $QUERY (RCOS_fquery): physical depth-first scan, returns the full reference of the
  next defined node, "" when none; direction -1 backwards.
- [DATA] $DATA (RCOS_fdata): 0 undefined, 1 value no descendants, 10 descendants no value,
  11 both.
- [KILL] KILL (RCOS_ckill): node and descendants; argumentless kills all locals; exclusive
  KILL (a,b) keeps a and b. [ZKILL] ZKILL: the node's value only, descendants kept.
- [MERGE] MERGE (RCOS_cmerge): copies source and descendants, kills nothing, undefined source
  changes nothing, same variable = no merge, parent-child relationship = <COMMAND>.
- [INCR] $INCREMENT (RCOS_fincrement): undefined counts as 0, returns the new value.
- [NEW] NEW (RCOS_cnew): NEW a,b / NEW (a,b) exclusive / argumentless; QUIT restores.
- [COLL] Using Globals, "Collation": canonical numbers first, numerically, then strings.
- [ZW] ZWRITE (RCOS_czwrite): name(subs)=value, strings quoted with doubled quotes, canonical
  numbers unquoted, non-printing characters as $c() pieces joined with _, OREF as
  <OBJECT REFERENCE>[oref].
- [SUBS] Using ObjectScript, "Subscripts": "" is not a valid subscript (<SUBSCRIPT>).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.variables import (
    MISSING,
    Locals,
    Node,
    format_ref,
    zwrite_lines,
    zwrite_string,
    zwrite_value,
)


def walk_order(node: Node, parent: tuple[str, ...] = (), d: int = 1) -> list[str]:
    out: list[str] = []
    s = ""
    while True:
        s = node.order(parent + (s,), d)
        if s == "":
            return out
        out.append(s)


def sample() -> Node:
    """a=0, a(1)="one", a(1,"x")=2, a(2,3)=4, a("b")="bee" (data: a 11, a(1) 11, a(2) 10)."""
    a = Node("a")
    a.set((), 0)
    a.set(("1",), "one")
    a.set(("1", "x"), 2)
    a.set(("2", "3"), 4)
    a.set(("b",), "bee")
    return a


# ----------------------------------------------------------------------------- get/set


def test_get_set_value_types_kept() -> None:
    # value model (runtime-api.md): str/int/Decimal/float values are stored as given
    a = Node("a")
    a.set(("1",), "01")
    a.set(("2",), 7)
    a.set(("3",), Decimal("1.5"))
    a.set(("4",), 0.5)
    assert [a.get((s,)) for s in "1234"] == ["01", 7, Decimal("1.5"), 0.5]


def test_get_undefined_raises_with_reference() -> None:
    # IRIS: <UNDEFINED> with *name(subs) detail for a local
    a = Node("a")
    a.set(("1",), 1)
    with pytest.raises(ObjectScriptError) as e:
        a.get(("2", "x"))
    assert e.value.code == "UNDEFINED" and e.value.detail == '*a(2,"x")'


def test_get_unsubscripted_undefined() -> None:
    a = Node("a")
    a.set(("1",), 1)  # a has descendants but no value: $DATA=10, reading a is <UNDEFINED>
    with pytest.raises(ObjectScriptError) as e:
        a.get(())
    assert e.value.detail == "*a"


def test_get_or_is_dollar_get() -> None:
    # $GET(a(9)) = "" ; $GET(a(9),"d") = "d"
    a = sample()
    assert a.get_or(("9",)) == ""
    assert a.get_or(("9",), "d") == "d"
    assert a.get_or(("1",), "d") == "one"
    assert a.get_or(("2",), "d") == "d"  # [DATA] a(2) has no value


@pytest.mark.parametrize("subs", [("",), ("1", ""), ("", "1")])
def test_set_empty_subscript_is_subscript_error(subs: tuple[str, ...]) -> None:
    # [SUBS] SET a("")=1 -> <SUBSCRIPT>
    a = Node("a")
    with pytest.raises(ObjectScriptError) as e:
        a.set(subs, 1)
    assert e.value.code == "SUBSCRIPT"


def test_get_empty_subscript_is_subscript_error() -> None:
    a = sample()
    with pytest.raises(ObjectScriptError) as e:
        a.get(("",))
    assert e.value.code == "SUBSCRIPT"
    with pytest.raises(ObjectScriptError):
        a.data(("1", ""))


def test_set_over_leaf_keeps_value_when_adding_children() -> None:
    # a(1)=5 then a(1,2)=6: a(1) keeps 5 and gets a child ($DATA 11) [DATA]
    a = Node("a")
    a.set(("1",), 5)
    a.set(("1", "2"), 6)
    assert a.get(("1",)) == 5 and a.data(("1",)) == 11


# ----------------------------------------------------------------------------- $DATA


@pytest.mark.parametrize(
    ("subs", "expected"),
    [((), 11), (("1",), 11), (("1", "x"), 1), (("2",), 10), (("2", "3"), 1), (("9",), 0),
     (("b",), 1), (("b", "c"), 0), (("1", "x", "y"), 0)],
)
def test_data(subs: tuple[str, ...], expected: int) -> None:
    # [DATA]
    assert sample().data(subs) == expected


def test_has() -> None:
    a = sample()
    assert a.has(("1",)) and not a.has(("2",)) and not a.has(("7",))


# ----------------------------------------------------------------------------- $ORDER


def test_order_collation_numbers_then_strings() -> None:
    # [COLL] canonical numbers numerically (negative, decimals), then strings by code point;
    # "01", "1E3", "+1", "1.0" are not canonical, so they are strings
    a = Node("a")
    for s in ["b", "10", "2", "-1", "-1.5", ".5", "0", "01", "1E3", "A", "+1", "1.0", "-.5"]:
        a.set((s,), 1)
    assert walk_order(a) == [
        "-1.5", "-1", "-.5", "0", ".5", "2", "10", "+1", "01", "1.0", "1E3", "A", "b",
    ]


def test_order_backward() -> None:
    # [ORDER] $ORDER(a(""),-1) starts from the last subscript
    a = Node("a")
    for s in ["3", "1", "x", "2"]:
        a.set((s,), 1)
    assert walk_order(a, d=-1) == ["x", "3", "2", "1"]


def test_order_from_missing_subscript() -> None:
    # [ORDER] the subscript given need not exist
    a = Node("a")
    for s in ["1", "3", "5"]:
        a.set((s,), 1)
    assert a.order(("2",)) == "3"
    assert a.order(("4",), -1) == "3"
    assert a.order(("5",)) == ""
    assert a.order(("0",), -1) == ""
    assert a.order(("z",), -1) == "5"


def test_order_second_level_and_missing_parent() -> None:
    a = sample()
    assert a.order(("1", "")) == "x"
    assert a.order(("1", "x")) == ""
    assert a.order(("7", "")) == ""  # no such parent: "" [ORDER]
    assert a.order(("2", ""), -1) == "3"


def test_order_includes_nodes_without_value() -> None:
    # [ORDER] $ORDER returns subscripts of nodes with descendants only ($DATA=10) too
    assert walk_order(sample()) == ["1", "2", "b"]


def test_order_empty_subscript_in_middle_is_error() -> None:
    with pytest.raises(ObjectScriptError) as e:
        sample().order(("", "x"))
    assert e.value.code == "SUBSCRIPT"


@pytest.mark.parametrize("bad", [0, 2, "x", -2])
def test_order_bad_direction(bad: object) -> None:
    # [ORDER] direction must be 1 or -1 (<FUNCTION> otherwise)
    with pytest.raises(ObjectScriptError) as e:
        sample().order(("",), bad)
    assert e.value.code == "FUNCTION"


def test_order_direction_as_string() -> None:
    assert sample().order(("",), "-1") == "b"


def test_order_value_three_argument_form() -> None:
    # [ORDER] $ORDER(a(1),1,t) returns 2 and sets t only when a(2) has a value
    a = sample()
    assert a.order_value(("",)) == ("1", "one")
    assert a.order_value(("1",)) == ("2", MISSING)
    assert a.order_value(("b",)) == ("", MISSING)


def test_order_sees_sets_and_kills_during_walk() -> None:
    # a walk that adds a later key and kills an earlier one still sees the current tree
    a = Node("a")
    for i in range(1, 6):
        a.set((str(i),), i)
    seen = []
    s = ""
    while True:
        s = a.order((s,))
        if s == "":
            break
        seen.append(s)
        if s == "2":
            a.set(("4.5",), 0)
            a.kill(("1",))
            a.kill(("5",))
    assert seen == ["1", "2", "3", "4", "4.5"]


def test_order_large_increasing_append_and_walk_both_ways() -> None:
    a = Node("a")
    n = 5000
    for i in range(1, n + 1):
        a.set((str(i),), i)
    assert walk_order(a) == [str(i) for i in range(1, n + 1)]
    for i in range(n + 1, n + 101):  # appending after a walk keeps the view
        a.set((str(i),), i)
    assert walk_order(a, d=-1) == [str(i) for i in range(n + 100, 0, -1)]


def test_order_random_inserts_and_deletes_match_sorted() -> None:
    import random

    rnd = random.Random(7)
    a = Node("a")
    model: set[int] = set()
    for step in range(3000):
        k = rnd.randint(-500, 500)
        if rnd.random() < 0.3 and model:
            victim = rnd.choice(sorted(model))
            a.kill((str(victim),))
            model.discard(victim)
        else:
            a.set((str(k),), step)
            model.add(k)
        if step % 500 == 0:
            assert walk_order(a) == [str(x) for x in sorted(model)]
    assert walk_order(a) == [str(x) for x in sorted(model)]
    assert walk_order(a, d=-1) == [str(x) for x in sorted(model, reverse=True)]


def test_order_jumping_walk() -> None:
    # $ORDER from arbitrary existing keys (not the last answer) after middle inserts
    a = Node("a")
    for i in range(0, 200, 2):
        a.set((str(i),), i)
    walk_order(a)
    for i in range(1, 200, 2):
        a.set((str(i),), i)
    for i in (150, 3, 77, 198, 0):
        assert a.order((str(i),)) == (str(i + 1) if i < 199 else "")
        assert a.order((str(i),), -1) == (str(i - 1) if i > 0 else "")


# ----------------------------------------------------------------------------- $QUERY


def test_query_forward_full_scan() -> None:
    # [QUERY] depth-first, a node before its descendants; the unsubscripted root is skipped
    a = sample()
    out = []
    subs: tuple[str, ...] | None = ()
    while True:
        subs = a.query(subs)
        if subs is None:
            break
        out.append(subs)
    assert out == [("1",), ("1", "x"), ("2", "3"), ("b",)]


def test_query_backward_full_scan() -> None:
    # [QUERY] direction -1 visits the same nodes in reverse
    a = sample()
    out = []
    subs: tuple[str, ...] | None = ("",)
    while True:
        subs = a.query(subs, -1)
        if subs is None:
            break
        out.append(subs)
    assert out == [("b",), ("2", "3"), ("1", "x"), ("1",)]


def test_query_from_missing_node_and_deeper_levels() -> None:
    a = sample()
    assert a.query(("1", "a")) == ("1", "x")  # between a(1) and a(1,"x")
    assert a.query(("1", "x")) == ("2", "3")  # climbs up a level
    assert a.query(("1", "z")) == ("2", "3")
    assert a.query(("2",)) == ("2", "3")  # a(2) has no value: its first descendant
    assert a.query(("b",)) is None
    assert a.query(("2", "3"), -1) == ("1", "x")
    assert a.query(("2",), -1) == ("1", "x")
    assert a.query(("1",), -1) is None  # the root a=0 is not returned


def test_query_empty_tree() -> None:
    a = Node("a")
    a.set((), 1)
    assert a.query(()) is None and a.query(("",), -1) is None


# ----------------------------------------------------------------------------- KILL / ZKILL


def test_kill_subtree_and_prune_parent() -> None:
    # [KILL] KILL a(2,3) leaves a(2) without value or children: it no longer exists
    a = sample()
    a.kill(("2", "3"))
    assert a.data(("2",)) == 0
    assert walk_order(a) == ["1", "b"]


def test_kill_node_with_descendants() -> None:
    a = sample()
    a.kill(("1",))
    assert a.data(("1",)) == 0 and a.data(("1", "x")) == 0 and a.data(()) == 11


def test_kill_whole_variable() -> None:
    a = sample()
    a.kill()
    assert a.data(()) == 0 and walk_order(a) == []


def test_kill_missing_is_noop() -> None:
    a = sample()
    a.kill(("9", "9"))
    assert a.data(()) == 11


def test_kill_last_child_keeps_parent_value() -> None:
    a = sample()
    a.kill(("1", "x"))
    assert a.data(("1",)) == 1 and a.get(("1",)) == "one"


def test_zkill_keeps_descendants() -> None:
    # [ZKILL] ZKILL a(1): $DATA(a(1)) 11 -> 10
    a = sample()
    a.zkill(("1",))
    assert a.data(("1",)) == 10 and a.get(("1", "x")) == 2


def test_zkill_leaf_removes_node() -> None:
    a = sample()
    a.zkill(("1", "x"))
    assert a.data(("1",)) == 1 and a.order(("1", "")) == ""


def test_zkill_root() -> None:
    a = sample()
    a.zkill()
    assert a.data(()) == 10


# ----------------------------------------------------------------------------- $INCREMENT


def test_increment_undefined_starts_at_zero() -> None:
    # [INCR] $INCREMENT(x) of an undefined x returns 1
    a = Node("a")
    assert a.increment(("c",)) == 1
    assert a.increment(("c",)) == 2
    assert a.increment(("c",), 10) == 12


def test_increment_string_and_decimal() -> None:
    # [INCR] the value is interpreted as a number ("3 apples" -> 3); result a number
    a = Node("a")
    a.set((), "3 apples")
    assert a.increment((), Decimal("0.5")) == Decimal("3.5")
    assert a.increment((), "-.5") == 3
    assert a.increment((), -3) == 0


# ----------------------------------------------------------------------------- MERGE


def test_merge_copies_subtree_without_killing() -> None:
    # [MERGE] destination keeps its nodes, gets source's
    a = sample()
    b = Node("b")
    b.set(("keep",), "k")
    b.set(("1",), "old")
    b.merge_from((), a, ("1",))
    assert list(b.walk()) == [((), "one"), (("1",), "old"), (("keep",), "k"), (("x",), 2)]


def test_merge_into_subscripted_destination() -> None:
    a = sample()
    b = Node("b")
    b.merge_from(("p", "q"), a, ())
    assert b.get(("p", "q")) == 0 and b.get(("p", "q", "2", "3")) == 4


def test_merge_undefined_source_changes_nothing() -> None:
    # [MERGE] "If source is undefined, MERGE completes successfully, but does not change
    # destination"
    a = sample()
    b = Node("b")
    b.set((), 1)
    b.merge_from((), a, ("nothere",))
    assert list(b.walk()) == [((), 1)]


def test_merge_same_variable_is_noop() -> None:
    a = sample()
    a.merge_from(("1",), a, ("1",))
    assert list(a.walk()) == list(sample().walk())


@pytest.mark.parametrize(("dst", "src"), [(("1",), ()), ((), ("1",)), (("1", "x"), ("1",))])
def test_merge_parent_child_is_command_error(
    dst: tuple[str, ...], src: tuple[str, ...]
) -> None:
    # [MERGE] "MERGE issues a <COMMAND> error if the source and destination have a
    # parent-child relationship"
    a = sample()
    with pytest.raises(ObjectScriptError) as e:
        a.merge_from(dst, a, src)
    assert e.value.code == "COMMAND"


def test_merge_siblings_of_same_variable() -> None:
    # a(3)=a(1) is no parent-child relationship: allowed
    a = sample()
    a.merge_from(("3",), a, ("1",))
    assert a.get(("3", "x")) == 2 and a.get(("3",)) == "one"


# ----------------------------------------------------------------------------- walk


def test_walk_collation_order_and_relative() -> None:
    a = sample()
    assert [s for s, _ in a.walk()] == [(), ("1",), ("1", "x"), ("2", "3"), ("b",)]
    assert list(a.walk(("1",))) == [((), "one"), (("x",), 2)]
    assert list(a.walk(("1", "x"))) == [((), 2)]
    assert list(a.walk(("q",))) == []


# ----------------------------------------------------------------------------- Locals


def test_locals_node_and_lookup() -> None:
    sym = Locals()
    assert sym.lookup("x") is None
    x = sym.node("x")
    x.set((), 1)
    assert sym.lookup("x") is x and sym.node("x") is x


def test_locals_kill_all_and_exclusive() -> None:
    # [KILL] argumentless KILL kills all; KILL (a,b) kills all but a and b
    sym = Locals()
    for n in "abc":
        sym.node(n).set((), n)
    sym.kill_all(except_=("a", "b"))
    assert sym.names() == ["a", "b"]
    sym.kill_all()
    assert sym.names() == []


def test_locals_new_restores() -> None:
    # [NEW] NEW x hides x until the frame ends
    sym = Locals()
    sym.node("x").set((), 1)
    m = sym.mark()
    sym.new(["x", "y"])
    assert sym.lookup("x") is None
    sym.node("x").set((), 2)
    sym.node("y").set((), 3)
    sym.restore(m)
    assert sym.node("x").get() == 1 and sym.lookup("y") is None


def test_locals_new_exclusive_hides_new_names_too() -> None:
    # [NEW] NEW (a): everything but a is new, including variables first set after the NEW
    sym = Locals()
    sym.node("a").set((), "a")
    sym.node("b").set((), "b")
    m = sym.mark()
    sym.new_all_except(["a"])
    assert sym.names() == ["a"]
    sym.node("a").set((), "a2")
    sym.node("z").set((), "z")
    sym.restore(m)
    assert sym.names() == ["a", "b"] and sym.node("a").get() == "a2"


def test_locals_nested_new() -> None:
    sym = Locals()
    sym.node("x").set((), 0)
    m1 = sym.mark()
    sym.new(["x"])
    sym.node("x").set((), 1)
    m2 = sym.mark()
    sym.new_all_except([])
    sym.node("x").set((), 2)
    sym.restore(m2)
    assert sym.node("x").get() == 1
    sym.restore(m1)
    assert sym.node("x").get() == 0


def test_locals_by_reference_binding_sees_kill() -> None:
    # a parameter passed by reference (.x) shares the node: KILL in the callee empties it
    caller = Locals()
    x = caller.node("x")
    x.set(("1",), 1)
    callee = Locals()
    callee.bind("y", x)
    callee.node("y").kill()
    assert caller.node("x").data() == 0


def test_locals_zwrite_all_in_name_order() -> None:
    # [ZW] argumentless ZWRITE lists variables by name (ASCII order)
    sym = Locals()
    sym.node("b").set((), 2)
    sym.node("B").set((), "x")
    sym.node("a").set(("1",), 1)
    assert sym.zwrite_all() == ['B="x"', "a(1)=1", "b=2"]


# ----------------------------------------------------------------------------- ZWRITE


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", '"abc"'),
        ('say "hi"', '"say ""hi"""'),
        ("", '""'),
        ("a\nb", '"a"_$c(10)_"b"'),
        ("\r\n", "$c(13,10)"),
        ("x\x00", '"x"_$c(0)'),
        ("\x07x", '$c(7)_"x"'),
        ("é€", '"é€"'),
        (5, "5"),
        (-0.5, "-.5"),
        (Decimal("-0.5"), "-.5"),
        ("12", "12"),  # canonical numeric string: unquoted
        ("012", '"012"'),  # non-canonical: quoted
        ("1.50", '"1.50"'),
    ],
)
def test_zwrite_value(value: object, shown: str) -> None:
    # [ZW]
    assert zwrite_value(value) == shown


def test_zwrite_string_direct() -> None:
    assert zwrite_string('a"\tb') == '"a"""_$c(9)_"b"'


def test_zwrite_oref_hook() -> None:
    # [ZW] an OREF shows as <OBJECT REFERENCE>[n@Class]; the hook can change that
    class Obj:
        def __os_str__(self) -> str:
            return "3@Sample.Person"

    assert zwrite_value(Obj()) == "<OBJECT REFERENCE>[3@Sample.Person]"
    assert zwrite_value(Obj(), oref_format=lambda v: "OBJ") == "OBJ"


def test_zwrite_list_hook() -> None:
    shown = zwrite_value("\x03\x01a", list_format=lambda s: '$lb("a")' if s[0] == "\x03" else None)
    assert shown == '$lb("a")'


def test_zwrite_lines_tree() -> None:
    # [ZW] one line per defined node, subscripts quoted when strings
    a = sample()
    a.set(("q\n",), 'x"y')
    assert zwrite_lines("a", a) == [
        "a=0",
        'a(1)="one"',
        'a(1,"x")=2',
        "a(2,3)=4",
        'a("b")="bee"',
        'a("q"_$c(10))="x""y"',
    ]


def test_zwrite_lines_of_subtree() -> None:
    assert zwrite_lines("a", sample(), ("1",)) == ['a(1)="one"', 'a(1,"x")=2']


def test_format_ref() -> None:
    assert format_ref("a", ()) == "a"
    assert format_ref("^G", ("1", "x", "-1.5")) == '^G(1,"x",-1.5)'


@pytest.mark.parametrize("d", [Decimal("-1"), -1.0, "-1", " -1"])
def test_order_direction_other_number_types(d: object) -> None:
    # the direction is an expression: any value equal to -1 walks backwards
    a = sample()
    assert a.order(("b",), d) == "2" and a.order(("b",), d) == "2"
    assert a.query(("b",), d) == ("2", "3")


def test_order_many_integer_subscripts_with_newline_string() -> None:
    # the integer-only sort shortcut must not be fooled by a subscript holding "\n"
    a = Node("a")
    for i in range(100, 0, -1):
        a.set((str(i),), i)
    a.set(("5\n6",), 0)
    a.set(("-7",), 0)
    assert walk_order(a) == ["-7"] + [str(i) for i in range(1, 101)] + ["5\n6"]
