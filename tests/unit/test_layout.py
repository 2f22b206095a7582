"""Name <-> path mapping for every layout kind, web applications and the folder gate."""

from __future__ import annotations

import pytest

from atelier_api.documents.layout import (
    LAYOUTS,
    Layout,
    WebApp,
    default_webapps,
    parse_webapps,
)
from atelier_api.documents.names import parse_name
from atelier_api.errors import InvalidName

USER_APPS = default_webapps("USER")

EXPECTED = {
    # auto: where the tree says (atelier_api.documents.namemap); in an empty tree, as default
    "auto": {
        "Pkg.Sub.Name.cls": "Pkg/Sub/Name.cls", "Pkg.R.mac": "Pkg.R.mac", "Macros.inc":
        "Macros.inc",
    },
    "default": {
        "Pkg.Sub.Name.cls": "Pkg/Sub/Name.cls", "%Library.String.cls": "%Library/String.cls",
        "Pkg.R.mac": "Pkg.R.mac", "R.int": "R.int", "Pkg.Cls.1.int": "Pkg.Cls.1.int",
        "Macros.inc": "Macros.inc", "X.prj": "X.prj",
    },
    "atelier": {
        "Pkg.Sub.Name.cls": "Pkg/Sub/Name.cls", "Pkg.R.mac": "Pkg/R.mac", "R.int": "R.int",
        "Pkg.Cls.1.int": "Pkg/Cls/1.int", "A.B.lut": "A/B.lut",
    },
    "flat": {
        "Pkg.Sub.Name.cls": "Pkg.Sub.Name.cls", "Pkg.R.mac": "Pkg.R.mac", "X.prj": "X.prj",
    },
    "category": {
        "Pkg.Sub.Name.cls": "cls/Pkg/Sub/Name.cls", "Pkg.R.mac": "mac/Pkg/R.mac",
        "Macros.inc": "inc/Macros.inc", "R.int": "int/R.int", "X.prj": "oth/X.prj",
    },
}
CASES = [(kind, name, path) for kind, table in EXPECTED.items() for name, path in table.items()]


def _layout(kind: str = "default", apps: tuple[WebApp, ...] = USER_APPS) -> Layout:
    return Layout(kind, apps)


def test_every_layout_kind_is_covered() -> None:
    """The table above names every layout the server offers."""
    assert set(EXPECTED) == set(LAYOUTS)


@pytest.mark.parametrize(("kind", "name", "path"), CASES)
def test_name_to_path_and_back(kind: str, name: str, path: str) -> None:
    """Each layout maps a name to its path and the path back to the same name."""
    layout = _layout(kind)
    assert layout.to_path(parse_name(name)) == path
    back = layout.to_name(path)
    assert back is not None and back.name == name


@pytest.mark.parametrize("kind", sorted(LAYOUTS))
@pytest.mark.parametrize("raw", ["/csp/user/page.csp", "//csp/user/js/app.js", "csp/user/x"])
def test_web_files_in_every_layout(kind: str, raw: str) -> None:
    """Web files live under their application's folder, whatever the layout."""
    layout = _layout(kind)
    doc = parse_name(raw)
    path = layout.to_path(doc)
    assert path == "csp/user/" + doc.name.removeprefix("/csp/user/")
    back = layout.to_name(path)
    assert back is not None and back.name == doc.name


def test_web_app_match_is_case_insensitive() -> None:
    """/CSP/User/x.js is served by /csp/user; the rest of the path keeps its case."""
    assert _layout().to_path(parse_name("/CSP/User/Js/X.js")) == "csp/user/Js/X.js"


def test_custom_web_app_folder() -> None:
    """A configured application maps its URL path to any folder inside the root."""
    layout = _layout(apps=parse_webapps({"/csp/app/": "/web/static/"}))
    assert layout.to_path(parse_name("/csp/app/index.html")) == "web/static/index.html"
    doc = layout.to_name("web/static/sub/a.js")
    assert doc is not None and doc.name == "/csp/app/sub/a.js"


def test_nested_web_app_folders_pick_the_deepest() -> None:
    """A file in a nested application folder belongs to that application, whatever URL length."""
    layout = _layout(apps=parse_webapps({"/a": "web/inner", "/longer/app": "web"}))
    inner = layout.to_name("web/inner/x.js")
    outer = layout.to_name("web/y.js")
    assert inner is not None and inner.name == "/a/x.js"
    assert outer is not None and outer.name == "/longer/app/y.js"


def test_web_name_without_application_is_rejected() -> None:
    """A web path no application serves (/etc/passwd) never becomes a path."""
    for raw in ("/etc/passwd", "/csp/other/x.js", "/csp/username/x.js"):
        with pytest.raises(InvalidName):
            _layout().to_path(parse_name(raw))


