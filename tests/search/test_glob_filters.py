"""Issue 16: the include/exclude patterns of the ``/work`` search take every regular expression
the VS Code extension's glob library (minimatch) writes, and select what that library selects.

The library is installed from npm at the version the extension pins (its package-lock.json;
package.json asks for ``^10.2.5``) and run under node (``js/minimatch_globs.js``): a table of
globs as typed in VS Code's "files to include/exclude" boxes goes through ``makeRe`` as the
extension calls it (a leading ``/`` unless the glob starts with ``**/``, several globs joined
with ``|``), and the library's own ``RegExp`` objects pick the names they match among the
workspace's names normalised as the spec says (``Demo.Person.cls`` → ``/Demo/Person.cls``, web
files as they are). The regex sources then go to a real server on 127.0.0.1 as ``include`` and
as ``exclude`` of real ``/work`` searches, whose documents must be exactly those.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from envelopes import PASSWORD, USER

from tests.e2e.conftest import launch, stop, wait_for_port

#: the version of the glob library in the extension's package-lock.json
MINIMATCH = "minimatch@10.2.5"
JS = Path(__file__).parent / "js" / "minimatch_globs.js"
MARK = "globmark"  # in every document: a search for it finds every document it may search
DOCUMENTS = "*.cls,*.mac,*.inc,*.int,*.cspall"
WORK = "/api/atelier/v8/USER/work"

CLASSES = [
    "Demo.Person", "Demo.Utils", "Demo.Tests.PersonTest", "Demo.Tests.UtilsTest",
    "Demo.Tests.Unit.MathTest", "Demo.Data.Order", "Demo.Data.OrderLine",
    "Demo.Data.Tests.OrderTest", "Demo.Café", "App.Main", "App.Service.Api",
    "App.Service.Api2", "App.Service.Apex", "App.Tests.ApiTest", "Tests.Smoke", "Lib.a.Helper",
    "Lib.B.Helper", "Lib.c.Tests.HelperTest", "%Demo.Tools", "%Demo.Tests.ToolsTest",
    "Zed.Tests.Deep.Er.Most", "Other.Thing", "Other.x1.Thing2",
]
ROUTINES = [
    ("Mail", "mac"), ("Demo.Util", "mac"), ("Demo.Tests.Run", "mac"), ("%ZStart", "mac"),
    ("Tests", "mac"), ("Macros", "inc"), ("Demo.Defs", "inc"), ("Calc", "int"),
    ("App.Jobs.Nightly", "mac"),
]
WEB = ["menu.csp", "menü.csp", "app.js", "app.min.js", "css/site.css", "Tests/t.csp",
       "%pct.js", ".hidden.js", "lib/.cache/x.js", "Demo/page.csp"]

# Globs as typed in VS Code (the extension adds the leading "/"): *, **, ?, {a,b}, [...],
# POSIX classes, extended globs, dots and % in names, and their combinations.
GLOBS = [
    "*", "**", "**/*", "*.mac", "**/*.mac", "**/*.cls", "**/*.CLS", "Demo/**", "Demo",
    "Demo/*.cls", "Demo/*/*.cls", "**/Tests/**", "**/Tests/*", "**/Tests/**/*.cls",
    "**/Tests", "Demo/{Utils,Person}.cls", "**/*.{cls,inc}", "**/{Demo,App}/**/*.cls",
    "{Demo,Lib}/**/Tests/**", "**/?ests/**", "**/*Test?.cls", "App/Service/Api?.cls",
    "**/Api??.cls", "**/[A-C]*.cls", "**/[!A-M]*.cls", "**/[abc]/**", "Lib/[!B]/*.cls",
    "**/[[:upper:]]*.mac", "**/[[:lower:]]*/**", "**/*[[:digit:]].cls",
    "csp/user/men[[:alpha:]].csp", "**/[^T]ests/**", "%*/**", "**/%*", "**/%*/**",
    "csp/user/**", "csp/**/*.js", "**/*.min.js", "**/app.*", "**/.hidden*", "**/.*/**",
    "**/*.*.*", "**/Data/**", "Zed/**/Most.cls", "Zed/**/Deep/**/*.cls",
    "**/+(Api|Ap)*.cls", "**/@(Person|Order).cls", "**/!(Tests)/*.cls", "**/*(Api)2.cls",
    "**/?(x)1/**", "**/Café.cls", "**/Caf?.cls",
]
#: several globs in one box (comma-separated in VS Code)
GROUPS = [
    ["**/*.mac", "**/*.inc"], ["Demo/**", "App/**", "csp/**"],
    ["**/Tests/**", "**/*Test.cls", "**/.*"], ["**/node_modules", "**/.git", "**/*.code-search"],
]
#: given to makeRe as they are: negation (a leading "!") and globs with their own leading "/"
RAW = ["!**/*.cls", "!/Demo/**", "!/**/Tests/**", "/Demo/**/*.cls", "!/**/{Demo,App}/*"]

CASES: list[tuple[str, list[str], bool]] = (
    [(glob, [glob], True) for glob in GLOBS] +
    [(",".join(group), group, True) for group in GROUPS] +
    [(glob, [glob], False) for glob in RAW])
PAIRS = [("**/*.cls", "**/Tests/**"), ("Demo/**", "**/*.{mac,inc}"), ("**", "**/.*"),
         ("**/Tests/**", "!/**/*.cls")]


def normalised(doc: str) -> str:
    """A document name as the include/exclude patterns see it (the spec, section 4.7)."""
    if doc.startswith("/"):
        return doc
    base, _, ext = doc.rpartition(".")
    return "/" + base.replace(".", "/") + "." + ext


def _workspace(ws: Path) -> list[str]:
    """Write the documents; their names, normalised."""
    names = []
    for cls in CLASSES:
        path = ws / (cls.replace(".", "/") + ".cls")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/// {MARK}\nClass {cls} Extends %RegisteredObject\n{{\n}}\n",
                        encoding="utf-8")
        names.append(normalised(cls + ".cls"))
    for name, ext in ROUTINES:
        kind = {"inc": " [Type=INC]", "int": " [Type=INT]"}.get(ext, "")
        (ws / "rtn").mkdir(exist_ok=True)
        (ws / "rtn" / f"{name}.{ext}").write_text(f"ROUTINE {name}{kind}\n ; {MARK}\n",
                                                  encoding="utf-8")
        names.append(normalised(f"{name}.{ext}"))
    for rel in WEB:
        path = ws / "csp" / "user" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!-- {MARK} -->\n", encoding="utf-8")
        names.append(f"/csp/user/{rel}")
    return sorted(names)


# -- the glob library, under node --------------------------------------------------------------

@pytest.fixture(scope="module")
def minimatch(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The glob library installed from npm; its package folder. Skips without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the extension's glob library")
    folder = tmp_path_factory.mktemp("minimatch")
    done = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                           str(folder), MINIMATCH], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    package = folder / "node_modules" / "minimatch"
    assert json.loads((package / "package.json").read_text())["version"] == "10.2.5"
    return str(package)


@dataclass(frozen=True)
class Generated:
    """What the glob library gives for a case: the regex source the extension sends, the
    flags of its regexes, and the names they match."""

    source: str
    flags: list[str]
    matched: frozenset[str]


def generate(module: str, cases: list[tuple[list[str], bool]], names: list[str]
             ) -> list[Generated]:
    request = {"cases": [{"globs": globs, "prefix": prefix} for globs, prefix in cases],
               "names": names}
    done = subprocess.run(["node", str(JS), module], input=json.dumps(request),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [Generated(item["source"], item["flags"], frozenset(item["matched"]))
            for item in json.loads(done.stdout)]


# -- a real server ------------------------------------------------------------------------------

@dataclass
class Live:
    """A running ``atelier-api serve`` on a workspace, and its output."""

    proc: subprocess.Popen[str]
    names: list[str]
    lines: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never a proxy: 127.0.0.1 only
    session.auth = (USER, PASSWORD)
    return session


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("globs")
    ws = tmp / "ws"
    ws.mkdir()
    names = _workspace(ws)
    started = launch(["serve", "--port", "0", "--state-dir", str(tmp / "state"),
                      "--namespace", f"USER={ws}"], tmp / "home")
    try:
        port = wait_for_port(started)
        yield Live(started.proc, names, started.lines, port)
    finally:
        stop(started)


def queue_search(session: requests.Session, live: Live, **fields: Any) -> requests.Response:
    body = {"request": "search", "query": MARK, "regex": False, "word": False, "case": False,
            "wild": False, "documents": DOCUMENTS, "system": True, "generated": False,
            "mapped": True, "max": 100000, "console": False, **fields}
    return session.post(live.url(WORK), json=body, timeout=60)


def searched(live: Live, **fields: Any) -> set[str]:
    """The documents (normalised) a ``/work`` search for the mark finds, polled like VS Code
    until done; its errors must be none."""
    session = _session()
    resp = queue_search(session, live, **fields)
    assert resp.status_code == 202, resp.text[:500]
    job = resp.headers["Location"]
    found: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        resp = session.get(live.url(f"{WORK}/{job}"), timeout=60)
        assert resp.status_code == 200, resp.text[:500]
        body = resp.json()
        found += [item["doc"] for item in body["result"]]
        if "Retry-After" not in resp.headers:
            assert body["status"]["errors"] == [], body["status"]
            return {normalised(doc) for doc in found}
        assert time.monotonic() < deadline, f"search {job} never finished"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def universe(server: Live) -> list[str]:
    """Every document a search may find, normalised (a search without include/exclude)."""
    return sorted(searched(server))


@pytest.fixture(scope="module")
def generated(minimatch: str, universe: list[str]) -> dict[str, Generated]:
    """The glob library's regex and selection of every case of the table, by case id."""
    found = generate(minimatch, [(globs, prefix) for _id, globs, prefix in CASES], universe)
    return {case_id: gen for (case_id, _globs, _prefix), gen in zip(CASES, found, strict=True)}


