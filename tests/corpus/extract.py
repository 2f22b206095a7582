#!/usr/bin/env python3
"""Materialise the real-code corpus named in ``repos.toml`` into a cache folder.

Each entry becomes ``<cache>/<name>/`` holding its ObjectScript files (``.cls``, ``.mac``,
``.inc``, ``.int``, any case) at their paths in the repository or wheel, and a stamp
``<cache>/<name>.json`` saying what was extracted (commit or version). Nothing else is written,
and nothing of it is ever committed: the cache is ``tests/corpus/.cache/`` (git-ignored) or
``$ATELIER_CORPUS_DIR``.

    python tests/corpus/extract.py --mirror /work/.mirror          # every entry
    python tests/corpus/extract.py --clone ipm=~/src/ipm ipm        # one, from a clone
    python tests/corpus/extract.py --list                           # what the cache holds

GitHub entries are read from a git directory: ``<mirror>/<owner>+<name>/repo`` (a bare
snapshot or a clone; ``--mirror`` or ``$ATELIER_CORPUS_MIRROR``), or a local clone given with
``--clone NAME=PATH``. Files are read blob by blob at the pinned commit (no work tree, so a
snapshot that lacks some large unrelated file still serves). PyPI entries are fetched with
``pip download --no-deps`` and their sha256 checked; ``--no-pypi`` leaves them out.

Standard library only, so the test suite can import it and it runs with any Python 3.11.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

HERE = Path(__file__).resolve().parent
REPOS_FILE = HERE / "repos.toml"
DEFAULT_CACHE = HERE / ".cache"
CACHE_ENV = "ATELIER_CORPUS_DIR"
MIRROR_ENV = "ATELIER_CORPUS_MIRROR"
#: The ObjectScript source files a corpus is made of (compared case-insensitively).
EXTENSIONS = (".cls", ".mac", ".inc", ".int")
PIP_TIMEOUT = 90  # below the suite's per-test timeout (120 s)


class CorpusError(RuntimeError):
    """A corpus entry that cannot be materialised; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One corpus of ``repos.toml``: a PyPI release (``kind == "pypi"``) or a GitHub
    repository at one commit (``kind == "github"``)."""

    name: str
    kind: str
    repo: str = ""  # github: owner/name
    commit: str = ""  # github: the pinned commit
    sources: tuple[str, ...] = ()  # github: folders served ("" = the whole repository)
    exclude: tuple[str, ...] = ()  # github: folders under them left out
    package: str = ""  # pypi: the distribution
    version: str = ""  # pypi: the pinned release
    wheel: str = ""  # pypi: the wheel's file name
    sha256: str = ""  # pypi: the wheel's digest
    why: str = ""

    @property
    def pin(self) -> dict[str, str]:
        """What the stamp of a current extract records."""
        if self.kind == "pypi":
            return {"kind": "pypi", "package": self.package, "version": self.version,
                    "sha256": self.sha256}
        return {"kind": "github", "repo": self.repo, "commit": self.commit,
                "sources": ",".join(self.sources), "exclude": ",".join(self.exclude)}


def load_entries(path: Path = REPOS_FILE) -> dict[str, Entry]:
    """Every entry of ``repos.toml``, PyPI ones first, in file order."""
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    entries: dict[str, Entry] = {}
    for name, spec in table.get("pypi", {}).items():
        entries[name] = Entry(name, "pypi", package=spec["package"], version=spec["version"],
                              wheel=spec["wheel"], sha256=spec["sha256"].lower())
    for name, spec in table.get("github", {}).items():
        if name in entries:
            raise CorpusError(f"{path.name}: {name} is named twice")
        commit = str(spec["commit"]).lower()
        if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
            raise CorpusError(f"{path.name}: {name}: commit must be 40 hex digits")
        entries[name] = Entry(name, "github", repo=spec["repo"], commit=commit,
                              sources=tuple(_folder(s) for s in spec.get("sources", [""])),
                              exclude=tuple(_folder(s) for s in spec.get("exclude", [])),
                              why=" ".join(str(spec.get("why", "")).split()))
    return entries


def _folder(text: str) -> str:
    path = PurePosixPath(text.strip("/"))
    if path.is_absolute() or ".." in path.parts:
        raise CorpusError(f"{text!r}: a folder inside the repository, please")
    return "" if str(path) == "." else str(path)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """The cache folder: ``$ATELIER_CORPUS_DIR`` or ``tests/corpus/.cache``."""
    env = os.environ if env is None else env
    value = env.get(CACHE_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_CACHE


def is_source(path: str) -> bool:
    """Whether a file is ObjectScript source by its extension (any case)."""
    return path.lower().endswith(EXTENSIONS)


def selected(entry: Entry, path: str) -> bool:
    """Whether a repository path is one of the entry's served sources."""
    def under(folder: str) -> bool:
        return folder == "" or path == folder or path.startswith(folder + "/")
    return (is_source(path) and any(under(f) for f in entry.sources)
            and not any(under(f) for f in entry.exclude if f))


