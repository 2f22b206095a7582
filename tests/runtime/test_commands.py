"""Conformance of ObjectScript commands run through the translator (terminal lines).

Each case is (source lines, exact output or error text, where the expectation comes from).
Output: ``!`` writes CR LF (checked once below); the other cases compare with CR LF written as
``\\n``. An error is shown as ``[<NAME>location detail]`` after the output produced before it.
Doc keys are InterSystems documentation pages (docs.intersystems.com ``KEY=``), found with the
search tool; "ANSI M" marks a rule of the 1995 M standard that IRIS follows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.globals import GlobalStore
from compiler_stub.runtime.process import BufferDevice, Process


def run(lines: list[str] | str, inputs: list[str | None] | None = None,
        store: Any = None, routines: dict[str, str] | None = None) -> str:
    """Run terminal lines in a fresh process; the output, and the first error as [..]."""
    dev = BufferDevice(inputs)
    rts = routines or {}
    p = Process("USER", store, lambda n: rts[n].split("\n") if n in rts else None, dev)
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")


# (source, expected, where the expectation comes from)
CASES: list[tuple[Any, str, str]] = [
    # ---------------------------------------------------------------- SET
    (' set x=5 write x', "5", "RCOS_cset"),
    (' set x="abc" write x', "abc", "RCOS_cset"),
    (' set (a,b,c)=7 write a,b,c', "777", "RCOS_cset: multiple targets"),
    (' set a=1,b=a+1,c=b*2 write a,b,c', "124", "RCOS_cset: arguments left to right"),
    (' set x(1)=10,x(1,2)="y" write x(1),x(1,2)', "10y", "RCOS_cset: subscripted locals"),
    (' set x("a b")=1 write x("a b")', "1", "RCOS_cset"),
    (' set a="x,y,z" set $piece(a,",",2)="Q" write a', "x,Q,z", "RCOS_fpiece: SET $PIECE"),
    (' set a="" set $piece(a,"^",3)="c" write a', "^^c", "RCOS_fpiece: pads with delimiters"),
    (' set a="abcdef" set $extract(a,2,3)="XY" write a', "aXYdef", "RCOS_fextract: SET $EXTRACT"),
    (' set a="abc" set $extract(a,5)="e" write a', "abc e", "RCOS_fextract: pads with spaces"),
    (' set l=$lb(1,2,3) set $list(l,2)="b" write $list(l,2),$listlength(l)', "b3",
     "RCOS_flist: SET $LIST"),
    (' set x=1 set x=x_2 write x', "12", "RCOS_cset"),
    (' set x="5",y=x+1 write y', "6", "ANSI M: numeric interpretation"),
    (' set:0 x=1 write $data(x)', "0", "RCOS_cset: postconditional false"),
    (' set:1 x=1 write $data(x)', "1", "RCOS_cset: postconditional true"),
    (' set $x=10 write $x', "10", "RCOS_vx: SET $X"),
    (' set $test=1 write $test set $test=0 write $test', "10", "RCOS_vtest: SET $TEST"),
    (' set x=1 set x(1)=2 write x,x(1)', "12", "ANSI M: a node has a value and children"),
    # ---------------------------------------------------------------- expressions
    (' write 2+3*4', "20", "GCOS_operators: strictly left to right"),
    (' write 2+(3*4)', "14", "GCOS_operators: parentheses"),
    (' write 10-2-3', "5", "GCOS_operators"),
    (' write 7\\2,",",-7\\2', "3,-3", "GCOS_operators: integer division truncates"),
    (' write 7#3,",",-7#3,",",7#-3', "1,2,-2", "GCOS_operators: modulo sign of divisor"),
    (' write 7/2', "3.5", "GCOS_operators"),
    (' write 1/3', ".3333333333333333333", "GCOS_operators: 19 digits, no leading 0"),
    (' write 2**10', "1024", "GCOS_operators: exponentiation"),
    (' write "3 apples"+2', "5", "GCOS_numeric: leading number"),
    (' write +"abc",-"",+"1E3"', "001000", "GCOS_numeric"),
    (' write "a"_"b"_1', "ab1", "GCOS_operators: concatenation"),
    (' write 1=1,1="1",1="1.0",01=1', "1101", "GCOS_operators: = compares strings"),
    (' write 2<10,"2"<"10","b">"a"', "110", "GCOS_operators: < > numeric"),
    (" write 1'=2,2'<1,1'>2", "111", "GCOS_operators: negated relations"),
    (' write "abc"["b","abc"["d"', "10", "GCOS_operators: contains"),
    (' write "b"]"a","a"]"b"', "10", "GCOS_operators: follows"),
    (' write 10]]9,"a"]]10', "11", "GCOS_operators: sorts after"),
    (' write "123"?3N,"12a"?3N,"ab"?1.A', "101", "GCOS_pattern"),
    (" write '1,'0,'\"\"", "011", "GCOS_operators: not"),
    (' write 1&0,1!0,1&&1,0||0', "0110", "GCOS_operators: and/or"),
    (" write 1'&1,0'!0", "01", "GCOS_operators: nand/nor"),
    (' write -"3",-(-3),+"-4"', "-33-4", "GCOS_operators: unary"),
    (' write .1+.2', ".3", "GCOS_numeric: decimal arithmetic"),
    (' write 1.50', "1.5", "GCOS_numeric: canonical form"),
    (' write 1E3,1e-2', "1000.01", "GCOS_numeric: exponent"),
    (' write 9223372036854775807*10', "92233720368547758070", "GCOS_numeric: past 64 bits"),
    (' write 1/0', "[<DIVIDE>]", "GCOS_operators: division by zero"),
    (' write 5#0', "[<DIVIDE>]", "GCOS_operators: modulo by zero"),
    (' write "x"+1', "1", "GCOS_numeric"),
    # ---------------------------------------------------------------- WRITE
    (' write "a",!,"b"', "a\nb", "RCOS_cwrite: ! new line"),
    (' write "ab",?5,"c"', "ab   c", "RCOS_cwrite: ?n tab"),
    (' write "abcdef",?2,"g"', "abcdefg", "RCOS_cwrite: ?n behind $X does nothing"),
    (' write *65,*66', "AB", "RCOS_cwrite: *n character"),
    (' write "abc",*65 write $x', "abcA3", "RCOS_vx: WRITE * does not change $X"),
    (' write "abc" write $x', "abc3", "RCOS_vx"),
    (' write "ab",! write $x,$y', "ab\n01", "RCOS_vx/RCOS_vy: ! sets $X 0, $Y+1"),
    (' write $c(9) write $x', "\t1", "RCOS_vx: tab counts 1"),
    (' write "a",$c(13),"b" write $x', "a\rb1", "RCOS_vx: CR resets $X"),
    (' write !!,$y', "\n\n2", "RCOS_vy"),
    (' write:0 "no" write "yes"', "yes", "RCOS_cwrite: postconditional"),
    (' write "a",#,$x,$y', "a\r\f00", "RCOS_cwrite: # form feed"),
    (' write 1,2,3', "123", "RCOS_cwrite: no separators"),
    # ---------------------------------------------------------------- IF / ELSE / $TEST
    (' if 1 write "a"', "a", "RCOS_CIF_LEGACY"),
    (' if 0 write "a"', "", "RCOS_CIF_LEGACY"),
    (' if 1 write "a" else  write "b"', "a", "RCOS_CIF_LEGACY: ELSE on the same line"),
    (' if 0 write "a" else  write "b"', "", "RCOS_CIF_LEGACY: a false IF skips the rest"
     " of the line, ELSE included"),
    ([' if 0 write "a"', ' else  write "b"'], "b", "RCOS_CIF_LEGACY: ELSE uses $TEST"),
    (' if 1,0 write "a"', "", "RCOS_CIF_LEGACY: all arguments must be true"),
    (' if 1,2 write "a"', "a", "RCOS_CIF_LEGACY"),
    ([' if 1', ' if  write "t"'], "t", "RCOS_CIF_LEGACY: argumentless IF tests $TEST"),
    (' if 5 write $test', "1", "RCOS_vtest: legacy IF sets $TEST"),
    (' set $test=0 if 1 { write $test }', "0", "RCOS_vtest: block IF leaves $TEST"),
    (' if 1 { write "a" } else { write "b" }', "a", "RCOS_cif"),
    (' if 0 { write "a" } else { write "b" }', "b", "RCOS_cif"),
    (' set x=2 if x=1 { write 1 } elseif x=2 { write 2 } else { write 3 }', "2",
     "RCOS_cif: ELSEIF"),
    (' set x=9 if x=1 { write 1 } elseif x=2 { write 2 } else { write 3 }', "3", "RCOS_cif"),
    (' if 1,0 { write "a" } else { write "b" }', "b", "RCOS_cif: comma means and"),
    # ---------------------------------------------------------------- FOR
    (' for i=1:1:5 write i', "12345", "RCOS_cfor_legacy"),
    (' for i=1:1:5 { write i } write "|",i', "12345|5",
     "RCOS_cfor_legacy: never incremented past the end"),
    (' for i=5:-1:1 write i', "54321", "RCOS_cfor_legacy: negative increment"),
    (' for i=1:2:6 write i', "135", "RCOS_cfor_legacy"),
    (' for i=5:1:1 write i', "", "RCOS_cfor_legacy: start past end runs no pass"),
    (' for i=1:1 quit:i>3  write i', "123", "RCOS_cfor_legacy: open range"),
    (' for i="a","b",3 write i', "ab3", "RCOS_cfor_legacy: list of values"),
    (' for i=1,5:1:7,"z" write i', "1567z", "RCOS_cfor_legacy: mixed list"),
    (' for i=.5:.5:2 write i,","', ".5,1,1.5,2,", "RCOS_cfor_legacy: decimals"),
    (' set x=0 for  set x=x+1 quit:x>4  write x', "1234", "RCOS_cfor_legacy: argumentless"),
    (' set x=0 for { set x=x+1 quit:x>3  write x }', "123", "RCOS_cfor: argumentless block"),
    (' for i=1:1:3 { for j=1:1:2 { write i,j," " } }', "11 12 21 22 31 32 ", "RCOS_cfor"),
    (' for i=1:1:3 { for j=1:1:3 { quit:j=2  write i,j," " } }', "11 21 31 ",
     "RCOS_cquit: QUIT ends the innermost FOR"),
    (' for i=1:1:4 { continue:i=2  write i }', "134", "RCOS_ccontinue"),
    (' for i=1:1:10 { set i=i+1 write i }', "246810",
     "RCOS_cfor_legacy: the variable changed in the loop"),
    (' for i=1:1:3 write i set i=3', "1", "RCOS_cfor_legacy: setting the variable ends it"),
    (' set n=3 for i=1:1:n { set n=1 write i }', "123",
     "RCOS_cfor_legacy: end evaluated once"),
    (' for x(1)=1:1:3 write x(1)', "123", "RCOS_cfor_legacy: subscripted variable"),
    (' for i=1:1:3 { if i=2 { quit } write i }', "1", "RCOS_cquit: QUIT in IF in FOR"),
    # ---------------------------------------------------------------- WHILE / DO WHILE
    (' set x=1 while x<4 { write x set x=x+1 }', "123", "RCOS_cwhile"),
    (' set x=5 while x<4 { write x }', "", "RCOS_cwhile: tested first"),
    (' set x=5 do { write x set x=x+1 } while x<4', "5", "RCOS_cdowhile: body runs once"),
    (' set x=1 do { write x set x=x+1 } while x<4', "123", "RCOS_cdowhile"),
    (' set x=0 while 1 { set x=x+1 quit:x>2  write x }', "12", "RCOS_cquit: QUIT ends WHILE"),
    (' set x=0 do { set x=x+1 continue:x=2  write x } while x<4', "134",
     "RCOS_ccontinue: goes to the test"),
    # ---------------------------------------------------------------- TRY / CATCH / THROW
    (' try { write 1 } catch { write 2 } write 3', "13", "RCOS_ctry"),
    (' try { write 1/0 } catch e { write e.Name } write "!"', "<DIVIDE>!", "RCOS_ccatch"),
    (' try { write x } catch e { write e.Name,"|",$zerror }', "<UNDEFINED>|<UNDEFINED> *x",
     "RCOS_ccatch"),
    (' try { write 1/0 } catch e { write e.Code>0,e.Location="" }', "11",
     "RCOS_ccatch: a system error has a code; a terminal line has no location"),
    (' try { write 1/0 } catch e { write $zerror }', "<DIVIDE>", "RCOS_ctry: sets $ZERROR"),
    (' try { throw ##class(%Exception.General).%New("Oops",7,,"d") } catch e { write e.Name,'
     'e.Code,e.Data }', "Oops7d", "RCOS_cthrow"),
    (' try { throw ##class(%Exception.General).%New("Oops",7,"loc","d") } catch e { write '
     'e.DisplayString() }', "Oops 7 loc d", "RCOS_cthrow: Name Code Location Data"),
    (' try { try { write 1/0 } catch { write "in" } write "mid" } catch { write "out" }',
     "inmid", "RCOS_ctry: nested"),
    (' try { try { write 1/0 } catch e { throw e } } catch f { write f.Name }', "<DIVIDE>",
     "RCOS_cthrow: rethrow"),
    (' try { write "a" quit  write "b" } catch { } write "c"', "ac",
     "RCOS_ctry: QUIT leaves the TRY block"),
    (' for i=1:1:3 { try { continue:i=2  write i } catch { } }', "13",
     "RCOS_ccontinue: from a TRY block"),
    (' for i=1:1:3 { try { quit:i=2  write i } catch { } write "." }', "1..3.",
     "RCOS_ctry: QUIT leaves only the TRY"),
    (' try { set $piece(x,",",1)=1 write x } catch e { write e.Name }', "1", "RCOS_fpiece"),
    (' throw ##class(%Exception.General).%New("X",1,"","")', "[<THROW> X 1  ]",
     "RCOS_cthrow: uncaught THROW"),
    (' try { write 1/0 } catch e { set st=e.AsStatus() '
     'write $piece(st," "),$li($li($e(st,3,*)),1) }',
     "05002", "%Status format: 0 and $lb($lb(5002,...)) (ObjectScript error)"),
    # ---------------------------------------------------------------- KILL / NEW / MERGE
    (' set x=1 kill x write $data(x)', "0", "RCOS_ckill"),
    (' set x(1)=1,x(2)=2 kill x(1) write $data(x(1)),$data(x(2))', "01", "RCOS_ckill"),
    (' set a=1,b=2 kill  write $data(a),$data(b)', "00", "RCOS_ckill: argumentless"),
    (' set a=1,b=2,c=3 kill (a) write $data(a),$data(b),$data(c)', "100",
     "RCOS_ckill: exclusive KILL"),
    (' set x=1 kill x write x', "[<UNDEFINED> *x]", "RCOS_ckill"),
    (' set x=1,y=2 xecute "new x set x=5 write x" write x', "51",
     "RCOS_cnew: XECUTE level restores"),
    (' set x=1 do  write x', "1", "RCOS_cnew"),
    (' set a(1)=1,a(2,3)=4 merge b=a write b(1),b(2,3)', "14", "RCOS_cmerge"),
    (' set a(1)=1 merge b(5)=a write b(5,1),$data(b(5))', "110", "RCOS_cmerge: under a node"),
    # ---------------------------------------------------------------- functions with references
    (' write $data(x),$data(y(1))', "00", "RCOS_fdata"),
    (' set x=1 write $data(x)', "1", "RCOS_fdata"),
    (' set x(1)=1 write $data(x)', "10", "RCOS_fdata"),
    (' set x=1,x(1)=1 write $data(x)', "11", "RCOS_fdata"),
    (' write $get(x),"|",$get(x,"d")', "|d", "RCOS_fget"),
    (' set x(2)=5 write $get(x(2),"d"),$get(x(3),"d")', "5d", "RCOS_fget"),
    (' set x(1)=1,x(3)=3,x(2)=2 set k="" for  set k=$order(x(k)) quit:k=""  write k',
     "123", "RCOS_forder"),
    (' set x(1)=1,x(3)=3,x(2)=2 set k="" for  set k=$order(x(k),-1) quit:k=""  write k',
     "321", "RCOS_forder: reverse"),
    (' set x(10)=1,x(9)=1,x("a")=1,x(-1)=1 set k="" for  set k=$order(x(k)) quit:k=""  '
     'write k," "', "-1 9 10 a ", "RCOS_forder: numbers first, numerically"),
    (' set x(1)=1 write $order(x(1)),"|"', "|", "RCOS_forder: end is empty"),
    (' set x(1)="a" write $order(x(""),1,v),v', "1a", "RCOS_forder: third argument"),
    (' set x(1,2)=3,x(2)=4 write $query(x("")),",",$query(x(1,2))', "x(1,2),x(2)",
     "RCOS_fquery"),
    (' write $query(x(""))', "", "RCOS_fquery"),
    (' write $increment(n),$increment(n),$increment(n,10)', "1212", "RCOS_fincrement"),
    (' set x(1)=5 write $increment(x(1),-2)', "3", "RCOS_fincrement"),
    (' write $name(x(1,"a"))', 'x(1,"a")', "RCOS_fname"),
    (' write $name(^g(2))', "^g(2)", "RCOS_fname"),
    (' set x=3 write $select(x=1:"a",x=3:"c",1:"z")', "c", "RCOS_fselect"),
    (' write $select(0:1)', "[<SELECT>]", "RCOS_fselect: no true condition"),
    (' set x=5 write $case(x,1:"one",5:"five",:"other")', "five", "RCOS_fcase"),
    (' set x=9 write $case(x,1:"one",:"other")', "other", "RCOS_fcase: default"),
    (' write $select(1:"a",1/0:"b")', "a", "RCOS_fselect: stops at the first true"),
    (' set l=$lb("a","b") set p=0 while $listnext(l,p,v) { write v }', "ab",
     "RCOS_flistnext"),
    (' write $lb(x)=$c(1)', "1", "RCOS_flistbuild: undefined variable is an empty element"),
    # ---------------------------------------------------------------- intrinsic functions
    (' write $piece("a^b^c","^",2)', "b", "RCOS_fpiece"),
    (' write $length("abc"),$length("a,b,c",",")', "33", "RCOS_flength"),
    (' write $extract("hello",2,4)', "ell", "RCOS_fextract"),
    (' write $extract("hello",*)', "o", "RCOS_fextract: * is the end"),
    (' write $extract("hello",*-1,*)', "lo", "RCOS_fextract"),
    (' write $find("hello","l")', "4", "RCOS_ffind"),
    (' write $char(72,105),$ascii("A")', "Hi65", "RCOS_fchar"),
    (' write $translate("abc","b","B")', "aBc", "RCOS_ftranslate"),
    (' write $justify(3.14159,8,2)', "    3.14", "RCOS_fjustify"),
    (' write $list($lb(1,2,3),*)', "3", "RCOS_flist"),
    (' write $zfoo(1)', "[<FUNCTION>]", "RCOS: unknown $function"),
    (' write $piece("a")', "[<SYNTAX>]", "RCOS_fpiece: too few arguments"),
    # ---------------------------------------------------------------- special variables
    (' write $namespace', "USER", "RCOS_vnamespace"),
    (' write $stack', "0", "RCOS_vstack: terminal level"),
    (' write $tlevel', "0", "RCOS_vtlevel"),
    (' write $zversion["IRIS"', "1", "RCOS_vzversion"),
    (' write $length($horolog,",")', "2", "RCOS_vhorolog"),
    (' write $ztimestamp?1.5N1","1.5N1"."1.N', "1", "RCOS_vztimestamp"),
    (' write $this', "", "RCOS_vthis: no object yet"),
    (' write $job>0', "1", "RCOS_vjob"),
    (' write $zerror', "", "RCOS_vzerror: empty at start"),
    ([' write x', ' write $zerror'], "[<UNDEFINED> *x]<UNDEFINED> *x", "RCOS_vzerror"),
    # ---------------------------------------------------------------- XECUTE / indirection
    (' xecute "write 1+1"', "2", "RCOS_cxecute"),
    (' set c="write 5" xecute c', "5", "RCOS_cxecute"),
    (' xecute "write 1","write 2"', "12", "RCOS_cxecute: several arguments"),
    (' xecute "write 1":0,"write 2":1', "2", "RCOS_cxecute: postconditionals"),
    (' xecute "for i=1:1:3 quit:i=2  write i" write "|",i', "1|2", "RCOS_cxecute"),
    (' xecute "quit" write "after"', "after", "RCOS_cxecute: QUIT ends the XECUTE"),
    (' set v="y" set y=3 write @v', "3", "GCOS_indirection: name indirection"),
    (' set v="y(2)" set @v=9 write y(2)', "9", "GCOS_indirection: SET @"),
    (' set v="y",y(1)=7 write @v@(1)', "7", "GCOS_indirection: subscript indirection"),
    (' set a="x=4" set @a write x', "4", "GCOS_indirection: argument indirection"),
    (' set k="y" kill @k write $data(y)', "0", "GCOS_indirection: KILL @"),
    (' set v="1+" write @v', "[<SYNTAX>]", "GCOS_indirection: not a name"),
    # ---------------------------------------------------------------- READ / HANG / JOB / ZN
    (' read x write "[",x,"]"', "[hi]", "RCOS_cread"),
    (' read "Name: ",x write "|",x', "Name: |hi", "RCOS_cread: prompt"),
    (' read x#1 write x', "h", "RCOS_cread: #n"),
    (' read x:5 write $test', "1", "RCOS_cread: timed read sets $TEST"),
    (' read *c write c', "104", "RCOS_cread: *x reads a character code"),
    (' read x write $x', "2", "RCOS_cread: echo advances $X"),
    (' hang 0 write "h"', "h", "RCOS_chang"),
    (' job a^b', "[<UNIMPLEMENTED> JOB is not available in this runtime]",
     "stand-in: JOB is refused with a clear error"),
    (' znspace "NOPE"', "[<NAMESPACE> *NOPE]", "RCOS_cznspace: unknown namespace"),
    (' set $namespace="user" write $namespace', "USER", "RCOS_vnamespace: case-insensitive"),
    # ---------------------------------------------------------------- ZWRITE
    (' set x=1,y="a" zwrite', 'x=1\ny="a"\n', "RCOS_czwrite: argumentless"),
    (' set x(1)=1,x(1,"a")="b" zwrite x', 'x(1)=1\nx(1,"a")="b"\n', "RCOS_czwrite"),
    (' set x="a"_$c(10) zwrite x', 'x="a"_$c(10)\n', "RCOS_czwrite: control characters"),
    (' set x=1.50 zwrite x', "x=1.5\n", "RCOS_czwrite: numbers unquoted"),
    (' set x="01" zwrite x', 'x="01"\n', "RCOS_czwrite: non-canonical strings quoted"),
    # ---------------------------------------------------------------- errors in a line
    (' write undefined', "[<UNDEFINED> *undefined]", "GCOS_errors: <UNDEFINED> *name"),
    (' write x(1,"a")', '[<UNDEFINED> *x(1,"a")]', "GCOS_errors"),
    (' set x("")=1', "[<SUBSCRIPT> x(\"\")]", "GCOS_errors: empty subscript"),
    (' frobnicate x', "[<SYNTAX>]", "GCOS_errors: unknown command"),
    (' do ^NoSuch', "[<NOROUTINE> *NoSuch]", "GCOS_errors: <NOROUTINE>"),
    (' write "a" write 1/0 write "b"', "a[<DIVIDE>]", "GCOS_errors: output before it stays"),
    (' quit', "", "RCOS_cquit: at the terminal"),
    (' write ##class(No.Such).M()', "[<CLASS DOES NOT EXIST> *No.Such]", "GCOS_errors"),
]


def _id(case: tuple[Any, str, str]) -> str:
    src = case[0] if isinstance(case[0], str) else " / ".join(case[0])
    return src.strip()[:60]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES, ids=[_id(c) for c in CASES])
def test_conformance(src: Any, expected: str, origin: str) -> None:
    assert origin
    assert run(src, inputs=["hi", "x", "y"]) == expected


def test_case_count() -> None:
    assert len(CASES) >= 150


def test_new_line_is_cr_lf() -> None:
    dev = BufferDevice()
    p = Process("USER", None, lambda n: None, dev)
    p.execute(' write "a",!,"b"')
    assert dev.out == "a\r\nb"


def test_timed_read_that_times_out() -> None:
    assert run(' read x:1 write $test,"[",x,"]"', inputs=[None]) == "0[]"
    assert run(' read *c:1 write c', inputs=[None]) == "-1"


def test_new_at_terminal_and_restore_on_quit() -> None:
    routines = {"R": "R\nsub new x set x=2 write x quit"}
    assert run([" set x=1 do sub^R write x"], routines=routines) == "21"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = GlobalStore(tmp_path / "USER.db")
    yield s
    s.close()


GLOBAL_CASES = [
    (' set ^g(1)=5 write ^g(1)', "5", "RCOS_cset: globals"),
    (' set ^g(1)=1,^g(2)=2 set k="" for  set k=$order(^g(k)) quit:k=""  write k', "12",
     "RCOS_forder"),
    (' set ^g(1,2)=1 write $data(^g(1)),$data(^g(1,2)),$data(^g(9))', "1010", "RCOS_fdata"),
    (' set ^g=1 kill ^g write $data(^g)', "0", "RCOS_ckill"),
    (' write ^nope', "[<UNDEFINED> ^nope]", "GCOS_errors: undefined global"),
    (' set ^c=0 write $increment(^c),$increment(^c)', "12", "RCOS_fincrement"),
    (' set ^g(1)=1,^g(2)=2 merge x=^g write x(1)+x(2)', "3", "RCOS_cmerge"),
    (' set ^g(1)="a" zwrite ^g', '^g(1)="a"\n', "RCOS_czwrite"),
    (' set v="^g",^g(1)=3 write @v@(1)', "3", "GCOS_indirection: global"),
    (' set v="^g(2)" set @v=4 write ^g(2)', "4", "GCOS_indirection: SET @ global"),
    (' tstart  set ^t=1 trollback  write $data(^t)', "0", "RCOS_ctrollback"),
    (' tstart  write $tlevel tcommit  write $tlevel', "10", "RCOS_vtlevel"),
]


@pytest.mark.parametrize(("src", "expected", "origin"), GLOBAL_CASES,
                         ids=[_id(c) for c in GLOBAL_CASES])
def test_globals(src: str, expected: str, origin: str, store: Any) -> None:
    assert origin
    assert run(src, store=store) == expected


def test_namespace_switch_uses_the_callback(tmp_path: Path) -> None:
    stores = {"USER": GlobalStore(tmp_path / "u.db"), "OTHER": GlobalStore(tmp_path / "o.db")}
    try:
        dev = BufferDevice()
        p = Process("USER", stores["USER"], lambda n: None, dev,
                    switch_namespace=stores.get)
        p.execute(' set ^x="user" znspace "other" set ^x="other" write $namespace')
        p.execute(' set $namespace="USER" write ^x')
        assert dev.out == "OTHERuser"
        assert p.namespace == "USER"
    finally:
        for s in stores.values():
            s.close()
