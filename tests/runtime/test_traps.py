"""Error traps: ``$ZTRAP`` (``location``, ``*location``, ""), ``$ETRAP`` with ``$ECODE`` and
``$ESTACK``, the ``ZTRAP`` command, how traps meet TRY/CATCH, and the FOR loop whose body
NEWs its own variable.

Each case names where its expected value comes from: an InterSystems documentation page
(by its doc key: RCOS_vztrap, RCOS_vztrap_starloc, RCOS_vetrap, RCOS_vecode, RCOS_vestack,
RCOS_cztrap, RCOS_cnew, RCOS_ctry, ALEGERR "Legacy Error Processing", RERR_system_ansi) or
the ANSI M rule (ISO 11756) where IRIS follows the standard.
"""

from __future__ import annotations

import threading

import pytest

from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.process import BufferDevice, Process

TR = '''ROUTINE Tr [Type=INT]
Tr ; error traps
 quit
a set $ztrap="err" write "a " do b write "not reached"
 quit
b write "b " write 1/0 write "never"
 quit
c do b
 quit
err write "trap:",$zerror," ",$ecode," st=",$stack
 quit
star set $ztrap="*serr" do b write " back"
 quit
serr write "star st=",$stack
 quit
showst set $ztrap="*serr" write $ztrap
 quit
deep set $ztrap="err" do c write "not reached"
 quit
keep set $ztrap="err" do inner write " outer:",$ztrap
 quit
inner set $ztrap="ierr" write "inner:",$ztrap
 quit
ierr quit
loop set $ztrap="lerr",n=0 write 1/0
 quit
lerr set n=n+1 write n if n<3 write 1/0
 write " done"
 quit
fn() set $ztrap="ferr" quit 1/0
ferr quit "recovered"
pass set $ztrap="perr" do pass2 write " not reached"
 quit
perr write "outer got ",$zerror
 quit
pass2 set $ztrap="p2err" write 1/0
 quit
p2err write "inner got it; " ztrap $zerror
 quit
try set $ztrap="err" try { do b } catch e { write "catch ",e.Name } write " after"
 quit
noline set $ztrap="nosuch" write 1/0
 quit
ext set $ztrap="h^Tr2" write 1/0
 quit
ret set $ztrap="" do b
 quit
throw set $ztrap="err" throw ##class(%Exception.General).%New("Mine")
 quit
dotb set $ztrap="err" do
 . set $ztrap="derr" write 1/0
 write " after dot"
 quit
derr write "dot trap st=",$stack
 quit
newv set x="outer" do newv2 write " x=",x
 quit
newv2 new x set x="inner",$ztrap="nerr" write 1/0
 quit
nerr write "x is ",x
 quit
et new $etrap set $etrap="write ""et:"",$estack,"" "",$ecode set $ecode="""" " do b write " after"
 quit
etc new $etrap set $etrap="write ""h"",$stack,"" """ do etc2 write "not reached"
 quit
etc2 do b write "not reached"
 quit
etnew set $etrap="write 1" new $etrap write $etrap set $etrap="write 2" write " ",$etrap
 quit
etidiom new $etrap,$estack set $etrap="quit:$estack  goto etdone" do c write "not reached"
 quit
etdone write "handled at st=",$stack," es=",$estack set $ecode=""
 quit
etfn() new $etrap set $etrap="set $ecode=""""" quit 1/0
eterr new $etrap set $etrap="write ""e1 "" write 1/0" do etin write " back"
 quit
etin new $etrap set $etrap="write ""in "" write 1/0" write 1/0
 quit
ztet set $ztrap="err" write "[",$etrap,"] " write 1/0
 quit
es write $estack," " new $estack write $estack," " do es2 write " ",$estack
 quit
es2 write $estack
 quit
proc() public {
 set $ztrap="perr2"
 write $ztrap," "
 set x=1/0
 quit
perr2 write "perr2 ",$zerror
 quit
}
pstar() public {
 set $ztrap="*perr3"
 quit
perr3 quit
}
pext() public {
 set $ztrap="h^Tr2"
 quit
}
'''

TR2 = """ROUTINE Tr2 [Type=INT]
Tr2 quit
h write "in Tr2 st=",$stack," ",$zerror
 quit
"""


def run(lines: list[str] | str) -> str:
    rts = {"Tr": TR, "Tr2": TR2}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")


