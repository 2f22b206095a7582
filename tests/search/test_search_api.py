"""GET action/search: literal, regex, word, case and wildcard queries, masks and exclusions,
system and generated documents, the hit limit, the client's result shape and the 400s."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from .conftest import Client, Space, envelope

# The names VS Code's TextSearchProvider accepts (§5.1); \p{L} written as [^\W\d_].
CLIENT_NAME = re.compile(r"^(%?[^\W_]+(?:\.[^\W_]+)+)$")
CLIENT_CSP = re.compile(r"^/(?:[^/]+/)+[^/.]*(?:\.[^/.]+)+$")


def texts(found: dict[str, list[dict[str, Any]]], doc: str) -> list[str]:
    return [m["text"] for m in found.get(doc, [])]


def test_literal_is_case_insensitive_by_default(api: Client) -> None:
    found = api.found("email")
    assert set(found) == {"Pkg.Person.cls", "Other.Thing.cls", "Mail.mac", "Macros.inc"}
    assert texts(found, "Mail.mac") == ['write "email"']


def test_case_sensitive(api: Client) -> None:
    found = api.found("EMAIL", case=True)
    assert set(found) == {"Macros.inc"}


def test_literal_special_characters_are_not_regex(api: Client) -> None:
    assert set(api.found("$$$OK")) == {"Pkg.Person.cls"}
    assert api.found("E.ail") == {}


def test_word(api: Client) -> None:
    assert "Pkg.Person.cls" in api.found("Send")
    found = api.found("Sen", word=True)
    assert found == {}
    assert texts(api.found("who", word=True), "Pkg.Person.cls") == [
        "ClassMethod Send(who As %String) As %Status", 'write "Email to ", who']


def test_wildcards(api: Client) -> None:
    found = api.found("write*to", wild=True)
    assert texts(found, "Pkg.Person.cls") == ['write "Email to ", who']
    assert "Mail.mac" in api.found("q?it", wild=True)


def test_regex_matches_whole_lines(api: Client) -> None:
    # VS Code sends .*pattern.* and (?i) because the server matches the full line
    found = api.found("(?i).*e?mail to.*", regex=True)
    assert texts(found, "Pkg.Person.cls") == ['write "Email to ", who']
    assert api.found("Email to", regex=True) == {}, "not a whole line"
    assert texts(api.found(r"\s+quit sc", regex=True), "Pkg.Person.cls") == ["quit sc"]


def test_regex_ignores_case_parameter(api: Client) -> None:
    assert api.found(".*EMAIL.*", regex=True, case=False).keys() == {"Macros.inc"}
    assert "Mail.mac" in api.found("(?i).*EMAIL.*", regex=True)


def test_regex_alternation_keeps_whole_line_semantics(api: Client) -> None:
    # .*a|b.* is "ends with a or starts with b", not "contains a or b"
    found = api.found(".*quit|Mail ;.*", regex=True)
    assert texts(found, "Mail.mac") == ["Mail ;", "quit", "quit"]
    assert texts(api.found(".*Mai|quit.*", regex=True), "Mail.mac") == []


def test_regex_is_the_default(api: Client) -> None:
    resp = api.call("GET", api.url("action/search"),
                    query_string={"query": ".*Email to.*", "files": "*.cls"})
    assert [i["doc"] for i in envelope(resp)["result"]] == ["Pkg.Person.cls"]


def test_masks_folder_and_exclusions(api: Client) -> None:
    assert set(api.found("Email", "*.cls")) == {"Pkg.Person.cls", "Other.Thing.cls"}
    assert set(api.found("Email", "Pkg/*.cls")) == {"Pkg.Person.cls"}
    assert set(api.found("Email", "Pkg.*.cls")) == {"Pkg.Person.cls"}
    assert set(api.found("Email", "*.cls,'Pkg.*.cls")) == {"Other.Thing.cls"}
    assert set(api.found("Email", "*.cls,*.mac,*.inc,'*.inc")) == {
        "Pkg.Person.cls", "Other.Thing.cls", "Mail.mac"}
    assert set(api.found("Email", "Other.Thing.cls")) == {"Other.Thing.cls"}
    assert set(api.found("Email", "*.CLS")) == {"Pkg.Person.cls", "Other.Thing.cls"}


def test_web_files(api: Client) -> None:
    found = api.found("email", "/csp/user/*")
    assert found == {"/csp/user/app.js": [{"text": "// send the Email", "line": 2},
                                          {"text": "var y = 'email';", "line": 3}],
                     "/csp/user/page.csp": [{"text": "<body>Email</body>", "line": 2}]}
    assert set(api.found("email", "*.cspall")) == {"/csp/user/app.js", "/csp/user/page.csp"}
    assert set(api.found("email", "/csp/user/*.csp")) == {"/csp/user/page.csp"}
    assert set(api.found("email", "*.cls,/csp/user/*,'/csp/user/*.js")) == {
        "/csp/user/page.csp", "Pkg.Person.cls", "Other.Thing.cls"}


def test_system_documents_only_with_sys(api: Client) -> None:
    assert "%Sys.mac" not in api.found("Email", "*.mac")
    assert "%Sys.mac" in api.found("Email", "*.mac", sys=True)


def test_generated_documents_only_with_gen(api: Client) -> None:
    resp = api.call("POST", api.url("action/compile"), json=["Mail.mac"])
    assert resp.status_code == 200 and not envelope(resp)["status"]["errors"], resp.data
    assert api.found("email", "*.int") == {}
    found = api.found("email", "*.int", gen=True)
    assert list(found) == ["Mail.int"]


def test_max_limits_hits(api: Client) -> None:
    resp = api.search("Email", "*.cls", max=3)
    env = envelope(resp)
    assert sum(len(i["matches"]) for i in env["result"]) == 3
    assert [i["doc"] for i in env["result"]] == ["Other.Thing.cls", "Pkg.Person.cls"]
    assert "maximum of 3 hits" in env["console"][-2]
    assert env["console"][-1] == "Found 3 occurrence/s in 2 file/s."


def test_console_log(api: Client) -> None:
    env = envelope(api.search("quit", "*.mac"))
    assert env["console"][0] == "Searching for 'quit' in '*.mac'"
    assert env["console"][-1] == "Found 2 occurrence/s in 1 file/s."
    assert len(env["console"]) == 4


def test_class_members_and_attributes(api: Client) -> None:
    matches = api.found("Email", "Pkg.Person.cls")["Pkg.Person.cls"]
    shapes = [{k: v for k, v in m.items() if k != "text"} for m in matches]
    assert shapes == [
        {"attr": "Description", "attrline": 1},
        {"member": "Email", "attr": "Description", "attrline": 1},
        {"member": "Email"},
        {"member": "T1"},
        {"member": "Send", "attr": "Description", "attrline": 1},
        {"member": "Send", "line": 2},
        {"member": "Template", "attr": "Data", "attrline": 1},
        {"member": "ByEmail"},
        {"member": "ByEmail", "attr": "SqlQuery", "attrline": 1},
        {"member": "Default", "line": 3},
    ]


def test_class_header_attributes(api: Client) -> None:
    def shape(query: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in m.items() if k != "text"}
                for m in api.found(query, "Pkg.Person.cls", word=True)["Pkg.Person.cls"]]
    assert shape("Macros") == [{"attr": "IncludeCode"}]
    assert shape("PersonD") == [{"attr": "Description", "attrline": 2}]
    assert shape("Pkg.Person") == [{"attr": "Name"}]
    assert shape("SqlTableName") == [{"attr": "Name"}]
    assert shape("Base") == [{"attr": "Super"}]
    assert shape("Twice") == [{"member": "Send", "attr": "Description", "attrline": 2}]
    assert shape("VERSION") == [{"member": "VERSION"}]


def test_routine_lines_count_after_the_header(api: Client) -> None:
    matches = api.found("write", "Mail.mac")["Mail.mac"]
    assert matches == [{"text": 'write "email"', "line": 2}, {"text": "write x", "line": 5}]
    assert api.found("ROUTINE", "*.mac") == {}, "the header is no routine line"


def test_names_match_the_client_regexes(api: Client, space: Space) -> None:
    space.write("Deep/Sub/Name9.cls", "Class Deep.Sub.Name9\n{\n// needle\n}\n")
    space.write("csp/user/js/lib.min.js", "// needle\n")
    found = api.found("needle", "*.cls,*.cspall")
    assert set(found) == {"Deep.Sub.Name9.cls", "/csp/user/js/lib.min.js"}
    for name in found:
        assert CLIENT_NAME.match(name) or CLIENT_CSP.match(name), name


def test_crlf_and_latin1_files(api: Client, space: Space) -> None:
    (space.ws / "Crlf.mac").write_bytes(b"ROUTINE Crlf\r\n write \"caf\xe9\"\r\n quit\r\n")
    found = api.found("café", "Crlf.mac")
    assert found == {"Crlf.mac": [{"text": 'write "café"', "line": 1}]}
    found = api.found(".*quit$", "Crlf.mac", regex=True)
    assert found == {"Crlf.mac": [{"text": "quit", "line": 2}]}


def test_version_2_minimum(api: Client) -> None:
    assert api.search("Email", v=2).status_code == 200
    assert api.search("Email", v=1).status_code == 404


@pytest.mark.parametrize("params", [
    {"files": "*.cls"}, {"query": "x"}, {"query": "", "files": "*.cls"},
    {"query": "x", "files": " "}, {"query": "x", "files": "*.cls", "max": "zero"},
    {"query": "x", "files": "*.cls", "max": "0"}, {"query": "x", "files": "*.cls", "word": "2"},
    {"query": "(", "files": "*.cls", "regex": "1"},
    {"query": "x", "files": "'*.cls"},
])
def test_bad_parameters_are_400(api: Client, params: dict[str, str]) -> None:
    resp = api.call("GET", api.url("action/search"), query_string=params)
    assert resp.status_code == 400, resp.data
    assert envelope(resp)["status"]["summary"]


@pytest.mark.parametrize("pattern", [
    "(a+)+$", "(a*)*b", "(a|aa)+c", "(.*a){20}", r"(\w+\s?)+$", "((ab)*)+x",
])
def test_catastrophic_shapes_run_on_re2(api: Client, space: Space, pattern: str) -> None:
    """Nested and overlapping repeats cannot backtrack on RE2: they answer, in full."""
    space.write("Many.mac", "ROUTINE Many\n " + "a" * 5000 + "\n")
    resp = api.search(pattern, "*.mac", regex=True)
    assert resp.status_code == 200, resp.data
    assert envelope(resp)["status"] == {"errors": [], "summary": ""}


@pytest.mark.parametrize("pattern", [
    r"(a)\1*", r"(?=x)(a+)+$", r"(a|aa)+\1", r"(?<!x)(.*a){20}", r"(?=b)(a?){28}a{28}",
])
def test_explosive_shapes_the_backtracking_engine_would_run_are_refused(
        api: Client, pattern: str) -> None:
    resp = api.search(pattern, "*.cls", regex=True)
    assert resp.status_code == 400, resp.data
    summary = envelope(resp)["status"]["summary"]
    assert "refused" in summary and "backtracking engine" in summary


def test_slow_regex_stops_at_the_time_limit(space: Space) -> None:
    """A polynomial regex that needs the backtracking engine (a look-ahead) on a long line
    runs in a child process that the limit kills; the same shape without it runs on RE2."""
    space.write("Long.mac", "ROUTINE Long\n ; " + "a" * 50_000 + "\n")
    api = space.app(work_time_limit_seconds=1)
    started = time.monotonic()
    resp = api.search(".*(?=.*a.*a.*a.*b).*", "*.mac", regex=True)
    assert time.monotonic() - started < 15
    env = envelope(resp)
    assert resp.status_code == 200 and env["result"] == []
    assert "stopped early (time limit)" in env["status"]["summary"]
    for pattern, params in ((".*a.*a.*a.*b.*", {"regex": True}),
                            ("*a*a*a*a*b", {"wild": True})):
        resp = api.search(pattern, "*.mac", **params)
        assert envelope(resp)["status"] == {"errors": [], "summary": ""}, pattern
    assert api.found("aaab", "*.mac") == {}, "literal search stays linear and in-process"


def test_safe_patterns_answer(api: Client) -> None:
    for pattern in ("(?i).*(foo|bar|baz).*", ".*[a-z]+x.*", r".*\x00.*", "(?i).*(ab|cd)+.*",
                    "(?i)(?s).*x.*", r"(?<=a).*b.*", r"\A.*quit\Z"):
        assert api.search(pattern, "*.mac", regex=True).status_code == 200, pattern


def test_indented_members_are_located(api: Client, space: Space) -> None:
    space.write("Pkg/Indented.cls", "Class Pkg.Indented\n{\n\n  /// Marker doc\n"
                "  ClassMethod Run() As %Status\n  {\n    quit $$$OK // Marker\n  }\n\n"
                "  Property Marker As %String;\n\n}\n")
    matches = api.found("Marker", "Pkg.Indented.cls")["Pkg.Indented.cls"]
    assert [{k: v for k, v in m.items() if k != "text"} for m in matches] == [
        {"member": "Run", "attr": "Description", "attrline": 1},
        {"member": "Run", "line": 1},
        {"member": "Marker"},
    ]


def test_routines_without_a_header_count_lines_as_get_shows_them(api: Client,
                                                                   space: Space) -> None:
    space.write("Bare.mac", "Bare ;\n write \"bare\"\n quit\n")
    ro = "^MAC^Save for Source Control^^~Format=IRIS.S~^UTF8\n%RO\nSaved^MAC^^^0\nSaved ;\n" \
         " write \"saved\"\n quit\n"
    space.write("Saved.mac", ro)
    assert api.found("write", "Bare.mac") == {"Bare.mac": [{"text": 'write "bare"', "line": 2}]}
    assert api.found("write", "Saved.mac") == {
        "Saved.mac": [{"text": 'write "saved"', "line": 2}]}
    doc = envelope(api.call("GET", api.url("doc/Saved.mac")))["result"]["content"]
    assert doc[0] == "ROUTINE Saved" and doc[2] == ' write "saved"'
