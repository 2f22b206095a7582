"""A scripted replay of what the VS Code ObjectScript extension sends (spec §6.1, §6.3, §6.4)."""

from __future__ import annotations

import re

from .conftest import AUTH, Client, Running, envelope, ns_path


def doc(name: str) -> str:
    return ns_path("USER", f"doc/{name}")


def test_connect(running: Running) -> None:
    client = Client(running.server.base)
    # 1. login: HEAD with Basic -> 200, no body, exactly one cookie
    login = client.session.head(client.base + "/api/atelier/", auth=AUTH,
                                headers={"Accept": "application/json",
                                         "Cache-Control": "no-cache"}, timeout=30)
    assert login.status_code == 200
    assert login.content == b""
    assert len(login.raw.headers.getlist("Set-Cookie")) == 1
    client.cookie = login.headers["Set-Cookie"]
    # 2. server info with the cookie alone
    resp = client.call("GET", "/api/atelier/")
    assert resp.status_code == 200
    info = envelope(resp)["result"]["content"]
    product = info["version"].split(") ", 1)[1].split(" ")[0]
    assert re.fullmatch(r"\d{4}\.\d+(\.\d+)?", product)
    assert info["api"] == 8
    assert "USER" in info["namespaces"] and "%SYS" in info["namespaces"]
    assert "Set-Cookie" not in resp.headers
    # 3. web apps of the namespace and of %SYS (looking for /_vscode)
    apps = envelope(client.call("GET", ns_path("%SYS", "cspapps/USER")))["result"]["content"]
    assert apps == ["/csp/user"]
    sys_apps = client.call("GET", ns_path("%SYS", "cspapps/%25SYS"))
    assert sys_apps.status_code == 200
    assert "/_vscode" in envelope(sys_apps)["result"]["content"]  # isfs .vscode files
    # 4. HEAD of the webapp's .vscode/settings.json: 404 (no body) is fine
    head = client.call("HEAD", doc("/csp/user/.vscode/settings.json"))
    assert head.status_code == 404
    assert head.content == b""
    client.close()


def test_head_settings_json_found_when_present(running: Running) -> None:
    folder = running.ws / "csp" / "user" / ".vscode"
    folder.mkdir()
    (folder / "settings.json").write_text("{}\n")
    resp = running.client.call("HEAD", doc("/csp/user/.vscode/settings.json"))
    assert resp.status_code == 200
    assert resp.headers["ETag"]


def test_open_with_and_without_if_none_match(running: Running) -> None:
    c = running.client
    first = c.call("GET", doc("R.mac"))
    assert first.status_code == 200
    body = envelope(first)["result"]
    assert body["content"] == ["ROUTINE R", "R ;", " quit", ""]
    cached = c.call("GET", doc("R.mac"), headers={"IF-NONE-MATCH": body["ts"]})
    assert cached.status_code == 304
    assert cached.content == b""
    web = c.call("GET", doc("/csp/user/index.html"), params={"binary": "1"})
    assert envelope(web)["result"]["enc"] is True


def test_open_missing_file_is_404_envelope(running: Running) -> None:
    resp = running.client.call("GET", doc("Nope.mac"))
    assert resp.status_code == 404
    assert envelope(resp)["result"]["status"]


def test_client_side_save_conflict_and_forced_save(running: Running) -> None:
    c = running.client
    ts = envelope(c.call("GET", doc("R.mac")))["result"]["ts"]
    # normal save: ignoreConflict=0 with the ts the client holds
    saved = c.call("PUT", doc("R.mac"), params={"ignoreConflict": "0"},
                   headers={"IF-NONE-MATCH": ts},
                   json_body={"enc": False, "content": ["ROUTINE R", "R ;", " quit 1", ""]})
    assert saved.status_code == 200
    new_ts = envelope(saved)["result"]["ts"]
    assert new_ts > ts
    assert envelope(saved)["result"]["content"] == []
    assert (running.ws / "R.mac").read_text() == "ROUTINE R\nR ;\n quit 1\n"
    # another program changes the file; the client's save with the old ts conflicts
    (running.ws / "R.mac").write_text("ROUTINE R\nR ;\n quit 2\n")
    conflict = c.call("PUT", doc("R.mac"), params={"ignoreConflict": "0"},
                      headers={"IF-NONE-MATCH": new_ts},
                      json_body={"enc": False, "content": ["ROUTINE R", " quit 3", ""]})
    assert conflict.status_code == 409
    server_copy = envelope(conflict)["result"]
    assert server_copy["content"] == ["ROUTINE R", "R ;", " quit 2", ""]
    assert server_copy["ts"] > new_ts
    assert (running.ws / "R.mac").read_text() == "ROUTINE R\nR ;\n quit 2\n"
    # the user picks "Overwrite": ignoreConflict=1
    forced = c.call("PUT", doc("R.mac"), params={"ignoreConflict": "1"},
                    headers={"IF-NONE-MATCH": new_ts},
                    json_body={"enc": False, "content": ["ROUTINE R", " quit 3", ""]})
    assert forced.status_code == 200
    assert envelope(forced)["result"]["ts"] > server_copy["ts"]
    assert (running.ws / "R.mac").read_text() == "ROUTINE R\n quit 3\n"


