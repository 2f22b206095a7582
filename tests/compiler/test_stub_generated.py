"""Generated documents: Pkg.Cls.1.int, Pkg.Cls.G1.int, MAC -> INT; the k flag."""

from __future__ import annotations

import re

from stub_helpers import cls, doc

from atelier_api.adapters.contract import Outcome

METHODS = ("Include T.M\n\n", "ClassMethod Add(a As %Integer, b As %Integer = 1) As %Integer\n"
           "{\n\tset s = $$$Sum(a,b)\n\tquit s\n}\n\n"
           "Method Twice() As %Integer [ CodeMode = expression ]\n{\n..Add(1) * 2\n}\n\n"
           "ClassMethod Py() [ Language = python ]\n{\n\treturn 1\n}\n\n"
           "ClassMethod Gen() [ CodeMode = objectgenerator ]\n{\n\tquit $$$OK\n}")
INC = doc("T.M.inc", "ROUTINE T.M [Type=INC]\n#define Sum(%x,%y) ((%x)+(%y))")


def test_class_routines_with_k(compile_docs) -> None:
    head, members = METHODS
    out = compile_docs([cls("T.G", members, head=head)], extra=(INC,)).outcomes[0]
    gen = {g.name: g.lines for g in out.generated}
    assert set(gen) == {"T.G.1.int", "T.G.G1.int"}
    assert all(g.source == "T.G.cls" for g in out.generated)
    one = gen["T.G.1.int"]
    assert one[0] == "ROUTINE T.G.1 [Type=INT,Generated]"
    assert one[1] == " ;T.G.1"
    assert re.match(r" ;\(C\)InterSystems, generated for class T\.G\.  Do NOT edit\. ", one[2])
    assert one[4:] == ("zAdd(a,b=1) public {", "\tset s = ((a)+(b))", "\tquit s", "}",
                       "zTwice() public { Quit ..Add(1) * 2 }")
    assert gen["T.G.G1.int"][4:] == ("zGen() public {", "\tquit 1", "}")


def test_no_k_no_generated_docs(compile_docs) -> None:
    head, members = METHODS
    out = compile_docs([cls("T.G", members, head=head)], "c", extra=(INC,)).outcomes[0]
    assert out.state is Outcome.COMPILED and out.generated == ()


def test_int_offsets_match_class_offsets(compile_docs) -> None:
    text = "Method M()\n{\n\tset a = 1\n\tset b = 2\n\tfrobnicate\n}"
    result = compile_docs([cls("T.O", text)])
    assert "[zM+3^T.O.1]" in result.errors[0].display
    good = compile_docs([cls("T.O", text.replace("\tfrobnicate\n", ""))]).outcomes[0]
    lines = good.generated[0].lines
    label = lines.index("zM() public {")
    assert lines[label + 2] == "\tset b = 2"


def test_mac_to_int(compile_docs) -> None:
    mac = doc("app.mac", "ROUTINE app\n#include %occStatus\n#define Hello \"hi\"\n"
                         "Start\n\twrite $$$Hello\n\tquit $$$OK")
    result = compile_docs([mac], "c")
    (gen,) = result.outcomes[0].generated
    assert (gen.name, gen.source) == ("app.int", "app.mac")
    assert gen.lines == ("ROUTINE app [Type=INT,Generated]", "Start", "\twrite \"hi\"", "\tquit 1")
    assert result.console[2] == "Compiling routine : app.mac"


def test_include_and_int_documents(compile_docs) -> None:
    result = compile_docs([doc("x.inc", "ROUTINE x [Type=INC]\n#define A 1"),
                           doc("y.int", "ROUTINE y [Type=INT]\ny\n\tquit 1"),
                           doc("/csp/app/a.js", "x")])
    assert [o.state for o in result.outcomes] == [Outcome.COMPILED] * 3
    assert [o.generated for o in result.outcomes] == [(), (), ()]
    assert "Compiling routine : y.int" in result.console
