"""The translator's fast paths behave exactly like the general code they stand for.

Each fast path (the ``$ORDER`` walk loop, ``$PIECE`` with a literal delimiter, ``#`` by an
integer literal, ``x="lit"``, one-subscript SET and ``$ORDER``, FOR loop values kept as Python
ints, the bulk decoding of integer subscripts read ahead from SQLite) is checked two ways: the
generated code really takes it, and a program using it prints what the same program written
so that the general code runs prints (or a value worked out by hand).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore, _top_ints, encode_sub, encode_subs
from compiler_stub.runtime.process import BufferDevice, Process
from compiler_stub.runtime.translate import translate_line


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GlobalStore]:
    st = GlobalStore(tmp_path / "g.sqlite")
    yield st
    st.close()


def run(lines: list[str] | str, store: Any = None) -> str:
    """Run terminal lines in a fresh process; the output, an error as [..]."""
    dev = BufferDevice()
    p = Process("USER", store, lambda _n: None, dev)
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")


def generated(line: str) -> str:
    return str(translate_line(line).generated)  # type: ignore[attr-defined]


# ------------------------------------------------------------------ the $ORDER walk loop

# ``quit:k=""`` is the specialised form; ``quit:""=k`` is the same test on the general path
# (and ``$order(x(k),1*1)``, a direction that is not the literal 1, the general $ORDER)
FAST_QUIT = 'quit:k=""'
SLOW_QUIT = 'quit:""=k'

SETUPS = {
    "ints": 'for i=1:1:40 { set x(i)=i }',
    "mixed": 'set x(-2.5)=1,x(-1)=2,x(0)=3,x(.5)=4,x(1)=5,x(10)=6,x(2)=7,x("a")=8,'
             'x("B")=9,x("01")=10,x(" ")=11,x(1E3)=12',
    "deep": 'set x(1)=1,x(1,2)=2,x(2,"a")=3,x(3)=4,x(3,1,1)=5',
}

BODIES = {
    "plain": 'write k,";"',
    "kill-next": 'write k,";" kill x($order(x(k)))',
    "kill-current": 'write k,";" kill x(k)',
    "kill-all": 'write k,";" kill x',
    "add-ahead": 'write k,";" set:k=1 x(1.5)="n",x(1.25)="m"',
    "add-behind": 'write k,";" set:k=2 x(-100)="z"',
    "add-end": 'write k,";" set:$i(cnt)<5 x("zz"_cnt)=1',
    "jump": 'write k,";" set:k=1 k=3',
    "restart": 'write k,";" set:$i(cnt)=3 k=""',
    "set-value": 'write k,";" set x(k)=$get(x(k))_"!"',
}


def walk(setup: str, body: str, quit_: str, ref: str = "x", kill: str = "kill x") -> str:
    step = "(k)" if quit_ == FAST_QUIT else "(k),1*1"
    line = f' {kill} {setup.replace("x(", ref + "(")} set k="",cnt=0 for {{ set k=$order(' \
           f'{ref}{step}) {quit_}  {body.replace("x(", ref + "(").replace("kill x", kill)} }} ' \
           f'write "|",$data({ref})'
    return line


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("body", sorted(BODIES))
def test_order_loop_matches_general_path_on_locals(setup: str, body: str) -> None:
    fast = walk(SETUPS[setup], BODIES[body], FAST_QUIT)
    slow = walk(SETUPS[setup], BODIES[body], SLOW_QUIT)
    # a body that cannot change the array or k loops over the children; any other steps
    if body == "plain":
        assert ".keys_after(" in generated(fast) and ".next1(" not in generated(fast)
    else:
        assert ".next1(" in generated(fast) and "if _t" in generated(fast)
    assert ".keys_after(" not in generated(slow)
    assert ".order((" in generated(slow)
    assert run(fast) == run(slow)


@pytest.mark.parametrize("setup", sorted(SETUPS))
@pytest.mark.parametrize("body", sorted(BODIES))
def test_order_loop_matches_general_path_on_globals(store: GlobalStore, setup: str,
                                                    body: str) -> None:
    fast = walk(SETUPS[setup], BODIES[body], FAST_QUIT, "^X", "kill ^X")
    slow = walk(SETUPS[setup], BODIES[body], SLOW_QUIT, "^X", "kill ^X")
    assert "P.gstore.nodes['X'].next1(" in generated(fast)
    assert ".order(P.nk(" in generated(slow)   # the general path records $ZREFERENCE
    assert run(fast, store) == run(slow, store)


def test_order_loop_visits_in_collation_order() -> None:
    out = run(f' {SETUPS["mixed"]} set k="" for {{ set k=$order(x(k)) {FAST_QUIT}  '
              'write k,";" }')
    assert out == '-2.5;-1;0;.5;1;2;10;1000; ;01;B;a;'


def test_order_loop_reverse_and_other_shapes_use_the_general_path() -> None:
    rev = f' {SETUPS["mixed"]} set k="" for {{ set k=$order(x(k),-1) {FAST_QUIT}  write k,";" }}'
    assert ".next1(" not in generated(rev)
    assert run(rev) == 'a;B;01; ;1000;10;2;1;.5;0;-1;-2.5;'
    fwd1 = f' {SETUPS["mixed"]} set k="" for {{ set k=$order(x(k),1) {FAST_QUIT}  write k,";" }}'
    assert ".next1(" in generated(fwd1)
    assert run(fwd1) == '-2.5;-1;0;.5;1;2;10;1000; ;01;B;a;'
    two = ' set x(1,"a")=1,x(1,"b")=2 set k="" for { set k=$order(x(1,k)) quit:k=""  write k }'
    assert run(two) == "ab"


def test_order_loop_errors_as_the_general_path() -> None:
    # k undefined when the loop starts
    fast = ' kill k set x(1)=1 for { set k=$order(x(k)) quit:k=""  write k }'
    slow = ' kill k set x(1)=1 for { set k=$order(x(k)) quit:""=k  write k }'
    assert run(fast) == run(slow) == "[<UNDEFINED> *k]"
    # an error in the body
    fast = ' set x(1)=1,x(2)=0 set k="" for { set k=$order(x(k)) quit:k=""  write 1/x(k) }'
    slow = ' set x(1)=1,x(2)=0 set k="" for { set k=$order(x(k)) quit:""=k  write 1/x(k) }'
    assert run(fast) == run(slow)
    assert run(fast).startswith("1[<DIVIDE>")


def test_order_loop_quit_and_continue_inside_the_body() -> None:
    src = (' for i=1:1:9 {{ set x(i)=i }} set k="",s="" for {{ set k=$order(x(k)) {q}  '
           'continue:k#2  quit:k>6  set s=s_k }} write s,"|",k')
    assert ".keys_after(" in generated(src.format(q=FAST_QUIT))
    assert run(src.format(q=FAST_QUIT)) == run(src.format(q=SLOW_QUIT)) == "246|8"
    # to the end: k is "" afterwards; an empty array; a walk that starts after a given k
    src = (' kill x {s} set k={k},s="" for {{ set k=$order(x(k)) {q}  set s=s_k_"," }} '
           'write s,"|",k,"|",$data(k)')
    for setup, k, out in (("for i=1:1:3 { set x(i)=i }", '""', "1,2,3,||1"),
                          ("", '""', "||1"),
                          ('set x(1)=1,x("b")=2,x(3)=3', "1", "3,b,||1"),
                          ('set x(1)=1,x("b")=2,x(3)=3', '"a"', "b,||1"),
                          ('set x(1)=1,x("b")=2,x(3)=3', '"c"', "||1")):
        fast = src.format(s=setup, k=k, q=FAST_QUIT)
        assert ".keys_after(" in generated(fast)
        assert run(fast) == run(src.format(s=setup, k=k, q=SLOW_QUIT)) == out


@pytest.mark.parametrize("body", [
    'do sub', 'xecute "write 1"', 'set y=$increment(x(1))', 'merge x(9)=y',
    'set @("x(9)")=1', 'set k=k', 'kill k', 'new k', 'set $piece(k,",")=1',
    'if $data(x(k),k)', 'set x(9)=1',
])
def test_order_loop_bodies_that_may_change_the_walk_step(body: str) -> None:
    src = f' set x(1)=1 set k="" for {{ set k=$order(x(k)) {FAST_QUIT}  {body} }}'
    assert ".next1(" in generated(src) and ".keys_after(" not in generated(src)


# ------------------------------------------------------------------ $PIECE


PIECE_ARGS = ["0", "1", "2", "4", "5", "-1", '"2"', "2.7", '"x"', '""', "n", "m"]


@pytest.mark.parametrize("arg", PIECE_ARGS)
def test_piece_of_literals_matches_general_path(arg: str) -> None:
    fast = f' set n=3,m="3b",d="," write "[",$piece("a,b,,d",",",{arg}),"]"'
    slow = f' set n=3,m="3b",d="," write "[",$piece("a,b,,d",d,{arg}),"]"'
    assert "_k" in generated(fast) and "F['$PIECE']" not in generated(fast)
    assert run(fast) == run(slow)


@pytest.mark.parametrize("value", ['"a,b,,d"', '""', "12.5", "-3", '"a,,"', "n"])
@pytest.mark.parametrize("arg", PIECE_ARGS + [None])
def test_piece_of_values_matches_general_path(value: str, arg: str | None) -> None:
    extra = "" if arg is None else f",{arg}"
    fast = f' set n=3,m="3b",d=".",v={value} write "[",$p(v,"."{extra}),"|",$p(v,","{extra}),"]"'
    slow = f' set n=3,m="3b",d=".",c=",",v={value} write "[",$p(v,d{extra}),"|",$p(v,c{extra}),"]"'
    assert ("_PIECE1(" if arg is None else "_PIECE(") in generated(fast)
    assert run(fast) == run(slow)


def test_piece_multi_character_and_star_delimiters() -> None:
    assert run(' set v="a::b::c" write $piece(v,"::",2),$piece(v,"::"),$piece("x--y","--",2)') \
        == "bay"
    # $PIECE(s,d,*) keeps the general path
    assert run(' set v="a,b,c" write $piece(v,",",*)') == "c"
    assert run(' set v="a,b,c" write $piece(v,"")') == ""


# ------------------------------------------------------------------ # and ="literal"


@pytest.mark.parametrize("expr", [
    "i#7", "-i#7", "i#-7", "1+(i#4)", "i#4+1", "x#3", "y#3", "z#3", "w#3", "x#0", "i#0",
    "u#3", "i#1000=0", "i#2=1&&(i#3=0)", "i#2||0",
])
def test_modulo_matches_general_path(expr: str) -> None:
    src = ' set x="7a",y=-7.5,z="",w=2.5E1 for i=-9:4:15 {{ write {e},";" }}'
    # a divisor that is not a literal takes the general path
    slow_expr = re.sub(r"#(-?[0-9]+)", r"#(0+\1)", expr)
    if not expr.endswith("#0"):
        assert " % " in generated(src.format(e=expr))
    assert run(src.format(e=expr)) == run(src.format(e=slow_expr))


def test_modulo_values() -> None:
    assert run(' for i=-7,-1,0,1,7,8 { write i#3,"," }') == "2,2,0,1,1,2,"
    assert run(' for i=-7:1:-6 { write i#-3,"," }') == "-1,0,"
    assert run(' kill u write u#3') == "[<UNDEFINED> *u]"
    assert run(' for i=1:1:2 { write i#0 }').startswith("[<DIVIDE>")


@pytest.mark.parametrize("value", ['""', "0", '"0"', "1", '"a"', '"1.0"', "1.0", "-0", "n"])
def test_string_equality_matches_general_path(value: str) -> None:
    fast = f' set n=5,v={value} write v="",v\'="",v="0",v="1",v="a",v\'="a" if v="" write "E"'
    slow = (f' set n=5,v={value},e="",z="0",o="1",a="a" write v=e,v\'=e,v=z,v=o,v=a,v\'=a '
            'if v=e write "E"')
    assert run(fast) == run(slow)


def test_string_equality_of_undefined_variable() -> None:
    assert run(' kill v write v=""') == "[<UNDEFINED> *v]"
    assert run(' kill v write v\'="a"') == "[<UNDEFINED> *v]"


# ------------------------------------------------------------------ FOR loop values


@pytest.mark.parametrize("body", [
    'set i=i+2 write i,";"',
    'set $piece(i,".",1)=i+2 write i,";"',
    'if $increment(i) write i,";"',
    'kill i set i=6 write i,";"',
    'xecute "set i=i+3" write i,";"',
    'set i(1)=0,i=i+1 write i,";"',
])
def test_for_body_that_changes_the_variable(body: str) -> None:
    src = f' set y(100)="v" for i=1:1:6 {{ {body} }} write "|",i'
    plain = {
        'set i=i+2 write i,";"': "3;6;|6",
        'set $piece(i,".",1)=i+2 write i,";"': "3;6;|6",
        'if $increment(i) write i,";"': "2;4;6;|6",
        'kill i set i=6 write i,";"': "6;|6",
        'xecute "set i=i+3" write i,";"': "4;8;|8",
        'set i(1)=0,i=i+1 write i,";"': "2;4;6;|6",
    }[body]
    assert "for_range(n_i, 1, 1, 6, True)" in generated(src)
    assert run(src) == plain


@pytest.mark.parametrize("body", [
    'set j(1)=i write i,";"',
    'set ^i(1)=i write i,";"',
    'set x(i)=$piece("a,b,c",",",i) write x(i)',
    'set x=$get(i)+$length(i) write x,";"',
])
def test_for_body_that_leaves_the_variable_alone(store: GlobalStore, body: str) -> None:
    src = f' for i=1:1:3 {{ {body} }} write "|",i'
    assert "for_range(n_i, 1, 1, 3, False)" in generated(src)
    expected = {
        'set j(1)=i write i,";"': "1;2;3;|3",
        'set ^i(1)=i write i,";"': "1;2;3;|3",
        'set x(i)=$piece("a,b,c",",",i) write x(i)': "abc|3",
        'set x=$get(i)+$length(i) write x,";"': "2;3;4;|3",
    }[body]
    assert run(src, store) == expected


# ------------------------------------------------------------------ one-subscript SET/$ORDER


def test_one_subscript_set_and_order_on_locals() -> None:
    src = ' set x(3)=1,x(1)=2,x("a")=3,x(1)=4 write x(1),$order(x("")),$order(x(3)),' \
          '$order(x("a")),"|",$order(x(2))'
    assert ".set1(" in generated(src) and ".next1(" in generated(src)
    assert run(src) == '41a|3'
    assert run(' set k="" set x(k)=1') == '[<SUBSCRIPT> x("")]'
    assert run(' kill k set x(k)=1') == "[<UNDEFINED> *k]"
    assert run(' set x(1,2)=5 set x(1)=6 write x(1),x(1,2),$data(x(1))') == "6511"


def test_one_subscript_set_and_order_on_globals(store: GlobalStore) -> None:
    src = ' kill ^X set ^X(3)=1,^X(1)=2,^X("a")=3,^X(1)=4,^X(2.5)=$c(233) write ^X(1),' \
          '$order(^X("")),$order(^X(3)),$order(^X("a")),"|",$order(^X(2)),^X(2.5)'
    assert "P.gstore.nodes['X'].set1(" in generated(src)
    assert run(src, store) == '41a|2.5\u00e9'
    assert run(' set k="" set ^X(k)=1', store) == '[<SUBSCRIPT> ^X("")]'
    assert run(' set ^X("0")=1,^X("01")=2 write $order(^X("")),",",$order(^X(0))', store) \
        == "0,1"


def test_global_walk_across_read_ahead_batches(store: GlobalStore) -> None:
    # more children than the first batches hold, with decimals, negatives, strings and
    # deeper levels among the integers, so both decoders answer
    src = (' kill ^W for i=1:1:300 { set ^W(i)=i } set ^W(150.5)=1,^W(-3)=1,^W("s")=1,'
           '^W(7,1)=1,^W(200,"x",2)=1,^W(10**17)=1,^W(0)=1 set k="",n=0,s=0 '
           'for { set k=$order(^W(k)) quit:k=""  set n=n+1,s=s+k } write n," ",s')
    # 300 integers, 150.5, -3, "s", 10**17 and 0 (7 and 200 are there already)
    assert run(src, store) == "305 100000000000045297.5"


def test_bulk_integer_decoding() -> None:
    def rows(subs: list[Any]) -> list[bytes]:
        return [encode_subs(s) if isinstance(s, tuple) else encode_sub(s) for s in subs]

    assert _top_ints(rows(["1", "2", "10", "100", "999999999999999999"])) == \
        ["1", "2", "10", "100", "999999999999999999"]
    for other in (["1", "1.5"], ["1", ".5"], ["1", "a"], ["-1", "1"], ["0", "1"],
                  [("1", "2"), "3"], [("1", "2"), "-3", "4"], ["1000000000000000000"],
                  ["20", "25.5"]):
        assert _top_ints(rows(other)) is None
