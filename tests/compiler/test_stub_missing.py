"""Every missing item is reported, not only the first one of a class; IncludeGenerator files
reach the generator methods (and only them)."""

from __future__ import annotations

from stub_helpers import cls, doc, missing_classes

from atelier_api.adapters.contract import Outcome

GEN_INC = doc("GenOnly.inc", "ROUTINE GenOnly [Type=INC]\n#define GenMacro 42")
GENERATOR = ("ClassMethod G() [ CodeMode = objectgenerator ]\n{\n"
             "\tdo %code.WriteLine(\" quit \"_$$$GenMacro)\n\tquit $$$OK\n}")




def test_missing_types_are_reported_beside_a_missing_superclass(compile_docs) -> None:
    text = ("Property P As Nope.Three;\n\n"
            "Method M(a As Nope.Four, b As Nope.Five) As Nope.Four\n{\n\tquit\n}")
    result = compile_docs([cls("T.A", text, extends="(Nope.One, Nope.Two)")])
    assert missing_classes(result) == [
        ("Nope.One", "T.A:super"), ("Nope.Two", "T.A:super"),
        ("Nope.Three", "T.A:property:P"), ("Nope.Four", "T.A:M:FormalSpec"),
        ("Nope.Five", "T.A:M:FormalSpec")]
    assert result.outcomes[0].state is not Outcome.COMPILED


def test_every_missing_type_of_amember_of(compile_docs) -> None:
    text = "Method M(a As Nope.A, b As Nope.B, c As %String) As Nope.C\n{\n\tquit\n}"
    assert missing_classes(compile_docs([cls("T.M", text)])) == [
        ("Nope.A", "T.M:M:FormalSpec"), ("Nope.B", "T.M:M:FormalSpec"),
        ("Nope.C", "T.M:M:ReturnType")]


def test_include_generator_reaches_generator_methods(compile_docs) -> None:
    result = compile_docs([cls("T.G", GENERATOR, head="IncludeGenerator GenOnly\n\n")],
                          extra=(GEN_INC,))
    assert result.errors == (), result.console


def test_include_generator_is_inherited(compile_docs) -> None:
    base = cls("T.Base", "", head="IncludeGenerator GenOnly\n\n")
    result = compile_docs([cls("T.Sub", GENERATOR, extends="T.Base")], extra=(base, GEN_INC))
    assert result.errors == (), result.console


def test_include_generator_does_not_reach_ordinary_methods(compile_docs) -> None:
    text = f"{GENERATOR}\n\nClassMethod N()\n{{\n\tquit $$$GenMacro\n}}"
    result = compile_docs([cls("T.N", text, head="IncludeGenerator GenOnly\n\n")],
                          extra=(GEN_INC,))
    assert [(e.code, e.member) for e in result.errors] == [("MPP5610", "N")]


def test_a_missing_include_generator_file_is_reported(compile_docs) -> None:
    result = compile_docs([cls("T.X", GENERATOR, head="IncludeGenerator NoSuchGen\n\n")])
    codes = [(e.code, e.params[0]) for e in result.errors]
    assert ("MPP5635", "NoSuchGen") in codes


def test_every_undefined_macro_of_a_member_is_reported(compile_docs) -> None:
    text = ("ClassMethod M() As %Status\n{\n\tset a = $$$NopeOne\n\tset b = $$$NopeTwo_$$$NopeTwoB"
            "\n\tquit $$$OK\n}\n\nClassMethod N()\n{\n\tquit $$$NopeThree\n}")
    result = compile_docs([cls("T.Mac", text)])
    found = [(e.params[0], e.display.split("(")[1].split(")")[0]) for e in result.errors
             if e.code == "MPP5610"]
    # every undefined macro, in every member, two on one line included
    assert found == [("NopeOne", "M+1"), ("NopeTwo", "M+2"), ("NopeTwoB", "M+2"),
                     ("NopeThree", "N+1")], \
        result.console


def test_a_class_below_a_failed_class_is_not_compiled(compile_docs) -> None:
    # T.Base misses its superclass; T.Mid and T.Leaf inherit from it and use a macro only
    # the missing chain would bring: one #5373 each (their superclass has no compiled form),
    # no macro errors; T.Code's code error does not fail T.Under (a routine-phase error)
    docs = [cls("T.Base", "", extends="Nope.Missing"),
            cls("T.Mid", "ClassMethod M()\n{\n\tquit $$$FromTheMissingChain\n}", extends="T.Base"),
            cls("T.Leaf", "", extends="T.Mid"),
            cls("T.Code", "ClassMethod M()\n{\n\tset x = \n}"),
            cls("T.Under", "", extends="T.Code")]
    result = compile_docs(docs)
    missing = sorted((e.document, e.params) for e in result.errors if e.code == "5373")
    assert missing == [("T.Base.cls", ("Nope.Missing", "T.Base:super")),
                       ("T.Leaf.cls", ("T.Mid", "T.Leaf:super")),
                       ("T.Mid.cls", ("T.Base", "T.Mid:super"))], result.console
    assert not [e for e in result.errors if e.code == "MPP5610"]
    assert {e.document for e in result.errors} == {"T.Base.cls", "T.Mid.cls", "T.Leaf.cls",
                                                  "T.Code.cls"}
    states = {o.name: o.state for o in result.outcomes}
    assert states["T.Under.cls"] is Outcome.COMPILED
    assert states["T.Leaf.cls"] is Outcome.FAILED
