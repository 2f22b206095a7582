"""The README stays true to the code: config table, layouts, endpoints, set-up commands, CI.

Set-up commands are detected as README blocks marked ``<!-- setup-command: NAME -->``: the
marker line, then a fenced code block holding exactly one command line. The quick-start
section holds these two blocks and no other code block.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.routing.exceptions import WebsocketMismatch

from atelier_api.config import markdown_table
from atelier_api.documents.layout import LAYOUT_HELP

MARKER = re.compile(r"^<!-- setup-command: (\S+) -->\n+```[a-z]*\n(.*?)```", re.M | re.S)


def _readme(repo: Path) -> str:
    return (repo / "README.md").read_text(encoding="utf-8")


def _between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert match, f"README.md lacks the <!-- {name}:start/end --> markers"
    return match.group(1)


def setup_commands(text: str) -> dict[str, str]:
    """Marked set-up commands by name; each block must hold exactly one line."""
    found: dict[str, str] = {}
    for name, body in MARKER.findall(text):
        lines = [line for line in body.splitlines() if line.strip()]
        assert len(lines) == 1, f"set-up block {name!r} must hold one line, not {lines}"
        assert name not in found, f"set-up block {name!r} appears twice"
        found[name] = lines[0]
    return found


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README.md has no '## {heading}' section"
    return match.group(1)


def test_config_table_is_markdown_table(repo: Path) -> None:
    assert _between(_readme(repo), "config-table") == markdown_table(), (
        "README configuration table differs from atelier_api.config.markdown_table(); paste "
        "its output between the config-table markers")


def test_layout_table_matches_layout_help(repo: Path) -> None:
    rows = _between(_readme(repo), "layouts").splitlines()[2:]
    expected = [f"| `{name}` | {help_} |" for name, help_ in LAYOUT_HELP.items()]
    assert rows == expected


def test_exactly_two_setup_commands(repo: Path) -> None:
    text = _readme(repo)
    commands = setup_commands(text)
    assert sorted(commands) == ["serve", "test"]
    assert text.count("<!-- setup-command:") == 2
    quick = _section(text, "Quick start")
    assert quick.count("```") == 4, "the quick start must hold exactly the two set-up blocks"
    assert all(name in quick for name in ("setup-command: serve", "setup-command: test"))


def test_serve_command_installs_and_runs_the_defaults(repo: Path) -> None:
    command = setup_commands(_readme(repo))["serve"]
    assert "pip install" in command
    assert command.endswith("atelier-api serve"), "no flags: the embedded defaults"


def test_test_command_installs_test_extras_and_runs_pytest(repo: Path) -> None:
    command = setup_commands(_readme(repo))["test"]
    assert "pip install -e '.[test]'" in command
    assert re.search(r"\bpytest\b", command)


def test_readme_states_the_default_address_and_credentials(repo: Path) -> None:
    text = _readme(repo)
    for fact in ("127.0.0.1:52773", "_SYSTEM", "`SYS`", '"ns": "USER"', "/openapi.json",
                 "/docs", "openapi/openapi.json", "atelier_api.compilers"):
        assert fact in text, fact


# -- the endpoint table ----------------------------------------------------------------------

SAMPLE = {"{ns}": "USER", "{name}": "Demo.Person.cls", "{cat}": "CLS", "{type}": "*",
          "{target}": "USER", "{namespace}": "USER", "vN": "v8"}


def _endpoint_rows(text: str) -> list[tuple[str, str, str]]:
    rows = []
    for line in _between(text, "endpoints").splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0].strip("`"), cells[1].strip("`"), cells[2]))
    return rows


def _spec_operations(app: Flask) -> set[tuple[str, str]]:
    spec = app.test_client().get("/openapi.json").get_json()
    methods = {"get", "put", "post", "delete", "head", "patch"}
    return {(m.upper(), path.replace("/v{version}/", "/vN/"))
            for path, item in spec["paths"].items() for m in item if m in methods}


def test_endpoint_table_lists_every_route(repo: Path, app: Flask) -> None:
    listed = {(method, path) for method, path, _ in _endpoint_rows(_readme(repo))}
    served = _spec_operations(app)
    assert listed == served, (f"README endpoint table: missing {sorted(served - listed)}, "
                              f"not served {sorted(listed - served)}")


def test_endpoint_table_minimum_versions(repo: Path, app: Flask) -> None:
    adapter = app.url_map.bind("127.0.0.1")
    for method, path, minimum in _endpoint_rows(_readme(repo)):
        sample = path
        for key, value in SAMPLE.items():
            sample = sample.replace(key, value)
        try:
            endpoint, _ = adapter.match(sample, method=method)
        except WebsocketMismatch:  # a WebSocket endpoint (the terminal)
            endpoint, _ = adapter.match(sample, method=method, websocket=True)
        declared = getattr(app.view_functions[endpoint], "min_version", None)
        assert minimum == ("–" if declared is None else str(declared)), (method, path)


# -- .ci/run runs the README's test command -------------------------------------------------

def _ci_copy(repo: Path, tmp_path: Path, readme: str) -> Path:
    (tmp_path / ".ci").mkdir()
    shutil.copy2(repo / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    return tmp_path


def _run_ci(root: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "true", "ATELIER_SKIP_CONTAINER": "1"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([shutil.which("bash") or "/bin/bash", str(root / ".ci" / "run")],
                          cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)


def test_ci_run_is_an_executable_strict_bash_script(repo: Path) -> None:
    script = repo / ".ci" / "run"
    assert script.stat().st_mode & stat.S_IXUSR
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert "setup-command: $1" in text and "extract_command test" in text


def test_ci_run_executes_the_readme_test_block(repo: Path, tmp_path: Path) -> None:
    readme = ("# x\n\n<!-- setup-command: serve -->\n```sh\necho serve > served.txt\n```\n\n"
              "<!-- setup-command: test -->\n```sh\necho ran && touch ran.txt\n```\n")
    root = _ci_copy(repo, tmp_path, readme)
    result = _run_ci(root)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["+ echo ran && touch ran.txt", "ran"]
    assert (root / "ran.txt").exists() and not (root / "served.txt").exists()


@pytest.mark.parametrize("command", ["false", "true && exit 3", "false | true"])
def test_ci_run_fails_when_the_test_command_fails(repo: Path, tmp_path: Path,
                                                  command: str) -> None:
    readme = f"<!-- setup-command: test -->\n```sh\n{command}\n```\n"
    result = _run_ci(_ci_copy(repo, tmp_path, readme))
    assert result.returncode != 0


def test_ci_run_fails_without_a_test_block(repo: Path, tmp_path: Path) -> None:
    result = _run_ci(_ci_copy(repo, tmp_path, "# no command here\n"))
    assert result.returncode != 0
    assert "no test command" in result.stderr


def test_ci_run_runs_the_real_readme_command(repo: Path, tmp_path: Path) -> None:
    """On the real README, .ci/run starts exactly its test command (tools stubbed to fail)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    root = _ci_copy(repo, clone, _readme(repo))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "awk", "dirname", "cat", "env"):
        real = shutil.which(tool)
        assert real, tool
        (bin_dir / tool).symlink_to(real)
    for stub in ("python3", "python", "python3.11", "pip", "pip3", "uv", "pytest"):
        target = bin_dir / stub
        target.write_text(f'#!/bin/sh\necho "{stub} $*" >> "{tmp_path}/calls.txt"\nexit 97\n')
        target.chmod(0o755)
    result = _run_ci(root, path=str(bin_dir))
    command = setup_commands(_readme(repo))["test"]
    assert result.stdout.splitlines()[0] == f"+ {command}"
    assert result.returncode == 97, "the command ran and its failure is CI's failure"
    assert (tmp_path / "calls.txt").read_text().split()[0] == command.split()[0]


