"""POST action/compile: console lines in the real shapes and phase order, errors in
status.errors with HTTP 200, Storage written back into the class text."""

from __future__ import annotations

from compiler_stub import StubCompiler

from .conftest import (
    ERR_FOOTER_RE,
    HEADER_RE,
    OK_FOOTER_RE,
    Client,
    Space,
    body_lines,
    envelope,
)

BAD_CODE = """\
Class Pkg.Bad Extends %RegisteredObject
{

ClassMethod Version() As %String
{
    set x = 1
    quit, "1.0"
}

}
"""
MISSING_TYPE = """\
Class Pkg.Orphan Extends %RegisteredObject
{

Property Owner As Pkg.Nobody;

}
"""
STORAGE = [
    "Storage Default", "{", '<Data name="PersonDefaultData">', '<Value name="1">',
    "<Value>%%CLASSNAME</Value>", "</Value>", '<Value name="2">', "<Value>Name</Value>",
    "</Value>", '<Value name="3">', "<Value>Age</Value>", "</Value>", "</Data>",
    "<DataLocation>^Pkg.PersonD</DataLocation>", "<DefaultData>PersonDefaultData</DefaultData>",
    "<IdLocation>^Pkg.PersonD</IdLocation>", "<IndexLocation>^Pkg.PersonI</IndexLocation>",
    "<StreamLocation>^Pkg.PersonS</StreamLocation>", "<Type>%Storage.Persistent</Type>", "}"]


def test_success_prints_phases_and_returns_the_generated_storage(api: Client,
                                                                  space: Space) -> None:
    before = envelope(api.get_doc("Pkg.Person.cls"))["result"]["ts"]
    resp = api.compile(["Pkg.Person.cls"])
    assert resp.status_code == 200
    env = envelope(resp)
    assert env["status"] == {"errors": [], "summary": ""}
    console = env["console"]
    assert console[0] == "" and HEADER_RE.match(console[1]).group(1) == "cuk"  # type: ignore
    assert OK_FOOTER_RE.match(console[-1])
    assert console[2:-1] == ["Compiling class Pkg.Person", "Compiling table Pkg.Person",
                             "Compiling routine Pkg.Person.1"]
    [doc] = env["result"]["content"]
    assert doc["name"] == "Pkg.Person.cls" and doc["flags"] == 1 and doc["status"] == ""
    assert doc["content"] == STORAGE and doc["enc"] is False and doc["db"] == "USER"
    assert doc["ts"] > before
    text = space.read("Pkg/Person.cls")
    assert "\n".join(STORAGE) + "\n\n}\n" in text and text.startswith("/// A person.\n")
    now = envelope(api.get_doc("Pkg.Person.cls"))["result"]
    assert now["ts"] == doc["ts"] and now["upd"] is True


def test_serial_classes_get_their_storage_too(api: Client, space: Space) -> None:
    space.write("Pkg/Address.cls", "Class Pkg.Address Extends %SerialObject\n{\n\n"
                "Property City As %String;\n\n}\n")
    env = envelope(api.compile(["Pkg.Address.cls"]))
    assert body_lines(env["console"]) == ["Compiling class Pkg.Address"]  # no table
    [doc] = env["result"]["content"]
    assert doc["flags"] == 1 and '<Data name="AddressState">' in doc["content"]
    assert "<Type>%Storage.Serial</Type>" in doc["content"]
    assert "<State>AddressState</State>" in space.read("Pkg/Address.cls")


def test_a_second_compile_changes_nothing_and_skips_with_u(api: Client, space: Space) -> None:
    api.compile(["Pkg.Person.cls"])
    text = space.read("Pkg/Person.cls")
    env = envelope(api.compile(["Pkg.Person.cls"]))
    assert env["result"]["content"] == []
    assert body_lines(env["console"]) == ["Class Pkg.Person is up-to-date."]
    again = envelope(api.compile(["Pkg.Person.cls"], "ck"))
    assert body_lines(again["console"])[0] == "Compiling class Pkg.Person"
    assert again["result"]["content"] == [] and space.read("Pkg/Person.cls") == text


def test_source_0_returns_the_changed_document_without_its_storage(api: Client) -> None:
    env = envelope(api.compile(["Pkg.Person.cls"], source=0))
    [doc] = env["result"]["content"]
    assert doc["name"] == "Pkg.Person.cls" and doc["content"] == [] and doc["flags"] == 0


