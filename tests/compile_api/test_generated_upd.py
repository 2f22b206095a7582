"""Generated documents (visible, marked gen, removed with their source) and the up-to-date
state (upd), both kept across restarts."""

from __future__ import annotations

import os

from compiler_stub import StubCompiler

from .conftest import Client, Space, body_lines, envelope

GENERATOR = """\
Class Pkg.Gen Extends %RegisteredObject
{

ClassMethod Plain() As %Integer
{
    quit 1
}

ClassMethod Built() [ CodeMode = objectgenerator ]
{
    do %code.WriteLine(" quit 2")
    quit $$$OK
}

}
"""


def test_generated_documents_are_readable_and_marked_gen(api: Client) -> None:
    api.compile(["Pkg.Util.cls", "R.mac"], "cuk")
    for name in ("Pkg.Util.1.int", "R.int"):
        resp = api.get_doc(name)
        assert resp.status_code == 200
        doc = envelope(resp)["result"]
        assert doc["gen"] is True and doc["upd"] is True and doc["cat"] == "RTN"
        assert doc["content"][0] == f"ROUTINE {name[:-4]} [Type=INT,Generated]"
        assert resp.headers["ETag"] == f'"{doc["ts"]}"'
        assert api.call("HEAD", api.url(f"doc/{name}")).status_code == 200
    assert envelope(api.get_doc("R.int"))["result"]["content"][1:4] == [
        "R ;", " write 2, 7", " quit"]
    assert "gen" not in envelope(api.get_doc("R.mac"))["result"]


def test_generator_classes_get_a_g1_routine(api: Client, space: Space) -> None:
    space.write("Pkg/Gen.cls", GENERATOR)
    env = envelope(api.compile(["Pkg.Gen.cls"], "ck"))
    assert env["status"]["errors"] == []
    listed = api.names(generated=True)
    assert listed["Pkg.Gen.1.int"]["gen"] is True and listed["Pkg.Gen.G1.int"]["gen"] is True


def test_generated_documents_are_listed_only_with_generated_1(api: Client) -> None:
    api.compile(["Pkg.Util.cls", "R.mac"], "ck")
    shown, hidden = api.names(generated=True), api.names(generated=False)
    for name in ("Pkg.Util.1.int", "R.int"):
        assert shown[name]["gen"] is True and shown[name]["upd"] is True
        assert name not in hidden
    assert shown["Pkg.Util.cls"]["gen"] is False
    rtn = api.call("GET", api.url("docnames/RTN/int"), query_string={"generated": "1"})
    assert sorted(e["name"] for e in envelope(rtn)["result"]["content"]) == [
        "Pkg.Util.1.int", "R.int"]
    cls = api.call("GET", api.url("docnames/CLS"), query_string={"generated": "1"})
    assert all(e["gen"] is False for e in envelope(cls)["result"]["content"])


def test_compiling_without_k_removes_the_generated_routines(api: Client) -> None:
    api.compile(["Pkg.Util.cls"], "ck")
    assert "Pkg.Util.1.int" in api.names(generated=True)
    api.compile(["Pkg.Util.cls"], "c")
    assert "Pkg.Util.1.int" not in api.names(generated=True)
    assert api.get_doc("Pkg.Util.1.int").status_code == 404


def test_deleting_the_source_through_the_api_removes_them(api: Client) -> None:
    api.compile(["Pkg.Util.cls", "R.mac"], "ck")
    assert api.call("DELETE", api.url("doc/R.mac")).status_code == 200
    assert api.get_doc("R.int").status_code == 404
    assert "R.int" not in api.names(generated=True)
    assert "Pkg.Util.1.int" in api.names(generated=True)


def test_a_source_removed_on_disk_takes_them_along(api: Client, space: Space) -> None:
    api.compile(["Pkg.Util.cls"], "ck")
    os.remove(space.ws / "Pkg" / "Util.cls")
    assert "Pkg.Util.1.int" not in api.names(generated=True)
    assert api.get_doc("Pkg.Util.1.int").status_code == 404


def test_a_generated_document_can_be_deleted(api: Client) -> None:
    api.compile(["R.mac"], "ck")
    resp = api.call("DELETE", api.url("doc/R.int"))
    assert resp.status_code == 200 and envelope(resp)["result"]["ts"] == ""
    assert api.get_doc("R.int").status_code == 404


def test_generated_documents_never_reach_the_workspace(api: Client, space: Space) -> None:
    before = sorted(p.name for p in space.ws.rglob("*"))
    api.compile(["Pkg.Util.cls", "R.mac"], "ck")
    assert sorted(p.name for p in space.ws.rglob("*")) == before


def test_upd_follows_compiles_and_edits(api: Client, space: Space) -> None:
    def upd(name: str) -> bool:
        return bool(envelope(api.get_doc(name))["result"]["upd"])

    assert upd("R.mac") is False and upd("Macros.inc") is True  # nothing to compile: true
    api.compile(["R.mac"])
    assert upd("R.mac") is True and api.names(False)["R.mac"]["upd"] is True
    saved = envelope(api.put_doc("R.mac", space.read("R.mac").replace("7", "8")))["result"]
    assert saved["upd"] is False and upd("R.mac") is False
    api.compile(["R.mac"])
    assert upd("R.mac") is True
    space.write("R.mac", space.read("R.mac").replace("8", "9"))  # changed by another program
    assert upd("R.mac") is False


def test_a_failed_compile_makes_the_document_out_of_date(api: Client, space: Space) -> None:
    api.compile(["Pkg.Util.cls"])
    assert envelope(api.get_doc("Pkg.Util.cls"))["result"]["upd"] is True
    space.write("Macros.inc", "ROUTINE Macros [Type=INC]\n")  # $$$TWO is gone
    env = envelope(api.compile(["Pkg.Util.cls"], "ck"))
    assert env["status"]["errors"]
    assert envelope(api.get_doc("Pkg.Util.cls"))["result"]["upd"] is False


def test_state_survives_a_restart(space: Space, stub: StubCompiler) -> None:
    first = space.app(stub)
    first.compile(["Pkg.Person.cls", "Pkg.Util.cls", "R.mac"], "cuk")
    generated = {n: e["ts"] for n, e in first.names(generated=True).items() if e["gen"]}
    first.svc.close()
    second = space.app(stub)
    listed = second.names(generated=True)
    assert {n: e["ts"] for n, e in listed.items() if e["gen"]} == generated
    assert all(listed[n]["upd"] for n in ("Pkg.Person.cls", "Pkg.Util.cls", "R.mac"))
    env = envelope(second.compile(["Pkg.Person.cls", "R.mac"]))
    assert body_lines(env["console"]) == [
        "Class Pkg.Person is up-to-date.", "R.int is up to date. Compile of this item skipped."]


def test_the_state_is_derived_and_can_be_thrown_away(space: Space, stub: StubCompiler) -> None:
    first = space.app(stub)
    first.compile(["R.mac"], "ck")
    first.svc.close()
    for path in space.state.rglob("compiled.sqlite*"):
        path.write_bytes(b"not a database")
    second = space.app(stub)
    assert second.get_doc("R.int").status_code == 404
    assert envelope(second.get_doc("R.mac"))["result"]["upd"] is False
    second.compile(["R.mac"], "ck")
    assert second.get_doc("R.int").status_code == 200
