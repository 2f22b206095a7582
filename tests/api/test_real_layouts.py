"""Real repository layouts: document names come from each file's header, wherever it sits;
the ``auto`` layout places new documents next to their nearest relatives; ``%RO`` and
header-less routines round-trip byte for byte."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from envelopes import envelope
from spaces import SessionClient, Space, SpaceSpec

RO_INC = ("^INC^Save for Source Control^^~Format=IRIS.S~^UTF8\r\n%RO\r\n"
          "pkg.tool.Macros^INC^^^0\r\n#define Twice(%x) (%x*2)\r\n"
          "#; a comment\r\n#define Name \"tool\"")
BARE_MAC = ("/// a routine saved without its header\n#include pkg.tool.Macros\nBare ;\n"
            " write $$$Twice(2),!\n quit\n")
FILES: dict[str, str | bytes] = {
    # %Pkg classes with the % dropped from the folder (src/cls/IPM/...)
    "src/cls/IPM/Main.cls": "Include pkg.tool.Macros\n\nClass %IPM.Main Extends %RegisteredObject\n"
                            "{\n\nClassMethod Run() As %Integer\n{\n quit $$$Twice(21)\n}\n\n}\n",
    "src/cls/IPM/Utils/File.cls": "/// files\nClass %IPM.Utils.File\n{\n}\n",
    # % written as _ (cls/_pkg/...)
    "cls/_pkg/isc/rest/handler.cls": "Class %pkg.isc.rest.handler\n{\n}\n",
    # package folders under tests/, folder names with - and _
    "tests/unit-tests/Test/PM/Basic.cls": "Class Test.PM.Basic Extends %RegisteredObject\n{\n}\n",
    "my_app/src/Demo.Flat.cls": "Class Demo.Flat\n{\n}\n",
    # a header that does not match the path
    "misc/Wrong/Place.cls": "Class Right.Name\n{\n}\n",
    # routines: UDL, %RO and bare
    "inc/pkg/tool/Macros.inc": RO_INC.encode(),
    "src/mac/Tools/Bare.mac": BARE_MAC,
    "src/mac/Tools/Udl.mac": "ROUTINE Tools.Udl\n quit\n",
}


@pytest.fixture
def space_spec() -> SpaceSpec:
    return SpaceSpec(FILES)


def _auto(space: Space) -> SessionClient:
    return space.app(layout="auto")  # type: ignore[no-any-return]


def _names(api: SessionClient, cat: str = "*") -> set[str]:
    resp = api.call("GET", api.url(f"docnames/{cat}"))
    assert resp.status_code == 200, resp.data
    return {d["name"] for d in envelope(resp)["result"]["content"]}


def _get(api: SessionClient, name: str) -> dict[str, Any]:
    resp = api.call("GET", api.url(f"doc/{name}"))
    assert resp.status_code == 200, (name, resp.data)
    return envelope(resp)["result"]  # type: ignore[no-any-return]


def _put(api: SessionClient, name: str, lines: list[str], ts: str | None = None) -> Any:
    headers = {"If-None-Match": f'"{ts}"'} if ts else {}
    query = {} if ts else {"ignoreConflict": "1"}
    return api.call("PUT", api.url(f"doc/{name}"), query_string=query, headers=headers,
                    json={"enc": False, "content": lines})


@pytest.mark.parametrize("layout", ["auto", "default", "atelier", "flat", "category"])
def test_every_file_is_named_by_its_header_in_any_layout(space: Space, layout: str) -> None:
    api = space.app(layout=layout)
    names = _names(api)
    assert {"%IPM.Main.cls", "%IPM.Utils.File.cls", "%pkg.isc.rest.handler.cls",
            "Test.PM.Basic.cls", "Demo.Flat.cls", "Right.Name.cls", "pkg.tool.Macros.inc",
            "Tools.Udl.mac"} <= names
    assert "Wrong.Place.cls" not in names and "misc.Wrong.Place.cls" not in names


def test_header_less_routine_is_named_by_the_tree(space: Space) -> None:
    assert "Tools.Bare.mac" in _names(_auto(space))  # src/mac/<package>/Bare.mac


def test_get_put_unchanged_round_trips_every_document(space: Space) -> None:
    api = _auto(space)
    before = {p: p.read_bytes() for p in space.ws.rglob("*") if p.is_file()}
    for name in sorted(_names(api)):
        doc = _get(api, name)
        resp = _put(api, name, doc["content"], doc["ts"])
        assert resp.status_code == 200, (name, resp.data)
        assert not envelope(resp)["status"]["errors"], name
        assert envelope(resp)["result"]["ts"] == doc["ts"], name  # nothing changed
    assert {p: p.read_bytes() for p in space.ws.rglob("*") if p.is_file()} == before


def test_a_misplaced_class_works_under_its_declared_name(space: Space) -> None:
    api = _auto(space)
    doc = _get(api, "Right.Name.cls")
    assert doc["content"][0] == "Class Right.Name"
    assert api.call("GET", api.url("doc/Wrong.Place.cls")).status_code == 404
    resp = _put(api, "Right.Name.cls", ["Class Right.Name", "{", "Parameter P = 1;", "}", ""],
                doc["ts"])
    assert resp.status_code == 200, resp.data
    assert (space.ws / "misc/Wrong/Place.cls").read_text().startswith("Class Right.Name\n{\n"
                                                                      "Parameter P = 1;")
    compiled = api.call("POST", api.url("action/compile"), json=["Right.Name.cls"])
    assert compiled.status_code == 200 and not envelope(compiled)["status"]["errors"]


def test_ro_include_is_served_as_udl_and_saved_back_as_ro(space: Space) -> None:
    api = _auto(space)
    doc = _get(api, "pkg.tool.Macros.inc")
    assert doc["content"] == ["ROUTINE pkg.tool.Macros [Type=INC]", "#define Twice(%x) (%x*2)",
                              "#; a comment", '#define Name "tool"']
    edited = [*doc["content"][:2], "#define Thrice(%x) (%x*3)", *doc["content"][2:]]
    resp = _put(api, "pkg.tool.Macros.inc", edited, doc["ts"])
    assert resp.status_code == 200, resp.data
    want = RO_INC.replace("#; a comment", "#define Thrice(%x) (%x*3)\r\n#; a comment")
    assert (space.ws / "inc/pkg/tool/Macros.inc").read_bytes() == want.encode()


def test_bare_routine_is_served_with_a_header_and_saved_back_bare(space: Space) -> None:
    api = _auto(space)
    doc = _get(api, "Tools.Bare.mac")
    assert doc["content"][:2] == ["ROUTINE Tools.Bare", "/// a routine saved without its header"]
    edited = [line.replace("write $$$Twice(2),!", "write 4,!") for line in doc["content"]]
    assert _put(api, "Tools.Bare.mac", edited, doc["ts"]).status_code == 200
    assert (space.ws / "src/mac/Tools/Bare.mac").read_text() == BARE_MAC.replace(
        "write $$$Twice(2),!", "write 4,!")


def test_compile_reads_ro_includes_and_bare_routines(space: Space) -> None:
    api = _auto(space)
    resp = api.call("POST", api.url("action/compile"),
                    json=["%IPM.Main.cls", "Tools.Bare.mac", "pkg.tool.Macros.inc"])
    assert resp.status_code == 200, resp.data
    assert not envelope(resp)["status"]["errors"], envelope(resp)["console"]


@pytest.mark.parametrize(("name", "path"), [
    ("%IPM.Utils.Zip.cls", "src/cls/IPM/Utils/Zip.cls"),  # % dropped, like its package
    ("%IPM.Other.cls", "src/cls/IPM/Other.cls"),
    ("%pkg.isc.rest.router.cls", "cls/_pkg/isc/rest/router.cls"),  # % as _
    ("Test.PM.More.cls", "tests/unit-tests/Test/PM/More.cls"),
    ("Demo.Second.cls", "my_app/src/Demo.Second.cls"),  # flat, like Demo.Flat
    ("Tools.New.mac", "src/mac/Tools/New.mac"),
])
def test_auto_places_a_new_document_next_to_its_relatives(space: Space, name: str,
                                                          path: str) -> None:
    api = _auto(space)
    ext = name.rpartition(".")[2]
    base = name.rpartition(".")[0]
    lines = [f"Class {base}", "{", "}"] if ext == "cls" else [f"ROUTINE {base}", " quit"]
    resp = _put(api, name, lines)
    assert resp.status_code == 201, resp.data
    assert (space.ws / path).is_file()
    assert name in _names(api)
    assert _get(api, name)["content"] == lines


def test_auto_in_an_empty_folder_uses_package_folders(tmp_path: Path) -> None:
    box = Space(tmp_path / "ws", tmp_path / "state")
    box.ws.mkdir()
    box.state.mkdir()
    try:
        api = box.app(layout="auto")
        assert _put(api, "Pkg.Sub.C.cls", ["Class Pkg.Sub.C", "{", "}"]).status_code == 201
        assert _put(api, "R.mac", ["ROUTINE R", " quit"]).status_code == 201
        assert (box.ws / "Pkg/Sub/C.cls").is_file() and (box.ws / "R.mac").is_file()
    finally:
        box.close()


def test_a_routine_in_a_category_tree_gets_its_category_folder(tmp_path: Path) -> None:
    box = Space(tmp_path / "ws", tmp_path / "state")
    box.ws.mkdir()
    box.state.mkdir()
    (box.ws / "src/cls/App").mkdir(parents=True)
    (box.ws / "src/cls/App/Main.cls").write_text("Class App.Main\n{\n}\n")
    try:
        api = box.app(layout="auto")
        assert _put(api, "App.Job.mac", ["ROUTINE App.Job", " quit"]).status_code == 201
        assert (box.ws / "src/mac/App/Job.mac").is_file()
    finally:
        box.close()


def test_two_files_declaring_one_document(space: Space, caplog: pytest.LogCaptureFixture
                                          ) -> None:
    space.write("Right/Name.cls", "Class Right.Name\n{\nParameter Mine = 1;\n}\n")
    api = _auto(space)
    # the file whose path matches the name is served, whichever was found first
    assert "Parameter Mine = 1;" in _get(api, "Right.Name.cls")["content"]
    with caplog.at_level(logging.WARNING):
        api.svc.warm_up()
    assert any("Right.Name.cls" in r.getMessage() and "misc/Wrong/Place.cls" in r.getMessage()
               for r in caplog.records)
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["duplicates"] == {
        "USER": {"Right.Name.cls": ["Right/Name.cls", "misc/Wrong/Place.cls"]}}
    assert sorted(_names(api)).count("Right.Name.cls") == 1
    console = envelope(api.call("GET", api.url("docnames/CLS")))["console"]
    assert console == ["WARNING: 2 files declare Right.Name.cls: serving Right/Name.cls, "
                       "ignoring misc/Wrong/Place.cls"]


def test_a_header_edited_by_another_program_renames_the_document(space: Space) -> None:
    api = _auto(space)
    assert "Right.Name.cls" in _names(api)
    space.write("misc/Wrong/Place.cls", "Class Renamed.Again\n{\n}\n")
    names = _names(api)
    assert "Renamed.Again.cls" in names and "Right.Name.cls" not in names
    assert _get(api, "Renamed.Again.cls")["content"][0] == "Class Renamed.Again"


def test_a_put_never_takes_over_another_documents_file(space: Space) -> None:
    api = space.app(layout="default")
    # the default layout would put Wrong.Place.cls at misc/.. no: at Wrong/Place.cls; this
    # file path holds Right.Name.cls, declared by its header, in the default layout
    space.write("Taken/Spot.cls", "Class Someone.Else\n{\n}\n")
    before = (space.ws / "Taken/Spot.cls").read_bytes()
    resp = _put(api, "Taken.Spot.cls", ["Class Taken.Spot", "{", "}"])
    assert resp.status_code == 400, resp.data
    assert "Someone.Else.cls" in resp.get_data(as_text=True)
    assert (space.ws / "Taken/Spot.cls").read_bytes() == before


def test_names_survive_a_restart_from_the_header_cache(space: Space) -> None:
    first = _names(_auto(space))
    space.close()
    assert _names(_auto(space)) == first


def test_an_unchanged_put_never_fails_whatever_the_files_form(space: Space) -> None:
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Export generator="IRIS" version="26">\n'
           '<Class name="Kept.AsXml">\n<TimeChanged>1</TimeChanged>\n</Class>\n</Export>\n')
    space.write("legacy/Kept.AsXml.cls", xml)
    space.write("odd/Headless.cls", "/// no Class line at all\n")
    api = _auto(space)
    names = _names(api)
    assert "Kept.AsXml.cls" in names
    headless = next(n for n in names if n.endswith("Headless.cls"))
    for name, rel in (("Kept.AsXml.cls", "legacy/Kept.AsXml.cls"),
                      (headless, "odd/Headless.cls")):
        before = (space.ws / rel).read_bytes()
        doc = _get(api, name)
        resp = _put(api, name, doc["content"], doc["ts"])
        assert resp.status_code == 200, (name, resp.data)
        assert not envelope(resp)["status"]["errors"], (name, resp.data)
        assert (space.ws / rel).read_bytes() == before, name
