"""Every missing item is reported, not only the first one of a class; IncludeGenerator files
reach the generator methods (and only them)."""

from __future__ import annotations

from stub_helpers import cls, doc

from atelier_api.adapters.contract import Outcome

GEN_INC = doc("GenOnly.inc", "ROUTINE GenOnly [Type=INC]\n#define GenMacro 42")
GENERATOR = ("ClassMethod G() [ CodeMode = objectgenerator ]\n{\n"
             "\tdo %code.WriteLine(\" quit \"_$$$GenMacro)\n\tquit $$$OK\n}")


def _missing(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e.params[0], e.params[1]) for e in result.errors if e.code == "5373"]


def test_missing_types_are_reported_beside_a_missing_superclass(compile_docs) -> None:
    text = ("Property P As Nope.Three;\n\n"
            "Method M(a As Nope.Four, b As Nope.Five) As Nope.Four\n{\n\tquit\n}")
    result = compile_docs([cls("T.A", text, extends="(Nope.One, Nope.Two)")])
    assert _missing(result) == [
        ("Nope.One", "T.A:super"), ("Nope.Two", "T.A:super"),
        ("Nope.Three", "T.A:property:P"), ("Nope.Four", "T.A:M:FormalSpec"),
        ("Nope.Five", "T.A:M:FormalSpec")]
    assert result.outcomes[0].state is not Outcome.COMPILED


def test_every_missing_type_of_a_member(compile_docs) -> None:
    text = "Method M(a As Nope.A, b As Nope.B, c As %String) As Nope.C\n{\n\tquit\n}"
    assert _missing(compile_docs([cls("T.M", text)])) == [
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