# -- the tests ----------------------------------------------------------------------------------

def test_the_searches_see_every_document_of_the_workspace(server: Live,
                                                          universe: list[str]) -> None:
    # classes in nested packages, % names, routines, include and INT files, web files with
    # dots, % and non-ASCII letters in their names
    assert universe == server.names


def test_the_table_is_a_real_test(generated: dict[str, Generated], universe: list[str]) -> None:
    """Most globs select some names and not others; the table has the client's hard cases:
    look-aheads (``**``, dots), Unicode properties (POSIX classes) and negation."""
    assert len(GLOBS) >= 30
    partial = [case for case, gen in generated.items() if 0 < len(gen.matched) < len(universe)]
    assert len(partial) >= 45, sorted(set(generated) - set(partial))
    sources = [gen.source for gen in generated.values()]
    assert sum("(?!" in source for source in sources) >= 40
    assert sum("\\p{" in source for source in sources) >= 3
    assert any("u" in gen.flags for gen in generated.values())
    assert any(source.startswith("^(?!^") for source in sources)


@pytest.mark.parametrize("case", [case_id for case_id, _globs, _prefix in CASES])
def test_include_selects_what_the_glob_library_selects(
        server: Live, generated: dict[str, Generated], universe: list[str], case: str) -> None:
    gen = generated[case]
    expected = set(gen.matched) if gen.source else set(universe)
    assert searched(server, include=gen.source) == expected, gen.source