@pytest.mark.parametrize(
    "path",
    ["README.md", "Name.cls", "Pkg/R.mac", "Pkg.Sub.Name.cls", "Pkg/Sub/Name.CLS", ".gitignore",
     "Pkg/Sub/Na me.cls", "Pkg/Sub/.cls", "setup.py", "notes.txt", "Pkg_A/B.cls"],
)
def test_files_holding_no_document_map_to_none(path: str) -> None:
    """Files that are not the canonical path of a document are not documents."""
    assert _layout("default").to_name(path) is None


@pytest.mark.parametrize(
    ("kind", "path"),
    [("category", "Pkg/R.mac"), ("category", "mac/Pkg/A.cls"), ("category", "x.mac"),
     ("flat", "Pkg/A.cls"), ("atelier", "Pkg.R.mac")],
)
def test_paths_of_another_layout_map_to_none(kind: str, path: str) -> None:
    """A path in the wrong place for the layout holds no document."""
    assert _layout(kind).to_name(path) is None


@pytest.mark.parametrize("name", ["csp.user.Foo.cls", "CSP.User.Foo.cls", "csp.user.Sub.X.cls"])
def test_class_inside_web_folder_is_rejected(name: str) -> None:
    """A class whose file would fall inside a web application folder is refused."""
    with pytest.raises(InvalidName):
        _layout().to_path(parse_name(name))


def test_routine_inside_web_folder_is_rejected_when_split() -> None:
    """In the atelier layout routines are split by package too, so the same gate applies."""
    with pytest.raises(InvalidName):
        _layout("atelier").to_path(parse_name("csp.user.R.mac"))
    assert _layout("default").to_path(parse_name("csp.user.R.mac")) == "csp.user.R.mac"


@pytest.mark.parametrize(
    "name", ["Pkg." + "A" * 300 + ".cls", "/csp/user/" + "b" * 256 + ".js",
             "Pkg." + "é" * 130 + ".cls"],
    ids=["class", "web", "utf8-bytes"],
)
def test_path_component_too_long_for_a_filesystem(name: str) -> None:
    """A file or folder name above 255 bytes cannot exist on disk: the name is invalid."""
    with pytest.raises(InvalidName):
        _layout().to_path(parse_name(name))


def test_long_name_fine_when_split() -> None:
    """Long dotted names are fine when each folder stays within the limit."""
    name = ".".join(["P" * 200] * 4) + ".cls"
    assert _layout().to_path(parse_name(name)).count("/") == 3


def test_unknown_layout_kind() -> None:
    """Only the declared layout kinds exist."""
    with pytest.raises(ValueError, match="unknown layout"):
        Layout("nested", ())


def test_is_web_folder() -> None:
    """Folders at or below an application folder are web folders (case-insensitive)."""
    layout = _layout()
    assert layout.is_web_folder("csp/user") and layout.is_web_folder("CSP/User/js")
    assert not layout.is_web_folder("csp") and not layout.is_web_folder("Pkg")


def test_default_webapps() -> None:
    """A namespace gets /csp/<ns>; %SYS gets /csp/sys."""
    assert default_webapps("USER") == (WebApp("/csp/user", "csp/user"),)
    assert default_webapps("%SYS") == (WebApp("/csp/sys", "csp/sys"),)


@pytest.mark.parametrize(
    "spec", [{"/": "web"}, {"/csp/../x": "web"}, {"/csp//x": "web"}, {"/csp/x": "../out"},
             {"/csp/x": "/abs/../../out"}, {"/csp/./x": "web"}, {"/csp/x": "web/./x"},
             {"/csp/x": "web//x"}, {"/csp/x": "..\\out"}],
)
def test_parse_webapps_rejects_escapes(spec: dict[str, str]) -> None:
    """Application paths and folders must stay inside the namespace root."""
    with pytest.raises(ValueError):
        parse_webapps(spec)


@pytest.mark.parametrize("raw", ["/csp/user/.git/hooks/post-checkout", "/csp/user/a/.GIT/x",
                                 "/csp/user/.hg/hgrc", "/csp/user/.svn/entries"])
def test_vcs_metadata_is_never_a_document_path(raw: str) -> None:
    """Even a web application at the root cannot reach .git, .hg or .svn."""
    root_app = (WebApp("/csp/user", ""),)
    for layout in (_layout(), _layout(apps=root_app)):
        with pytest.raises(InvalidName):
            layout.to_path(parse_name(raw))
    assert _layout(apps=root_app).to_name(".git/hooks/post-checkout") is None