def present(entry: Entry, cache: Path) -> Path | None:
    """The entry's extract folder if the cache holds it at the pinned commit or version."""
    folder, stamp = cache / entry.name, cache / f"{entry.name}.json"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not folder.is_dir() or {k: recorded.get(k) for k in entry.pin} != entry.pin:
        return None
    return folder


def stale_reason(entry: Entry, cache: Path) -> str:
    """Why ``present`` answered None, in words for a skip message."""
    stamp = cache / f"{entry.name}.json"
    if not stamp.exists():
        return f"no extract of {entry.name} in {cache}"
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return f"{stamp} is not JSON"
    differs = [k for k in entry.pin if recorded.get(k) != entry.pin[k]]
    if differs:
        return f"the extract of {entry.name} in {cache} is of another pin ({', '.join(differs)})"
    return f"{cache / entry.name} is missing"


def _install(entry: Entry, cache: Path, files: Iterable[tuple[str, bytes]],
             origin: Mapping[str, str]) -> Path:
    """Write the files into a fresh folder, then swap it in and write the stamp."""
    cache.mkdir(parents=True, exist_ok=True)
    part = cache / f".{entry.name}.part-{os.getpid()}"
    shutil.rmtree(part, ignore_errors=True)
    count = 0
    for rel, data in files:
        posix = PurePosixPath(rel)
        if posix.is_absolute() or ".." in posix.parts or not posix.parts:
            raise CorpusError(f"{entry.name}: refusing the path {rel!r}")
        target = part.joinpath(*posix.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        count += 1
    if count == 0:
        raise CorpusError(f"{entry.name}: no ObjectScript file selected")
    folder, stamp = cache / entry.name, cache / f"{entry.name}.json"
    stamp.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)
    part.rename(folder)
    stamp.write_text(json.dumps({**entry.pin, **origin, "files": count}, indent=1) + "\n",
                     encoding="utf-8")
    return folder


# --- GitHub entries: blobs at the pinned commit of a git directory ---------------------------

def mirror_git_dir(entry: Entry, mirror: Path) -> Path:
    """Where the ``/work/.mirror`` layout keeps the entry's snapshot."""
    return mirror / entry.repo.replace("/", "+") / "repo"


def _git(git_dir: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(git_dir), *args], input=stdin,
                              capture_output=True, check=False, timeout=600)
    except FileNotFoundError:
        raise CorpusError("the git executable is needed to read a git directory") from None
    if done.returncode != 0:
        raise CorpusError(f"git {' '.join(args[:2])} in {git_dir}: "
                          f"{done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def extract_git(entry: Entry, git_dir: Path, cache: Path) -> Path:
    """Materialise a GitHub entry from a git directory (bare, or a clone's work tree)."""
    if not git_dir.is_dir():
        raise CorpusError(f"{entry.name}: no git directory at {git_dir}")
    if not _has_object(git_dir, entry.commit):
        head = _git(git_dir, "rev-parse", "HEAD").decode().strip()
        raise CorpusError(f"{entry.name}: commit {entry.commit} is not in {git_dir} "
                          f"(its HEAD is {head}); fetch it or update repos.toml")
    listing = _git(git_dir, "ls-tree", "-r", "-z", "--full-tree", entry.commit)
    wanted: list[tuple[str, str]] = []
    for row in listing.split(b"\0"):
        if not row:
            continue
        meta, _, raw_path = row.partition(b"\t")
        mode, kind_, sha = meta.decode().split()
        path = raw_path.decode("utf-8", errors="surrogateescape")
        if kind_ == "blob" and mode in ("100644", "100755") and selected(entry, path):
            wanted.append((path, sha))
    blobs = _read_blobs(git_dir, [sha for _, sha in wanted])
    return _install(entry, cache, ((path, blobs[sha]) for path, sha in wanted),
                    {"git_dir": str(git_dir)})


def _has_object(git_dir: Path, sha: str) -> bool:
    done = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-e", f"{sha}^{{commit}}"],
                          capture_output=True, check=False, timeout=60)
    return done.returncode == 0


def _read_blobs(git_dir: Path, shas: Sequence[str]) -> dict[str, bytes]:
    """The contents of the blobs, read with one ``git cat-file --batch``."""
    unique = list(dict.fromkeys(shas))
    out = _git(git_dir, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in unique).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for sha in unique:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split()
        if len(header) != 3 or header[0] != sha:
            raise CorpusError(f"blob {sha} is missing from {git_dir}: {' '.join(header)}")
        size = int(header[2])
        blobs[sha] = out[end + 1:end + 1 + size]
        pos = end + 1 + size + 1  # the content is followed by a newline
    return blobs


