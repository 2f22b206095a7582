"""Routines end to end: labels, offsets, fall-through, formal lists, procedures, dot blocks,
GOTO, class methods through their generated ``.1.int``, error locations, <FRAMESTACK>,
<INTERRUPT>, the routine cache, and a few real routines of the corpus (read in place).

Expected values: InterSystems documentation pages (doc keys as in test_commands.py) or the
ANSI M rule named with the case.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from compiler_stub.generation.intcode import class_routine, mac_to_int
from compiler_stub.macros.preprocessor import MacroTable
from compiler_stub.reading.outline import read_class
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.process import BufferDevice, Process

CORPUS = Path("/work/corpus")

RTN = """ROUTINE Rt [Type=INT]
Rt ; a test routine
 write "top"
 quit
add(a,b=10) quit a+b
f1 write "f1"
f2 write "f2"
 quit
f3(x) write "f3"
 quit
off write "o0"
 write "o1"
 write "o2"
 quit
dots(n)
 if n>1 do
 . write "big"
 . do
 . . write "+"
 . . quit
 . . write "never"
 . write "."
 else  do
 . write "small"
 write "|"
 quit
dotquit
 do
 . write "a"
 . quit
 . write "b"
 write "c"
 quit
dottest
 if 0
 do
 . if 1
 write $test
 quit
pub(x,y) public {
 set z=x*2
 do inner
 quit z+y
inner
 set z=z+1
 quit
}
priv() {
 quit "private"
}
callpriv() public {
 quit $$priv()
}
plist() [pv] public {
 set pv="shared",hidden="no"
 do show
 quit
}
show
 write $get(pv,"?"),$get(hidden,"-")
 quit
byref(x) public {
 set x=x+1
}
byref2(x)
 set x(1)="sub"
 quit
var(a,rest...) public {
 write a,":",$get(rest)
 for i=1:1:$get(rest) { write ",",rest(i) }
}
err set a=1
 set b=a/0
 quit
undef() public {
 write "x"
 write nothere
}
goloop set n=0
loop set n=n+1
 goto:n<3 loop
 write n
 quit
gofar goto off+2
gorout goto add2^Rt2
recurse(n) quit $$recurse(n+1)
ztest write $zname," ",$stack
 do zin
 quit
zin write " ",$stack
 quit
pc do:0 f1 do f3(1):0,f3(2):1
 quit
noval quit
text write $text(text),"|",$text(+1),"|",$text(add+0)
 quit
"""

RTN2 = """ROUTINE Rt2 [Type=INT]
Rt2 write "rt2"
 quit
add2 write "at add2"
 quit