def test_isfs_save(running: Running) -> None:
    c = running.client
    ts = envelope(c.call("GET", doc("Pkg.A.cls")))["result"]["ts"]
    assert c.call("GET", doc("Pkg.A.cls"), headers={"IF-NONE-MATCH": ts}).status_code == 304
    text = ["Class Pkg.A Extends %RegisteredObject", "{", "", "Parameter X = 1;", "", "}", ""]
    resp = c.call("PUT", doc("Pkg.A.cls"), params={"ignoreConflict": "1"},
                  json_body={"enc": False, "content": text, "mtime": -1})
    assert resp.status_code == 200
    result = envelope(resp)["result"]
    assert isinstance(result["content"], list)
    assert result["ts"] > ts
    assert (running.ws / "Pkg" / "A.cls").read_text() == "\n".join(text)


def test_create_new_files(running: Running) -> None:
    c = running.client
    assert c.call("GET", doc("Pkg.New.cls")).status_code == 404
    resp = c.call("PUT", doc("Pkg.New.cls"), params={"ignoreConflict": "1"},
                  json_body={"enc": False, "mtime": -1,
                             "content": ["Class Pkg.New Extends %RegisteredObject", "{", "}"]})
    assert resp.status_code == 201
    assert isinstance(envelope(resp)["result"]["content"], list)
    assert (running.ws / "Pkg" / "New.cls").exists()
    assert c.call("GET", doc("NewR.mac")).status_code == 404
    resp = c.call("PUT", doc("NewR.mac"), params={"ignoreConflict": "1"},
                  json_body={"enc": False, "content": ["ROUTINE NewR"]})
    assert resp.status_code == 201
    # an empty web file: VS Code sends [""]
    resp = c.call("PUT", doc("/csp/user/new.css"), params={"ignoreConflict": "1"},
                  json_body={"enc": False, "content": [""]})
    assert resp.status_code == 201
    assert (running.ws / "csp" / "user" / "new.css").read_bytes() == b""


def test_delete_doc_and_docs(running: Running) -> None:
    c = running.client
    resp = c.call("DELETE", doc("R.mac"))
    assert resp.status_code == 200
    result = envelope(resp)["result"]
    assert result["ts"] == "" and result["status"] == ""
    assert not (running.ws / "R.mac").exists()
    resp = c.call("DELETE", ns_path("USER", "docs"),
                  json_body=["Pkg.A.cls", "/csp/user/index.html", "Gone.mac"])
    assert resp.status_code == 200
    items = envelope(resp)["result"]
    assert [i["name"] for i in items] == ["Pkg.A.cls", "/csp/user/index.html", "Gone.mac"]
    assert [bool(i["status"]) for i in items] == [False, False, True]
    assert not (running.ws / "Pkg" / "A.cls").exists()
    assert not (running.ws / "csp" / "user" / "index.html").exists()


def test_session_loss_then_relogin(running: Running) -> None:
    c = running.client
    assert c.call("HEAD", "/api/atelier/", params={"CacheLogout": "end"}).status_code == 200
    resp = c.call("GET", ns_path("USER", "docnames"))
    assert resp.status_code == 401
    envelope(resp)
    # the client drops its cookies and retries, which logs in again with Basic
    c.cookie = ""
    c.login()
    assert c.call("GET", ns_path("USER", "docnames")).status_code == 200


def test_external_change_visible_on_next_get(running: Running) -> None:
    c = running.client
    ts = envelope(c.call("GET", doc("R.mac")))["result"]["ts"]
    (running.ws / "R.mac").write_text("ROUTINE R\n quit 99\n")
    resp = c.call("GET", doc("R.mac"), headers={"IF-NONE-MATCH": ts})
    assert resp.status_code == 200
    assert envelope(resp)["result"]["content"] == ["ROUTINE R", " quit 99", ""]
    (running.ws / "Ext.mac").write_text("ROUTINE Ext\n")
    names = [d["name"] for d in envelope(c.call("GET", ns_path("USER", "docnames/RTN")))[
        "result"]["content"]]
    assert "Ext.mac" in names


def test_hostile_encoded_names_over_http(running: Running) -> None:
    c = running.client
    before = sorted(p.relative_to(running.ws.parent) for p in running.ws.parent.rglob("*"))
    for name in ("%2e%2e/%2e%2e/evil.mac", "csp/user/%2e%2e/%2e%2e/%2e%2e/evil.js",
                 "%2fetc%2fpasswd", "R%00.mac", "..%5c..%5cevil.mac"):
        for method in ("GET", "PUT", "DELETE"):
            resp = c.call(method, ns_path("USER", "doc/") + name,
                          json_body={"enc": False, "content": ["x"]} if method == "PUT" else None)
            assert 400 <= resp.status_code < 500, (method, name, resp.status_code)
            assert envelope(resp)["status"]["summary"]
    after = sorted(p.relative_to(running.ws.parent) for p in running.ws.parent.rglob("*")
                   if "state" not in p.relative_to(running.ws.parent).parts[:1])
    assert after == [p for p in before if "state" not in p.parts[:1]]


def test_non_ascii_names_through_the_real_server(running: Running) -> None:
    c = running.client
    for name, rel, content in (("Pkg.Ñandú.cls", "Pkg/Ñandú.cls", ["Class Pkg.Ñandú", "{", "}"]),
                               ("/csp/user/ü file.js", "csp/user/ü file.js", ["var ü;"])):
        resp = c.call("PUT", doc(name), params={"ignoreConflict": "1"},
                      json_body={"enc": False, "content": content})
        assert resp.status_code == 201, resp.text
        assert (running.ws / rel).read_text(encoding="utf-8") == "\n".join(content)
        got = envelope(c.call("GET", doc(name)))["result"]
        assert got["name"] == name and got["content"] == content
