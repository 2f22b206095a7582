"""Packaging: entry points, adapter discovery and its errors, and what the wheel ships."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import types
import zipfile
from importlib.metadata import (
    EntryPoint,
    PackageNotFoundError,
    distribution,
    entry_points,
    packages_distributions,
)
from pathlib import Path

import pytest

from atelier_api.adapters import discovery as plugins
from atelier_api.adapters.contract import ENTRY_POINT_GROUP, Adapter, AdapterInfo, Capability
from atelier_api.adapters.discovery import AdapterLoadError, available, load_adapter
from atelier_api.cli import main

FAKE_MODULE = "atelier_api_fake_adapters"


def test_entry_point_group_is_discoverable() -> None:
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert ENTRY_POINT_GROUP == "atelier_api.compilers"
    assert found["stub"].value == "compiler_stub:StubCompiler"
    assert set(available()) == set(found)


def test_console_script_is_registered() -> None:
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("atelier-api") == "atelier_api.cli:main"


def test_load_stub_adapter() -> None:
    adapter = load_adapter("stub")
    assert isinstance(adapter, Adapter)
    assert adapter.info.name == "stub"
    assert all(isinstance(c, Capability) for c in adapter.info.capabilities)


def test_missing_adapter_lists_the_available_ones() -> None:
    with pytest.raises(AdapterLoadError) as caught:
        load_adapter("no-such-adapter")
    message = str(caught.value)
    assert "'no-such-adapter' is not installed" in message
    assert ENTRY_POINT_GROUP in message
    assert "available:" in message and "stub" in message


# -- fake adapters registered as entry points ------------------------------------------------

class _Good(Adapter):
    def __init__(self) -> None:
        self.info = AdapterInfo("good", "1.0", frozenset({Capability.INDEX}))


class _Boom(Adapter):
    def __init__(self) -> None:
        raise RuntimeError("licence server unreachable")


class _NoInfo(Adapter):
    pass


class _BadCapability(Adapter):
    def __init__(self) -> None:
        self.info = AdapterInfo("badcap", "1.0", frozenset({"compile"}))  # type: ignore[arg-type]


class _NoName(Adapter):
    def __init__(self) -> None:
        self.info = AdapterInfo("", "1.0")


class _NotAnAdapter:
    info = AdapterInfo("plain", "1.0")


FAKES = {"good": "_Good", "boom": "_Boom", "noinfo": "_NoInfo", "badcap": "_BadCapability",
         "noname": "_NoName", "plain": "_NotAnAdapter", "missingattr": "_Nothing"}


@pytest.fixture
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register fake adapters (plus one whose module cannot be imported) beside the real ones."""
    module = types.ModuleType(FAKE_MODULE)
    for cls in (_Good, _Boom, _NoInfo, _BadCapability, _NoName, _NotAnAdapter):
        setattr(module, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, FAKE_MODULE, module)
    fakes = [EntryPoint(name, f"{FAKE_MODULE}:{attr}", ENTRY_POINT_GROUP)
             for name, attr in FAKES.items()]
    fakes.append(EntryPoint("noimport", "atelier_api_no_such_module:X", ENTRY_POINT_GROUP))
    real = entry_points

    def patched(**kwargs: str) -> object:
        found = list(real(**kwargs))
        return found + fakes if kwargs.get("group") == ENTRY_POINT_GROUP else found

    monkeypatch.setattr(plugins, "entry_points", patched)


@pytest.mark.usefixtures("fake_entry_points")
def test_fake_adapter_registered_as_entry_point_loads() -> None:
    assert {"stub", "good", "boom"} <= set(available())
    assert load_adapter("good").info.name == "good"


@pytest.mark.usefixtures("fake_entry_points")
def test_adapter_raising_at_construction_is_a_clear_error() -> None:
    with pytest.raises(AdapterLoadError) as caught:
        load_adapter("boom")
    message = str(caught.value)
    assert "'boom' failed to load" in message
    assert "RuntimeError: licence server unreachable" in message
    assert "available:" in message and "stub" in message