CASES: list[tuple[str | list[str], str, str]] = [
    # $ZTRAP ------------------------------------------------------------------------
    ("do a^Tr", "a b trap:<DIVIDE>b^Tr ,M9, st=1",
     "ALEGERR: the stack unwinds to the level that set $ZTRAP, which goes to the location "
     "with $ZERROR and $ECODE set"),
    ("do deep^Tr", "b trap:<DIVIDE>b^Tr ,M9, st=1",
     "ALEGERR: an error two levels down still reaches the level that set $ZTRAP"),
    ("do star^Tr", "b star st=2 back",
     "RCOS_vztrap_starloc: *location runs at the level of the error; its QUIT ends that "
     "level"),
    ("do showst^Tr", "serr^Tr",
     "RCOS_vztrap_starloc: the asterisk is an option, not shown when $ZTRAP is written"),
    ("do keep^Tr", "inner:ierr^Tr outer:err^Tr",
     "RCOS_vztrap: $ZTRAP set at a level is restored when that level ends"),
    ("do a^Tr write \"|\",$ztrap", "a b trap:<DIVIDE>b^Tr ,M9, st=1|",
     "RCOS_vztrap: the level's end also restores the terminal's empty $ZTRAP"),
    ("do loop^Tr", "123 done",
     "ALEGERR: an error in a $ZTRAP handler that did not reset $ZTRAP takes the same trap "
     "again"),
    ("write $$fn^Tr()", "recovered",
     "ALEGERR: the handler runs in the $$ level that set the trap and QUITs its value"),
    ("do pass^Tr", "inner got it; outer got <DIVIDE>pass2^Tr",
     "RCOS_cztrap: ZTRAP $ZERROR passes the error to the handler of an outer level"),
    ("do try^Tr", "b catch <DIVIDE> after",
     "RCOS_ctry: $ZTRAP set before the TRY: the CATCH block handles the error"),
    ("do noline^Tr", "[<NOLINE> nosuch^Tr]",
     "RCOS_vztrap: a location that does not exist is <NOLINE> when the trap is taken"),
    ("do ext^Tr", "in Tr2 st=1 <DIVIDE>ext^Tr",
     "RCOS_vztrap: label^routine names a label of another routine"),
    ("do ret^Tr", "b [<DIVIDE>b^Tr]",
     "RCOS_vztrap: SET $ZTRAP=\"\" leaves no trap: the error reaches the terminal"),
    ("do throw^Tr", "trap:<THROW>throw^Tr Mine    ,ZTHROW, st=1",
     "ALEGERR: a THROW nobody CATCHes is an error the trap handles"),
    ("do dotb^Tr", "dot trap st=2 after dot",
     "RCOS_ctry/ALEGERR: a dot block is a level of its own with its own $ZTRAP"),
    ("do newv^Tr", "x is inner x=outer",
     "ALEGERR: the handler runs before the level ends (its NEWs still in force)"),
    ("do proc^Tr", "+5^proc perr2 <DIVIDE>proc+3^Tr",
     "RCOS_vztrap: in a procedure $ZTRAP names a private label and reads +offset^proc"),
    ("do pstar^Tr", "[<SYNTAX>pstar+1^Tr]",
     "RCOS_vztrap_starloc: *location in a procedure is <SYNTAX>"),
    ("do pext^Tr", "[<SYNTAX>pext+1^Tr]",
     "RCOS_vztrap: label^routine in a procedure is <SYNTAX>"),
    ("set $ztrap=\"Err^Pkg.Rtn\" write $ztrap", "Err^Pkg.Rtn",
     "RCOS_vztrap: label^routine as set"),
    ("set $ztrap=\"Err^Pkg.Rtn\" xecute \"set $ztrap=\"\"Other\"\" write $ztrap\" "
     "write \" \",$ztrap", "Other Err^Pkg.Rtn",
     "RCOS_vztrap: an XECUTE level's $ZTRAP is restored when it ends"),
    ("new $ztrap", "[<SYNTAX>]", "RCOS_cnew: NEW of $ZTRAP is <SYNTAX>"),
    ("kill $ztrap", "[<SYNTAX>]", "RCOS_vztrap: KILL $ZTRAP is <SYNTAX>"),
    ("set $etrap=\"write 1\" do ztet^Tr write \" \",$etrap", "[] trap:<DIVIDE>ztet^Tr ,M9, "
     "st=1 write 1",
     "ALEGERR: setting $ZTRAP NEWs $ETRAP and clears it; $ZTRAP takes the error"),
    # $ETRAP / $ECODE / $ESTACK ---------------------------------------------------------
    ("do et^Tr", "b et:2 ,M9, after",
     "RCOS_vetrap: $ETRAP runs at the level of the error, then an implicit QUIT; "
     "$ECODE cleared ends the error"),
    ("do etc^Tr", "b h3 h2 h1 [<DIVIDE>b^Tr]",
     "RCOS_vetrap: $ECODE left set, each calling level's $ETRAP runs in turn"),
    ("do etnew^Tr write \" \",$etrap", "write 1 write 2 write 1",
     "RCOS_vetrap: NEW $ETRAP keeps the value; the level's end restores the old copy "
     "(the SET before the NEW changed the caller's $ETRAP: it is not stacked)"),
    ("do etidiom^Tr", "b handled at st=1 es=0",
     "RCOS_vestack: QUIT:$ESTACK unwinds to the level that NEWed $ESTACK"),
    ("write \"[\",$$etfn^Tr(),\"]\"", "[]",
     "RCOS_vetrap: in a $$ level the implicit QUIT returns the empty string"),
    ("do eterr^Tr", "in e1 [<DIVIDE>]",
     "ANSI M (ISO 11756 7.1.5.6): an error in $ETRAP code ends the level; the caller's "
     "$ETRAP takes the new error"),
    ("set $etrap=\"write \"\"L0 \"\",$ecode set $ecode=\"\"\"\"\" write 1/0", "L0 ,M9,",
     "RCOS_vetrap: a trap set at the terminal handles the terminal line's error"),
    ("do es^Tr", "1 0 1 0",
     "RCOS_vestack: NEW $ESTACK counts from 0 again until the level ends"),
    ("write $estack,$stack", "00", "RCOS_vestack: 0 at the terminal"),
    (["try { set $ecode=\",U13,\" } catch e { write e.Name }", "write \" \",$ecode"],
     "<ECODETRAP> ,U13,",
     "RCOS_vecode: SET $ECODE to a value raises <ECODETRAP> and keeps the value"),
    (["set $ecode=\",U1,\"", "set $ecode=\"\" write \"[\",$ecode,\"]\""],
     "[<ECODETRAP>][]", "RCOS_vecode: SET $ECODE=\"\" clears it"),
    ("try { write 1/0 } catch { write $ecode }", ",M9,",
     "RERR_system_ansi: M9 is a division by zero"),
    ("try { write zz } catch { write $ecode }", ",M6,",
     "RERR_system_ansi: M6 is an undefined local variable"),
    # ZTRAP command -----------------------------------------------------------------------
    ("try { ztrap \"FRED\" } catch e { write e.Name }", "<ZFRED>",
     "RCOS_cztrap: ZTRAP \"FRED\" generates <ZFRED>"),
    ("try { ztrap \"Freddy\" } catch e { write e.Name }", "<ZFred>",
     "RCOS_cztrap: only the first four characters, case kept"),
    ("try { ztrap 10/3 } catch e { write e.Name }", "<Z3.33>",
     "RCOS_cztrap: ZTRAP 10/3 generates <Z3.33>"),
    ("try { ztrap 2+2 } catch e { write e.Name }", "<Z4>",
     "RCOS_cztrap: ZTRAP 2+2 generates <Z4>"),
    ("ztrap", "[<ZTRAP>]", "RCOS_cztrap: ZTRAP without an argument"),
    ("ztrap:0 \"NO\" write \"ok\"", "ok", "RCOS_cztrap: the postconditional"),
    # FOR and NEW ---------------------------------------------------------------------------
    ("for i=1:1:6 { new i set i=7 } write i", "7",
     "ANSI M (ISO 11756 8.2.6): the loop steps the variable the body sees after its NEW; "
     "7+1 ends the loop"),
    ("set n=0 for i=1:1:6 { set n=n+1 new i set i=n*2 } write n", "3",
     "ANSI M: each pass steps the NEWed i (2+1, 4+1, 6+1), not the first one"),
    ("set n=0 for i=1:1:3,10 { set n=n+1 new i set i=9 } write n", "2",
     "ANSI M: the same in a FOR with several arguments"),
    ("set n=0 for i=1:1 { set n=n+1 new i set i=5 quit:n>3 } write n", "4",
     "ANSI M: an open-ended FOR whose body NEWs the variable"),
    ("set n=0 for i=1:1:3 { new j set j=i,n=n+1 } write n,i", "33",
     "ANSI M: a NEW of another variable leaves the loop alone"),
]


