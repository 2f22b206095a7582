"""Document lists: names, masks (*.CLS, Pkg.*.cls, /csp/app/*, exclusions), {"name": ...}
objects, unknown documents and masks that match nothing."""

from __future__ import annotations

from .conftest import Client, Space, body_lines, envelope, summary


def _compiled(env: dict[str, object]) -> list[str]:
    """Names from the console lines (classes and routines), in order."""
    out = []
    for line in body_lines(env["console"]):  # type: ignore[arg-type]
        for prefix in ("Compiling class ", "Compiling routine : "):
            if line.startswith(prefix):
                out.append(line[len(prefix):])
    return out


def test_namespace_compile_masks(api: Client, space: Space) -> None:
    space.write("Other/Thing.cls", "Class Other.Thing Extends %RegisteredObject\n{\n}\n")
    env = envelope(api.compile(["*.CLS", "*.MAC", "*.INC", "*.BAS"], "ck"))
    assert env["status"]["errors"] == []
    assert sorted(_compiled(env)) == ["Other.Thing", "Pkg.Person", "Pkg.Util", "R.mac"]
    assert not any(line.startswith("WARNING") for line in env["console"])  # no .bas: fine


def test_extension_masks_ignore_case(api: Client) -> None:
    lower = _compiled(envelope(api.compile(["*.cls"], "ck")))
    assert lower == _compiled(envelope(api.compile(["*.Cls"], "ck")))
    assert sorted(lower) == ["Pkg.Person", "Pkg.Util"]


def test_package_mask_and_objects(api: Client, space: Space) -> None:
    space.write("Other/Thing.cls", "Class Other.Thing Extends %RegisteredObject\n{\n}\n")
    env = envelope(api.compile(["Pkg.*.cls", {"name": "R.mac"}, {"name": "Other.Thing.cls"}],
                               "ck"))
    assert sorted(_compiled(env)) == ["Other.Thing", "Pkg.Person", "Pkg.Util", "R.mac"]


def test_exclusion_removes_what_it_matches(api: Client) -> None:
    env = envelope(api.compile(["*.cls", "'Pkg.Util.cls"], "ck"))
    assert _compiled(env) == ["Pkg.Person"]


def test_each_document_compiles_once(api: Client) -> None:
    env = envelope(api.compile(["Pkg.Person.cls", "pkg.*.CLS", "Pkg.Person.CLS"], "ck"))
    assert sorted(_compiled(env)) == ["Pkg.Person", "Pkg.Util"]
    assert body_lines(env["console"])[0] == "Compiling 2 classes"


def test_web_folder_mask_compiles_nothing_and_succeeds(api: Client) -> None:
    for mask in ("/csp/user/*", "csp/user/*", "//csp/user/*.js"):
        env = envelope(api.compile([mask]))
        assert env["status"]["errors"] == [] and _compiled(env) == []
        assert not any(line.startswith("WARNING") for line in env["console"]), mask


def test_masks_never_pick_generated_documents(api: Client) -> None:
    api.compile(["Pkg.Util.cls", "R.mac"], "ck")
    assert "Pkg.Util.1.int" in api.names(generated=True)
    env = envelope(api.compile(["*.INT"], "ck"))
    assert _compiled(env) == []
    assert env["console"][2] == "WARNING: No document matches '*.INT'"


def test_a_mask_that_matches_nothing_is_a_warning(api: Client) -> None:
    env = envelope(api.compile(["Typo.*.cls", "R.mac"]))
    assert env["status"]["errors"] == []
    assert body_lines(env["console"]) == ["WARNING: No document matches 'Typo.*.cls'",
                                          "Compiling routine : R.mac"]


def test_unknown_document_alone_is_a_404(api: Client) -> None:
    resp = api.compile(["Pkg.Nowhere.cls"])
    assert resp.status_code == 404
    assert summary(resp) == "ERROR #16005: Document 'Pkg.Nowhere.cls' does NOT exist"


def test_unknown_documents_among_others_are_errors_of_a_200(api: Client) -> None:
    resp = api.compile(["Pkg.Nowhere.cls", "R.mac", "Gone.mac"])
    assert resp.status_code == 200
    env = envelope(resp)
    missing = ["ERROR #16005: Document 'Pkg.Nowhere.cls' does NOT exist",
               "ERROR #16005: Document 'Gone.mac' does NOT exist"]
    assert [e["error"] for e in env["status"]["errors"]] == missing
    assert [e["code"] for e in env["status"]["errors"]] == [16005, 16005]
    assert body_lines(env["console"]) == [*missing, "Compiling routine : R.mac"]
    assert env["console"][-1].startswith("Detected 2 errors during compilation in ")