"""


def run(lines: list[str] | str, routines: dict[str, str] | None = None,
        process: Process | None = None) -> str:
    rts = {"Rt": RTN, "Rt2": RTN2, **(routines or {})}
    dev = BufferDevice(["in"])
    p = process or Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None, dev)
    if process is not None:
        dev = p.device  # type: ignore[assignment]
    for line in [lines] if isinstance(lines, str) else lines:
        try:
            p.execute(line)
        except ObjectScriptError as e:
            dev.write(f"[{e}]")
    return dev.out.replace("\r\n", "\n")  # type: ignore[attr-defined]


CASES: list[tuple[str, str, str]] = [
    (" do ^Rt", "top", "RCOS_cdo: DO ^routine starts at the top"),
    (" do Rt^Rt", "top", "RCOS_cdo: label^routine"),
    (" write $$add^Rt(1,2)", "3", "GCOS_usercode: extrinsic function"),
    (" write $$add^Rt(1)", "11", "GCOS_ucode_vars: default value of a formal"),
    (" write $$add^Rt(,5)", "[<UNDEFINED>add^Rt *a]", "GCOS_usercode: omitted argument"),
    (" do f1^Rt", "f1f2", "GCOS_usercode: falls through into the next label"),
    (" do f2^Rt", "f2", "RCOS_cdo"),
    (" do off^Rt", "o0o1o2", "RCOS_cdo"),
    (" do off+1^Rt", "o1o2", "RCOS_cdo: label+offset"),
    (" do off+2^Rt", "o2", "RCOS_cdo: label+offset"),
    (" do off+200^Rt", "[<NOLINE> off+200^Rt]", "RCOS_cdo: no such line"),
    (" do off+3^Rt", "", "RCOS_cdo: offsets count lines (a QUIT line)"),
    (" do nolabel^Rt", "[<NOLINE> nolabel^Rt]", "GCOS_errors: <NOLINE>"),
    (" do dots^Rt(2)", "big+.|", "RCOS_cdo_legacy: nested dot blocks"),
    (" do dots^Rt(1)", "small|", "RCOS_cdo_legacy: ELSE with a dot block"),
    (" do dotquit^Rt", "ac", "RCOS_cdo_legacy: QUIT ends the block"),
    (" do dottest^Rt", "0", "ANSI M: argumentless DO restores $TEST"),
    (" write $$pub^Rt(3,4)", "11", "GCOS_ucode_vars: procedure with an inner label"),
    (" do pub^Rt(3,4) write $data(z)", "0", "TCOS_ProcedureVariables: z is private"),
    (" write $$priv^Rt()", "[<NOLINE> priv^Rt]", "TCOS_Procedures: procedures are private"),
    (" write $$callpriv^Rt()", "private", "TCOS_Procedures: callable in the same routine"),
    (" do plist^Rt", "shared-", "TCOS_ProcedureVariables: public list [pv]"),
    (" do plist^Rt write pv,$data(hidden)", "shared-shared0", "TCOS_ProcedureVariables"),
    (" set v=1 do byref^Rt(.v) write v", "2", "GCOS_usercode: by reference"),
    (" set v=1 do byref^Rt(v) write v", "1", "GCOS_usercode: by value"),
    (" do byref2^Rt(.w) write w(1)", "sub", "GCOS_usercode: by reference, subscripts"),
    (" do var^Rt(1,2,3)", "1:2,2,3", "GCOS_usercode: variadic formal"),
    (" do var^Rt(1)", "1:0", "GCOS_usercode: variadic, no extra arguments"),
    (" set r=2,r(1)=8,r(2)=9 do var^Rt(0,r...)", "0:2,8,9",
     "GCOS_usercode: passing a variadic array"),
    (" do err^Rt", "[<DIVIDE>err+1^Rt]", "GCOS_errors: location label+offset^routine"),
    (" do undef^Rt()", "x[<UNDEFINED>undef+2^Rt *nothere]", "GCOS_errors"),
    (" do goloop^Rt", "3", "RCOS_cgoto: GOTO with postconditional"),
    (" do gofar^Rt", "o2", "RCOS_cgoto: label+offset"),
    (" do gorout^Rt", "at add2", "RCOS_cgoto: another routine"),
    (" do recurse^Rt(1)", "[<FRAMESTACK>recurse^Rt]", "GCOS_errors: <FRAMESTACK>"),
    (" do ztest^Rt", "Rt 1 2", "RCOS_vzname / RCOS_vstack"),
    (" do pc^Rt", "f3", "RCOS_cdo: postconditionals on DO and its arguments"),
    (" do f3^Rt(1,2)", "[<PARAMETER>f3^Rt]", "RCOS_cdo: too many arguments"),
    (" do f1^Rt(1)", "[<PARAMETER>f1^Rt]", "RCOS_cdo: arguments to a label without formals"),
    (" write $$noval^Rt", "[<COMMAND>]", "ANSI M: an extrinsic function must QUIT a value"),
    (" do text^Rt", "text write $text(text),\"|\",$text(+1),\"|\",$text(add+0)|Rt ; a test"
     " routine|add(a,b=10) quit a+b", "RCOS_ftext"),
    (" do ^Rt2", "rt2", "RCOS_cdo"),
]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES, ids=[c[0] for c in CASES])
def test_routine_cases(src: str, expected: str, origin: str) -> None:
    assert origin
    assert run(src) == expected


def test_error_is_raised_with_location_and_zerror() -> None:
    rts = {"Rt": RTN}
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None,
                BufferDevice())
    with pytest.raises(ObjectScriptError) as info:
        p.execute(" do err^Rt")
    assert info.value.code == "DIVIDE"
    assert info.value.location == "err+1^Rt"
    assert p.zerror == "<DIVIDE>err+1^Rt"


def test_call_api_returns_values() -> None:
    rts = {"Rt": RTN}
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None,
                BufferDevice())
    assert p.call("add^Rt", (2, 3)) == 5
    assert p.call("add^Rt", [7]) == 17
    assert p.call("f2^Rt") is None
    with pytest.raises(ObjectScriptError) as info:
        p.call("nope^Rt")
    assert str(info.value) == "<NOLINE> nope^Rt"


# ------------------------------------------------------------------ classes

CLASS_UDL = """Class Demo.Calc Extends %RegisteredObject
{

ClassMethod Add(a As %Integer, b As %Integer = 1) As %Integer
{
    quit a + b
}

ClassMethod Hello(name As %String) [ PublicList = greeting ]
{
    set greeting = "Hello, "_name
    write greeting,!
}

ClassMethod Fail() As %Status
{
    set x = 1
    set y = x / 0
    quit y
}

ClassMethod Safe() As %String
{
    try {
        do ..Fail()
    } catch ex {
        return ex.Name_" at "_ex.Location
    }
    quit "no error"
}

ClassMethod Twice(n) As %Integer [ CodeMode = expression ]
{
n * 2
}

}
"""


def class_int(udl: str) -> list[str]:
    src = read_class(udl.split("\n"))
    assert src.model is not None
    out = class_routine(src.model, MacroTable(), False, datetime(2024, 1, 1))
    assert out is not None
    return out


@pytest.fixture
def calc() -> Process:
    rts = {"Demo.Calc.1": class_int(CLASS_UDL)}
    return Process("USER", None, lambda n: rts.get(n), BufferDevice())


def test_class_methods_through_the_generated_int(calc: Process) -> None:
    out = run([" write ##class(Demo.Calc).Add(2,3)", " write ##class(Demo.Calc).Add(2)",
               " do ##class(Demo.Calc).Hello(\"you\")", " write greeting",
               " write ##class(Demo.Calc).Twice(21)"], process=calc)
    assert out == "53Hello, you\nHello, you42"


def test_class_method_errors_have_the_int_location(calc: Process) -> None:
    assert run([" do ##class(Demo.Calc).Fail()", " write ##class(Demo.Calc).Nope()"],
               process=calc) == \
        "[<DIVIDE>zFail+2^Demo.Calc.1][<METHOD DOES NOT EXIST> *Nope,Demo.Calc]"


def test_relative_dot_call_runs_the_class_method(calc: Process) -> None:
    # ..Fail() calls the class's own method; its <DIVIDE> is caught by Safe's TRY
    out = run(" write ##class(Demo.Calc).Safe()", process=calc)
    assert out == "<DIVIDE> at zFail+2^Demo.Calc.1"


# ------------------------------------------------------------------ cache, interrupt

def test_changed_routine_is_translated_again() -> None:
    class Loader:
        def __init__(self) -> None:
            self.text = "R\n write 1\n quit"
            self.v = 1

        def __call__(self, name: str) -> list[str] | None:
            return self.text.split("\n") if name == "R" else None

        def version(self, name: str) -> int:
            return self.v

    ld = Loader()
    dev = BufferDevice()
    p = Process("USER", None, ld, dev)
    p.execute(" do ^R")
    first = p.routines["R"]
    p.execute(" do ^R")
    assert p.routines["R"] is first
    ld.text, ld.v = "R\n write 2\n quit", 2
    p.execute(" do ^R")
    assert dev.out == "112"


def test_interrupt_from_another_thread() -> None:
    p = Process("USER", None, lambda n: None, BufferDevice())
    timer = threading.Timer(0.3, p.interrupt)
    timer.start()
    try:
        with pytest.raises(ObjectScriptError) as info:
            p.execute(" set i=0 for  set i=i+1")
    finally:
        timer.cancel()
    assert info.value.code == "INTERRUPT"
    assert p.zerror.startswith("<INTERRUPT>")


def test_interrupt_can_be_caught_by_try() -> None:
    p = Process("USER", None, lambda n: None, BufferDevice())
    timer = threading.Timer(0.3, p.interrupt)
    timer.start()
    try:
        p.execute(" try { for  { } } catch e { write e.Name }")
    finally:
        timer.cancel()
    assert p.device.out == "<INTERRUPT>"  # type: ignore[attr-defined]


def test_stack_lines_for_a_debugger() -> None:
    seen: list[Any] = []

    def hook(cls: str, method: str, args: Any) -> Any:
        seen.append(p.stack_lines())
        return 0

    rts = {"S": "S\n do a\n quit\na write 1\n do b\n quit\nb set x=##class(H.K).M()\n quit"}
    p = Process("USER", None, lambda n: rts[n].split("\n") if n in rts else None,
                BufferDevice(), class_hook=hook)
    p.execute(" do ^S")
    assert seen[0] == [("S", "b", 0, 7), ("S", "a", 1, 5), ("S", "S", 1, 2)]


# ------------------------------------------------------------------ real routines (corpus)

def _corpus(path: str) -> list[str]:
    f = CORPUS / path
    if not f.exists():
        pytest.skip(f"corpus file {path} not present")
    return f.read_text(encoding="utf-8").split("\n")


def test_corpus_routine_hello() -> None:
    lines = _corpus("intersystems+ipm/tests/integration_tests/Test/PM/Integration/_data/"
                    "deployable-test/DeployableTest/Routine.mac")
    int_lines, _ = mac_to_int("DeployableTest.Routine.mac", lines, MacroTable())
    rts = {"DeployableTest.Routine": int_lines}
    dev = BufferDevice()
    p = Process("USER", None, rts.get, dev)
    p.execute(" do ^DeployableTest.Routine")
    assert dev.out == "\r\nHello from DeployableTest.Routine"


def test_corpus_routine_procedure() -> None:
    lines = _corpus("intersystems+isc-codetidy/tests/_reference/before/"
                    "TestPackage.BasicTestRoutine.mac")
    int_lines, _ = mac_to_int("TestPackage.BasicTestRoutine.mac", lines, MacroTable())
    rts = {"TestPackage.BasicTestRoutine": int_lines}
    dev = BufferDevice()
    p = Process("USER", None, rts.get, dev)
    # test() is a private procedure: not callable from the terminal
    with pytest.raises(ObjectScriptError) as info:
        p.execute(" do test^TestPackage.BasicTestRoutine()")
    assert info.value.code == "NOLINE"
    assert "def L_test(" in p.routine("TestPackage.BasicTestRoutine").generated  # type: ignore[attr-defined]


def test_corpus_escape_sequences_demo_runs_to_its_first_read() -> None:
    lines = _corpus("intersystems-community+webterminal/src/mac/WebTerminal/"
                    "EscapeSequencesTest.mac")
    int_lines, _ = mac_to_int("WebTerminal.EscapeSequencesTest.mac", lines, MacroTable())
    rts = {"EscapeSequencesTest": int_lines}
    dev = BufferDevice([])
    p = Process("USER", None, rts.get, dev)
    try:
        p.execute(" do ^EscapeSequencesTest")
    except ObjectScriptError as e:
        pytest.fail(f"unexpected error {e}")
    out = dev.out
    assert out.startswith("\r\fScreen cleared.\r\n\r\nStandard attributes:\r\n")
    assert "[31m: \x1b[31mRed\x1b[0m" in out