@pytest.mark.parametrize("lines,expected,source", CASES, ids=[c[2][:60] for c in CASES])
def test_trap_case(lines: str | list[str], expected: str, source: str) -> None:
    assert run(lines) == expected, source


def test_interrupt_ends_a_handler_that_loops() -> None:
    """ALEGERR warns that a $ZTRAP handler failing again loops for ever; the <INTERRUPT> of
    the line's time limit (interrupt()) must still end the line, not be trapped again."""
    rts = {"Lp": "ROUTINE Lp [Type=INT]\nLp set $ztrap=\"h\" write 1/0\n quit\n"
                 "h set c=$g(c)+1 write 1/0\n"}
    dev = BufferDevice()
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    timer = threading.Timer(0.3, p.interrupt)
    timer.start()
    try:
        with pytest.raises(ObjectScriptError) as info:
            p.execute("set $ztrap=\"\" do ^Lp")
    finally:
        timer.cancel()
    assert info.value.code == "INTERRUPT"
    assert p.sym.node("c").value > 10     # the handler did loop until then


def test_fast_for_loop_has_no_rebind() -> None:
    """The FOR fast paths stay: a body without NEW steps a Python int, not a looked-up
    variable."""
    from compiler_stub.runtime.translate import translate_line

    plain = translate_line("for i=1:1:3 { set s=i }").generated  # type: ignore[attr-defined]
    with_new = translate_line("for i=1:1:3 { new i }").generated  # type: ignore[attr-defined]
    other_new = translate_line("for i=1:1:3 { new j }").generated  # type: ignore[attr-defined]
    assert "rebind" not in plain and "rebind" in with_new and "rebind" not in other_new