@pytest.mark.parametrize("case", [case_id for case_id, _globs, _prefix in CASES])
def test_exclude_keeps_what_the_glob_library_does_not_select(
        server: Live, generated: dict[str, Generated], universe: list[str], case: str) -> None:
    gen = generated[case]
    assert searched(server, exclude=gen.source) == set(universe) - gen.matched, gen.source


@pytest.mark.parametrize(("include", "exclude"), PAIRS)
def test_include_and_exclude_together(server: Live, minimatch: str, universe: list[str],
                                      include: str, exclude: str) -> None:
    inc, exc = generate(minimatch, [([include], not include.startswith("!")),
                                    ([exclude], not exclude.startswith("!"))], universe)
    assert (searched(server, include=inc.source, exclude=exc.source) ==
            set(inc.matched) - exc.matched)


def test_a_hostile_include_is_decided_in_bounded_time(server: Live) -> None:
    """Twelve ``.*`` after a look-ahead: a backtracking engine tries some 10^9 ways on each of
    these names (the old server ran it until its 30-second limit and answered an error); the
    automaton reads each name a few times. Another request answers meanwhile."""
    hostile = "(?=/)" + ".*" * 12 + "#"  # no name holds a '#'
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        pending = [pool.submit(searched, server, include=hostile),
                   pool.submit(searched, server, exclude=hostile)]
        assert _session().get(server.url("/api/atelier/"), timeout=30).status_code == 200
        included, excluded = (future.result() for future in pending)
    assert included == set() and excluded == set(server.names)
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(("pattern", "says"), [
    (r"(a)\1", "a back-reference"), (r"(?>a)b", "an atomic group"), ("a*+b", "a possessive"),
    (r"(a)?(?(1)b|c)", "a conditional group"), ("(?=a)x{5000}", "too large"),
    ("(", "Invalid regular expression"), (r"\p{Bogus}", "Invalid regular expression"),
])
def test_what_no_automaton_can_run_is_a_400(server: Live, pattern: str, says: str) -> None:
    for field_name in ("include", "exclude"):
        resp = queue_search(_session(), server, **{field_name: pattern})
        assert resp.status_code == 400, resp.text[:300]
        assert says in resp.json()["status"]["errors"][0]["error"]