def test_class_error_is_a_200_with_status_errors(api: Client, space: Space) -> None:
    space.write("Pkg/Orphan.cls", MISSING_TYPE)
    resp = api.compile(["Pkg.Orphan.cls"])
    assert resp.status_code == 200
    env = envelope(resp)
    first = ("ERROR #5373: Class 'Pkg.Nobody', used by 'Pkg.Orphan:property:Owner', does "
             "not exist")
    assert body_lines(env["console"]) == [
        "Compiling class Pkg.Orphan", first,
        "  > ERROR #5030: An error occurred while compiling class 'Pkg.Orphan'"]
    assert ERR_FOOTER_RE.match(env["console"][-1]).group(1) == "1"  # type: ignore[union-attr]
    [error] = env["status"]["errors"]
    assert error == {"error": first + "\n  > ERROR #5030: An error occurred while compiling "
                     "class 'Pkg.Orphan'", "code": 5373, "domain": "%ObjectErrors",
                     "id": "ClassDoesNotExist", "params": ["Pkg.Orphan.cls"]}
    assert env["status"]["summary"] == error["error"]
    assert env["result"] == {"content": []}


def test_routine_code_error_prints_location_and_text(api: Client, space: Space) -> None:
    space.write("Pkg/Bad.cls", BAD_CODE)
    env = envelope(api.compile(["Pkg.Bad.cls"]))
    line = ("ERROR: Pkg.Bad.cls(Version+2) #1003: Expected space : ',' : Offset:9 "
            "[zVersion+2^Pkg.Bad.1]")
    assert body_lines(env["console"]) == [
        "Compiling class Pkg.Bad", "Compiling routine Pkg.Bad.1", line,
        ' TEXT:     quit, "1.0"']
    [error] = env["status"]["errors"]
    assert error["code"] == 5475 and error["id"] == "RoutineCompileError"
    assert error["error"].startswith(f"ERROR #5475: Error compiling routine: Pkg.Bad.1. "
                                     f"Errors: {line}\n  > ERROR #5030")


def test_macro_error_in_a_routine(api: Client, space: Space) -> None:
    space.write("Bad.mac", "ROUTINE Bad\nBad ;\n write $$$NOPE\n quit\n")
    env = envelope(api.compile(["Bad.mac"]))
    assert body_lines(env["console"]) == [
        "Compiling routine : Bad.mac",
        "ERROR: Bad.mac(3) : MPP5610 : Referenced macro not defined: 'NOPE'"]
    assert env["status"]["errors"][0]["code"] == 5475


def test_failing_and_good_documents_together(api: Client, space: Space) -> None:
    space.write("Pkg/Orphan.cls", MISSING_TYPE)
    env = envelope(api.compile(["Pkg.Orphan.cls", "Pkg.Person.cls", "R.mac"]))
    lines = body_lines(env["console"])
    assert lines[0] == "Compiling 2 classes"
    assert lines.index("Compiling class Pkg.Person") < lines.index("Compiling table Pkg.Person")
    assert lines[-1] == "Compiling routine : R.mac"
    assert [e["params"] for e in env["status"]["errors"]] == [["Pkg.Orphan.cls"]]
    assert [d["name"] for d in env["result"]["content"]] == ["Pkg.Person.cls"]


def test_display_off_empties_the_console_but_keeps_the_errors(api: Client,
                                                               space: Space) -> None:
    space.write("Pkg/Orphan.cls", MISSING_TYPE)
    env = envelope(api.compile(["Pkg.Orphan.cls", "Pkg.Person.cls"], "ck-d"))
    assert env["console"] == []
    assert env["status"]["errors"][0]["code"] == 5373
    assert [d["name"] for d in env["result"]["content"]] == ["Pkg.Person.cls"]


def test_flags_are_echoed_verbatim(api: Client) -> None:
    env = envelope(api.compile(["R.mac"], "cuk /checkuptodate=expandedonly"))
    assert HEADER_RE.match(env["console"][1]).group(1) == (  # type: ignore[union-attr]
        "cuk /checkuptodate=expandedonly")


def test_every_version_serves_compile(api: Client) -> None:
    for v in (1, 5, 8):
        assert api.compile(["R.mac"], v=v).status_code == 200


def test_empty_list_compiles_nothing(api: Client) -> None:
    env = envelope(api.compile([]))
    assert body_lines(env["console"]) == [] and env["result"] == {"content": []}


def test_a_save_during_the_compile_is_never_overwritten(space: Space,
                                                        stub: StubCompiler) -> None:
    """The client saves the class while it compiles: its text wins, the compile says so."""
    holder: dict[str, Client] = {}

    class SaveMidway(StubCompiler):
        def compile(self, request):  # type: ignore[no-untyped-def]
            result = stub.compile(request)
            edited = space.read("Pkg/Person.cls").replace("Age As %Integer", "Age As %String")
            resp = holder["api"].put_doc("Pkg.Person.cls", edited)
            assert resp.status_code == 200
            return result

    api = holder["api"] = space.app(SaveMidway())
    env = envelope(api.compile(["Pkg.Person.cls"]))
    assert env["result"]["content"] == []
    assert ("WARNING: Pkg.Person.cls was changed while it compiled; its generated Storage was "
            "not written back (compile it again)") in env["console"]
    text = space.read("Pkg/Person.cls")
    assert "Age As %String" in text and "Storage Default" not in text
    assert envelope(api.get_doc("Pkg.Person.cls"))["result"]["upd"] is False