# -- the README's examples run ---------------------------------------------------------------

def _block(text: str, lang: str, first_line: str) -> str:
    for body in re.findall(rf"```{lang}\n(.*?)```", text, re.S):
        if body.startswith(first_line):
            return str(body)
    raise AssertionError(f"no ```{lang} block starting with {first_line!r} in README.md")


def test_toml_example_is_a_valid_configuration(repo: Path, tmp_path: Path) -> None:
    from atelier_api.config import load_settings

    toml = _block(_readme(repo), "toml", "# atelier.toml").replace("/src/myapp", str(tmp_path))
    config = tmp_path / "atelier.toml"
    config.write_text(toml, encoding="utf-8")
    settings = load_settings(config_file=str(config), env={})
    by_name = {ns.name: ns for ns in settings.namespaces}
    assert by_name["USER"].root == str(tmp_path) and by_name["USER"].layout == "atelier"
    assert by_name["USER"].db == "APPCODE"
    assert [a.path for a in by_name["USER"].webapps] == ["/csp/app", "/csp/app/api"]
    assert by_name["LIB"].source == "git" and by_name["LIB"].ref == "v2"


def test_adapter_example_honours_the_contract(repo: Path) -> None:
    from atelier_api.adapters import contract as compiler

    scope: dict[str, object] = {}
    exec(compile(_block(_readme(repo), "python", "# my_compiler.py"), "README", "exec"), scope)
    adapter = compiler.check_adapter(scope["MyCompiler"]())  # type: ignore[operator]
    request = compiler.IndexRequest((compiler.SourceDoc("Demo.A.cls", ("Class Demo.A {}",)),))
    result = compiler.call(adapter, compiler.Capability.INDEX, request)
    assert [e.name for e in result.entries] == ["Demo.A.cls"]