# --- PyPI entries: the wheel of a pinned release ---------------------------------------------

def fetch_wheel(entry: Entry, cache: Path) -> Path:
    """The entry's wheel in ``<cache>/wheels/``: reused when its sha256 matches, else
    downloaded with ``pip download --no-deps`` (raises CorpusError when that fails)."""
    wheels = cache / "wheels"
    wheel = wheels / entry.wheel
    if wheel.is_file() and _sha256(wheel) == entry.sha256:
        return wheel
    wheels.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-input", "--dest", str(wheels),
               f"{entry.package}=={entry.version}"]
    try:
        done = subprocess.run(command, capture_output=True, check=False, timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CorpusError(f"pip download {entry.package}=={entry.version}: no answer in "
                          f"{PIP_TIMEOUT}s") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        tail = [x for x in said if not x.startswith("WARNING")][-3:] or said[-3:]
        raise CorpusError(f"pip download {entry.package}=={entry.version} failed: "
                          + " / ".join(tail))
    if not wheel.is_file():
        raise CorpusError(f"pip download {entry.package}=={entry.version} gave no "
                          f"{entry.wheel} in {wheels}")
    digest = _sha256(wheel)
    if digest != entry.sha256:
        raise CorpusError(f"{wheel.name}: sha256 {digest}, repos.toml pins {entry.sha256}")
    return wheel


def extract_wheel(entry: Entry, wheel: Path, cache: Path) -> Path:
    """Materialise a PyPI entry from its wheel (its ObjectScript files at their paths)."""
    with zipfile.ZipFile(wheel) as archive:
        files = [(info.filename, archive.read(info)) for info in archive.infolist()
                 if not info.is_dir() and is_source(info.filename)]
    return _install(entry, cache, files, {"wheel": wheel.name})


def materialise_pypi(entry: Entry, cache: Path) -> Path:
    """The entry's extract: the cached one if current, else fetched and extracted."""
    return present(entry, cache) or extract_wheel(entry, fetch_wheel(entry, cache), cache)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- command line ----------------------------------------------------------------------------

def _clones(pairs: Sequence[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--clone {pair!r}: expected NAME=PATH")
        found[name] = Path(path).expanduser()
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="entries of repos.toml (default: all)")
    parser.add_argument("--mirror", default=os.environ.get(MIRROR_ENV, ""),
                        help=f"folder of snapshots, <mirror>/<owner>+<name>/repo "
                        f"(default ${MIRROR_ENV})")
    parser.add_argument("--clone", action="append", default=[], metavar="NAME=PATH",
                        help="a local clone (or git directory) for one entry")
    parser.add_argument("--cache", default="",
                        help=f"cache folder (default ${CACHE_ENV} or tests/corpus/.cache)")
    parser.add_argument("--no-pypi", action="store_true", help="leave PyPI entries out")
    parser.add_argument("--force", action="store_true", help="extract again even if current")
    parser.add_argument("--list", action="store_true", help="say what the cache holds")
    args = parser.parse_args(argv)

    entries = load_entries()
    unknown = [n for n in args.names if n not in entries]
    if unknown:
        parser.error(f"not in repos.toml: {', '.join(unknown)}")
    cache = Path(args.cache).expanduser().resolve() if args.cache else cache_dir()
    clones = _clones(args.clone)
    mirror = Path(args.mirror).expanduser() if args.mirror else None
    chosen = [entries[n] for n in args.names] if args.names else list(entries.values())

    if args.list:
        for entry in chosen:
            folder = present(entry, cache)
            what = entry.version if entry.kind == "pypi" else entry.commit[:12]
            if folder is None:
                print(f"{entry.name:32} {what:12} absent: {stale_reason(entry, cache)}")
            else:
                count = sum(1 for p in folder.rglob("*") if p.is_file())
                print(f"{entry.name:32} {what:12} {count:5} files in {folder}")
        return 0

    failed = 0
    for entry in chosen:
        try:
            if entry.kind == "pypi":
                if args.no_pypi:
                    continue
                if args.force:
                    folder = extract_wheel(entry, fetch_wheel(entry, cache), cache)
                else:
                    folder = materialise_pypi(entry, cache)
            else:
                current = None if args.force else present(entry, cache)
                if current is not None:
                    folder = current
                else:
                    git_dir = clones.get(entry.name) or (
                        mirror_git_dir(entry, mirror) if mirror else None)
                    if git_dir is None:
                        print(f"{entry.name}: skipped (no --mirror and no --clone for it)")
                        continue
                    folder = extract_git(entry, git_dir, cache)
        except CorpusError as exc:
            print(f"{entry.name}: FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        print(f"{entry.name}: {count} files in {folder}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
