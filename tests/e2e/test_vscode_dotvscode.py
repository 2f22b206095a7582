"""A replay of how the VS Code ObjectScript extension keeps the ``.vscode`` folder of a
server-side (isfs) workspace folder, over a served port: it asks ``%SYS/cspapps/%SYS`` for
``/_vscode`` (``addWsServerRootFolderData``), then reads and writes
``isfs://server:USER/.vscode/settings.json`` as the %SYS web document
``/_vscode/USER/settings.json`` (``redirectDotvscodeRoot``), listing the folder through
StudioOpenDialog and saving web files as base64."""

from __future__ import annotations

import base64

from .conftest import Running, envelope, ns_path

OPEN_DIALOG = "SELECT Name, Type FROM %Library.RoutineMgr_StudioOpenDialog(?,?,?,?,?,?,?,?,?,?)"


def _doc(name: str) -> str:
    return ns_path("%SYS", f"doc/{name}")


def _folder(running: Running, spec: str) -> list[dict[str, object]]:
    body = {"query": OPEN_DIALOG, "parameters": [spec, "1", "1", "1", "0", "0", "0", "", "0",
                                                 "1"]}
    resp = running.client.call("POST", ns_path("%SYS", "action/query"), json_body=body)
    assert resp.status_code == 200, resp.text
    return envelope(resp)["result"]["content"]  # type: ignore[no-any-return]


def test_dotvscode_of_an_isfs_folder_lives_in_the_vscode_app(running: Running) -> None:
    c = running.client
    apps = envelope(c.call("GET", ns_path("%SYS", "cspapps/%25SYS")))["result"]["content"]
    assert "/_vscode" in apps
    name = "/_vscode/USER/settings.json"
    assert c.call("GET", _doc(name), params={"binary": "1"}).status_code == 404
    text = b'{\n  "files.eol": "\\n"\n}\n'
    put = c.call("PUT", _doc(name), params={"ignoreConflict": "1"},
                 json_body={"enc": True, "content": [base64.b64encode(text).decode()],
                            "mtime": -1})
    assert put.status_code == 201, put.text
    assert envelope(put)["result"]["content"] == []
    got = envelope(c.call("GET", _doc(name), params={"binary": "1"}))["result"]
    assert got["enc"] is True and base64.b64decode("".join(got["content"])) == text
    assert {"Name": "USER", "Type": 10} in _folder(running, "/_vscode/*")
    assert {"Name": "settings.json", "Type": 5} in _folder(running, "/_vscode/USER/*")
    on_disk = running.state / "namespaces" / "SYS" / "_vscode" / "USER" / "settings.json"
    assert on_disk.read_bytes() == text
    assert not list(running.ws.rglob("settings.json"))  # never in the user's workspace
    deleted = c.call("DELETE", _doc(name))
    assert envelope(deleted)["result"]["ts"] == "" and not on_disk.exists()