@pytest.mark.usefixtures("fake_entry_points")
@pytest.mark.parametrize(("name", "detail"), [
    ("noinfo", "has no AdapterInfo"),
    ("badcap", "unknown capabilities"),
    ("noname", "needs a name"),
    ("plain", "must derive from atelier_api.adapters.contract.Adapter"),
])
def test_adapter_breaking_the_contract_is_a_clear_error(name: str, detail: str) -> None:
    with pytest.raises(AdapterLoadError) as caught:
        load_adapter(name)
    message = str(caught.value)
    assert f"'{name}' is broken" in message
    assert detail in message
    assert "available:" in message


@pytest.mark.usefixtures("fake_entry_points")
@pytest.mark.parametrize("name", ["noimport", "missingattr"])
def test_adapter_that_cannot_be_imported_is_a_clear_error(name: str) -> None:
    with pytest.raises(AdapterLoadError, match=f"'{name}' failed to load"):
        load_adapter(name)


def test_cli_refuses_to_start_with_a_missing_adapter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--compiler", "nope", "--port", "0", "--state-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "compiler adapter 'nope' is not installed" in err and "stub" in err


# -- the wheel -------------------------------------------------------------------------------

SOURCES = ("pyproject.toml", "README.md", "atelier_api", "compiler_stub")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built from a copy of the sources (the work tree is left untouched)."""
    repo = Path(__file__).resolve().parents[2]
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (repo / name).is_dir():
            shutil.copytree(repo / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(repo / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "-w", str(out), "--no-deps", "-q"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=110)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = out.glob("atelier_api-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_the_whole_demo_workspace(wheel: zipfile.ZipFile) -> None:
    demo = Path(__file__).resolve().parents[2] / "atelier_api" / "demo"
    on_disk = {"atelier_api/demo/" + p.relative_to(demo).as_posix()
               for p in demo.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    names = set(wheel.namelist())
    assert on_disk, "the demo workspace is empty"
    assert on_disk <= names, f"missing from the wheel: {sorted(on_disk - names)}"
    assert "atelier_api/demo/USER/csp/user/index.html" in names
    assert any(n.startswith("atelier_api/demo/USER/") and n.endswith(".inc") for n in names)


def test_wheel_ships_both_packages_and_no_tests(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert {"atelier_api/__init__.py", "atelier_api/py.typed", "compiler_stub/__init__.py",
            "atelier_api/adapters/contract.py"} <= names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_wheel_declares_the_entry_points(wheel: zipfile.ZipFile) -> None:
    (ep_file,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(ep_file).decode()
    assert "[console_scripts]\natelier-api = atelier_api.cli:main" in text
    assert "[atelier_api.compilers]\nstub = compiler_stub:StubCompiler" in text


def test_wheel_metadata(wheel: zipfile.ZipFile) -> None:
    (meta,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    text = wheel.read(meta).decode()
    assert "Name: atelier-api" in text
    assert "Requires-Python: >=3.11" in text
    assert "Provides-Extra: test" in text
    assert "## Quick start" in text, "the README is the long description"


# -- every third-party import is a declared dependency ---------------------------------------

def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _canonical(re.split(r"[\s<>=!~;\[(]", spec.strip(), maxsplit=1)[0])


def _closure(names: set[str]) -> set[str]:
    """The declared distributions and everything they require (extras left out)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        todo.extend(_requirement_name(r) for r in requires if "extra ==" not in r)
    return seen


def _third_party_imports(repo: Path) -> dict[str, str]:
    """Top-level module -> first file importing it, for the shipped packages."""
    local = {"atelier_api", "compiler_stub"}
    found: dict[str, str] = {}
    for package in sorted(local):
        for path in sorted((repo / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, str(path.relative_to(repo)))
    return found


def test_every_third_party_import_is_a_declared_dependency(repo: Path) -> None:
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    allowed = _closure({_requirement_name(d) for d in project["dependencies"]})
    # the launcher's backends import their engine's client from an extra, lazily
    optional = _closure({_requirement_name(d) for extra in ("launcher", "kubernetes")
                         for d in project["optional-dependencies"][extra]})
    owners = packages_distributions()
    problems = []
    for module, where in sorted(_third_party_imports(repo).items()):
        dists = {_canonical(d) for d in owners.get(module, [])}
        usable = allowed | optional if where.startswith("atelier_api/launcher/") else allowed
        if not dists & usable:
            problems.append(f"{module} (imported in {where}; installed from "
                            f"{sorted(dists) or 'nothing'})")
    assert not problems, ("imports not covered by [project] dependencies in pyproject.toml: "
                          + "; ".join(problems))
