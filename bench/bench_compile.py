"""Compile benchmark: the stub compiling a generated namespace vs the tree-sitter parse floor.

One run, the same files for both contestants, in this process, the ratio against its target
(see README.md):

  python bench/bench_compile.py [--classes 5000] [--repeat 3] [--flags cuk]

- floor:   read every ``.cls`` file and parse it once with tree-sitter (``objectscript_udl``).
- compile: read every ``.cls`` file into a SourceDoc and compile them all in ONE CompileRequest
           through the adapter contract (``atelier_api.adapters.contract.call``, result checked at
           the boundary), over a file-backed workspace of the same folder.

Before timing, the compile is checked to do the work: every class COMPILED, 0 errors, Storage
generated for every persistent and serial class, one ``.1.int`` per class (plus ``.G1.int`` for
classes with generator methods). Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import benchlib
import tree_sitter_objectscript_udl
from tree_sitter import Language, Parser

from atelier_api.adapters.contract import (
    Capability,
    CompileRequest,
    CompileResult,
    Outcome,
    SourceDoc,
    call,
)
from compiler_stub import StubCompiler

TARGET = 2.5  # compile median / parse-floor median, lower is better
INCLUDE = "GenMacros"
CHAIN = 5  # classes per inheritance chain: depth 0..4
ROOT_KINDS = ["persistent"] * 5 + ["registered"] * 3 + ["serial", "abstract"]
ROOT_SUPER = {"persistent": "%Persistent", "registered": "%RegisteredObject",
              "serial": "%SerialObject", "abstract": "%RegisteredObject"}
SCALARS = ["%String(MAXLEN = 100)", "%Integer", "%Date", "%Boolean", "%Numeric(SCALE = 2)",
           "%TimeStamp", "%Float", "%BigInt", "%Time", "%String(VALUELIST = \",A,B,C\")"]
INCLUDE_TEXT = """ROUTINE GenMacros [Type=INC]
#; Macros shared by every generated benchmark class.
#define GenMax 1000
#define GenDelim "^"
#define GenSquare(%n) ((%n)*(%n))
#define GenClamp(%v,%lo,%hi) $select((%v)<(%lo):%lo,(%v)>(%hi):%hi,1:%v)
#define GenPiece(%s,%i) $piece(%s,$$$GenDelim,%i)
#define GenLog(%msg) set ^GenLog($increment(^GenLog)) = %msg
#define GenIsEmpty(%s) ($length(%s)=0)
#define GenNow $zdatetime($horolog,3)
"""


# -- the generated namespace ----------------------------------------------------------------
@dataclass(frozen=True)
class GenClass:
    """One generated class: name, kind of its chain, depth in it, and its text."""

    name: str
    kind: str
    depth: int
    text: str
    generator: bool

    @property
    def stored(self) -> bool:
        """Persistent and serial classes get a generated Storage (abstract roots too, none)."""
        return self.kind in ("persistent", "serial")

    @property
    def relpath(self) -> str:
        """Path in the default layout: ``Pkg/Sub/Name.cls``."""
        return self.name.replace(".", "/") + ".cls"


def class_name(i: int) -> str:
    """Class number ``i``: 20 packages of 5 sub-packages of 50 classes."""
    return f"Gen.P{i // 250:02d}.S{i // 50 % 5}.C{i:05d}"


def _members_head(i: int, rng: random.Random, kind: str, ref: str) -> list[str]:
    """Parameters, properties (scalars, collections, a reference) and an index."""
    out = ["/// Version of this class.", f"Parameter VERSION = {rng.randint(1, 9)};", "",
           f'Parameter PREFIX = "G{i}";', "", "Parameter LIMIT As %Integer = 100;", ""]
    for p, scalar in enumerate(rng.sample(SCALARS, 5)):
        out += [f"/// Property {p} of level {i % CHAIN}.", f"Property F{i}x{p} As {scalar};", ""]
    out += [f"Property Name{i} As %String(MAXLEN = 80) [ Required ];", "",
            f"Property Tags{i} As list Of %String;", "",
            f"Property Counts{i} As array Of %Integer;", "",
            "/// A reference to another generated class.", f"Property Owner{i} As {ref};", "",
            f"Property Scratch{i} As %String [ Transient ];", ""]
    if kind == "persistent":
        out += [f"Index Name{i}Idx On Name{i};", ""]
    return out


def _methods(i: int, rng: random.Random, ref: str) -> list[str]:
    """Methods with ObjectScript bodies: set/if/for/while/quit/write/try, functions, macros."""
    lim = rng.randint(3, 40)
    return [
        "/// Describe this object in one line.", "Method Describe() As %String", "{",
        f'    set out = ..#PREFIX_":"_..Name{i}',
        f"    if $$$GenIsEmpty(..Name{i}) {{", '        set out = out_" (no name)"',
        f"    }} elseif $length(..Name{i}) > {lim} {{", '        set out = out_" (long)"',
        "    } else {", f'        set out = out_" "_$extract(..Name{i}, 1, 3)', "    }",
        "    quit out", "}", "",
        "/// Split a delimited text into a list.",
        'ClassMethod Split(text As %String, delim As %String = ",") As %List', "{",
        '    set list = "", count = $length(text, delim)', "    for k = 1:1:count {",
        "        set part = $piece(text, delim, k)", '        continue:part=""',
        '        set list = list_$listbuild($zstrip(part, "<>W"))', "    }",
        "    quit list", "}", "",
        "/// Sum of squares, clamped.", "ClassMethod Sum(n As %Integer = 10) As %Integer", "{",
        "    set total = 0, k = 0", "    while k < n {", "        set k = k + 1",
        "        set total = total + $$$GenSquare(k)", "        quit:total>$$$GenMax", "    }",
        f"    quit $$$GenClamp(total, 0, {lim * 100})", "}", "",
        "/// Log a report line; errors become a %Status.",
        "ClassMethod Report(n As %Integer, ByRef count As %Integer = 0) As %Status", "{",
        "    set sc = $$$OK", "    try {",
        f"        set text = ##class({ref}).Sum(n)_$$$GenDelim_$$$GenNow",
        '        write "Report ", n, ": ", $$$GenPiece(text, 1), !',
        '        $$$GenLog("report "_n)', "        set count = count + 1",
        "    } catch ex {", "        set sc = ex.AsStatus()", "    }", "    quit sc", "}", "",
        "/// First piece of a key.",
        "ClassMethod Key(key As %String) As %String [ CodeMode = expression ]", "{",
        '$select(key="":"", 1:$piece(key, "^", 1))', "}", ""]


def _generator(i: int) -> list[str]:
    """A method generator (compiled into ``.G1.int``)."""
    return ["/// Generated at compile time.",
            "ClassMethod Fields() As %String [ CodeMode = objectgenerator ]", "{",
            f'    do %code.WriteLine("    quit ""F{i}""")', "    quit $$$OK", "}", ""]


def generate_namespace(count: int, seed: int = 20261125) -> list[GenClass]:
    """``count`` classes in chains of 5 (each extends the previous one), with references."""
    rng = random.Random(seed)
    kinds = [ROOT_KINDS[(i // CHAIN) % len(ROOT_KINDS)] for i in range(count)]
    roots = [i for i in range(0, count, CHAIN) if kinds[i] in ("persistent", "serial")]
    mixins = [i for i in range(0, count, CHAIN) if kinds[i] == "abstract"]
    out = []
    for i in range(count):
        kind, depth, name = kinds[i], i % CHAIN, class_name(i)
        ref = class_name(rng.choice([r for r in roots[:50] if r // CHAIN != i // CHAIN]))
        supers = [class_name(i - 1)] if depth else [ROOT_SUPER[kind]]
        mix = [m for m in mixins if m < i - depth]
        if depth and kind == "persistent" and mix and i % 3 == 0:
            supers.append(class_name(rng.choice(mix[-20:])))
        ext = supers[0] if len(supers) == 1 else f"({', '.join(supers)})"
        kw = " [ Abstract ]" if kind == "abstract" and not depth else ""
        generator = i % 7 == 0
        lines = [f"Include {INCLUDE}", "", f"/// Generated class {name}: level {depth} of a "
                 f"{kind} chain.", f"Class {name} Extends {ext}{kw}", "{", "",
                 *_members_head(i, rng, kind, ref), *_methods(i, rng, ref),
                 *(_generator(i) if generator else []), "}", ""]
        out.append(GenClass(name, kind, depth, "\n".join(lines), generator))
    return out


def write_namespace(root: str, classes: list[GenClass]) -> list[str]:
    """Write the classes (default layout) and the include file; return the class paths."""
    paths = []
    for c in classes:
        path = os.path.join(root, c.relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(c.text)
        paths.append(path)
    with open(os.path.join(root, f"{INCLUDE}.inc"), "w", encoding="utf-8",
              newline="\n") as handle:
        handle.write(INCLUDE_TEXT)
    return paths


# -- the workspace and the two contestants --------------------------------------------------
def read_doc(path: str, name: str) -> SourceDoc:
    """A document as the server holds it: name and text lines."""
    with open(path, encoding="utf-8", newline="") as handle:
        return SourceDoc(name, tuple(handle.read().split("\n")))


class FolderWorkspace:
    """A file-backed workspace over a folder in the default layout; every look-up reads disk."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._paths: dict[str, str] = {}
        for folder, _dirs, files in os.walk(root):
            rel = os.path.relpath(folder, root)
            prefix = "" if rel == "." else rel.replace(os.sep, ".") + "."
            for file in files:
                if file.endswith(".cls"):
                    self._paths[prefix + file] = os.path.join(folder, file)
                elif not prefix:
                    self._paths[file] = os.path.join(folder, file)

    def document(self, name: str) -> SourceDoc | None:
        """Read the document from disk (None when there is no such file)."""
        path = self._paths.get(name)
        return read_doc(path, name) if path is not None else None

    def class_names(self) -> Iterable[str]:
        """Every class name (without ``.cls``)."""
        return [n[:-4] for n in self._paths if n.endswith(".cls")]


@dataclass
class Contestants:
    """The floor and the compile over the same files; the last compile result is kept."""

    root: str
    files: list[tuple[str, str]]  # (path, document name)
    flags: str
    adapter: StubCompiler = field(default_factory=StubCompiler)
    single: StubCompiler = field(default_factory=lambda: StubCompiler(processes=0))
    last: CompileResult | None = None
    parse_errors: int = 0

    def floor(self) -> None:
        """Read and parse every class file once with tree-sitter (one parser, this thread)."""
        parser = Parser(Language(tree_sitter_objectscript_udl.language_objectscript_udl()))
        errors = 0
        for path, _name in self.files:
            with open(path, "rb") as handle:
                errors += parser.parse(handle.read()).root_node.has_error
        self.parse_errors = errors

    def compile(self) -> None:
        """Read every class file and compile them all in one request.

        The previous result is dropped first: kept alive, its ~60 objects per class would
        make every garbage collection of this compile slower.
        """
        self.last = None
        self.last = self._compile(self.adapter)

    def compile_one_process(self) -> None:
        """The same compile with the adapter's worker processes off (context: the ratio
        without the pool that reads large sets of classes on every CPU)."""
        self.last = None
        self.last = self._compile(self.single)

    def _compile(self, adapter: StubCompiler) -> CompileResult:
        docs = tuple(read_doc(path, name) for path, name in self.files)
        request = CompileRequest(docs, self.flags, FolderWorkspace(self.root))
        return call(adapter, Capability.COMPILE, request)


_CLOCK = re.compile(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d(?:AM|PM)?|[\d.]+s\b")


def _timeless(value: Any) -> str:
    """A result's text with dates, times and durations masked (they differ between runs)."""
    return _CLOCK.sub("<t>", repr(value))


def same_result(a: CompileResult, b: CompileResult) -> None:
    """The pooled and the one-process compile give the same outcomes and console, but for the
    clock (console header and footer, the generated routines' header line)."""
    check(_timeless(a.outcomes) == _timeless(b.outcomes),
          "outcomes differ between the pooled and the one-process compile")
    check(_timeless(a.console) == _timeless(b.console),
          "console differs between the pooled and the one-process compile")


def check(cond: bool, message: str) -> None:
    """Stop the benchmark when the compile does not do the work it should."""
    if not cond:
        raise RuntimeError(f"sanity check failed: {message}")


def verify(result: CompileResult, classes: list[GenClass], parse_errors: int) -> dict[str, int]:
    """Every class compiled without error, storage and .int documents as expected."""
    by_name = {o.name: o for o in result.outcomes}
    states = [o.state for o in result.outcomes]
    counts = {"classes": len(classes), "outcomes": len(result.outcomes),
              "compiled": states.count(Outcome.COMPILED),
              "skipped": states.count(Outcome.SKIPPED), "errors": len(result.errors),
              "parse_errors_floor": parse_errors,
              "storage_expected": sum(c.stored for c in classes),
              "storage_generated": sum(bool(o.storage) for o in result.outcomes),
              "int_expected": len(classes) + sum(c.generator for c in classes),
              "int_generated": sum(len(o.generated) for o in result.outcomes),
              "console_lines": len(result.console)}
    check(parse_errors == 0, f"{parse_errors} generated files do not parse cleanly")
    check(not result.errors, f"compile errors: {[e.display for e in result.errors[:3]]}")
    check(counts["compiled"] == len(classes), f"compiled {counts['compiled']} of {len(classes)}")
    for c in classes:
        out = by_name[f"{c.name}.cls"]
        check(bool(out.storage) == c.stored, f"{c.name}: storage {bool(out.storage)}")
        names = {g.name for g in out.generated}
        want = {f"{c.name}.1.int"} | ({f"{c.name}.G1.int"} if c.generator else set())
        check(names == want, f"{c.name}: generated {sorted(names)}")
    return counts


# -- measuring and reporting ----------------------------------------------------------------
def measure(calls: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """Interleave the contestants round by round, rotating who goes first."""
    names = list(calls)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(benchlib.timed(calls[name]))
            print(f"  round {r + 1}: {name} {samples[name][-1]:.2f}s", flush=True)
    return samples


def profile(c: Contestants, path: str, top: int = 25) -> None:
    """cProfile one compile; dump the stats to ``path`` and print the top functions."""
    prof = cProfile.Profile()
    prof.runcall(c.compile)
    prof.dump_stats(path)
    print(f"\nprofile of one compile written to {path}; top {top} by cumulative time:")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def environment() -> dict[str, Any]:
    """Where the numbers were taken (no jupyter needed here)."""
    import atelier_api
    import compiler_stub

    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "atelier_api": atelier_api.__version__, "compiler_stub": compiler_stub.__version__,
            "git_commit": _git_commit()}


def _git_commit() -> str:
    """The commit measured, ``+dirty`` when atelier_api or compiler_stub differ from it."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--", "../atelier_api",
                                "../compiler_stub"],
                               capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def print_report(result: dict[str, Any]) -> None:
    """Both medians, the ratio against the target, the work counts."""
    p, s, v, n = result["params"], result["stats"], result["verdict"], result["counts"]
    per_class = result["lines"] // p["classes"]
    print(f"\ncompiler_stub benchmark: {p['classes']} generated classes (~{per_class} lines each, "
          f"{result['lines']} lines, chains of {CHAIN}: inheritance depth up to {CHAIN - 1}, "
          f"references between classes, Include {INCLUDE}), default layout; {p['repeat']} "
          "rounds, contestants interleaved, same process, same files.\n")
    print("  floor    read + tree-sitter parse of every .cls file (objectscript_udl), once")
    print(f"  compile  read + ONE CompileRequest of all {p['classes']} classes, flags "
          f"'{p['flags']}', file-backed workspace, via atelier_api.adapters.contract.call\n")
    print(f"{'comparison':<20}{'compile s':>10}{'floor s':>9}{'ratio':>8}{'target':>9}  result")
    target = "<= " + format(TARGET, "g")
    print(f"{'compile_vs_parse':<20}{s['compile']['median_ms'] / 1000:>10.2f}"
          f"{s['floor']['median_ms'] / 1000:>9.2f}{v['ratio']:>8.2f}{target:>9}"
          f"  {'PASS' if v['pass'] else 'FAIL'}")
    ctx = result["context"]
    print(f"{'compile_1proc (ctx)':<20}{s['compile_1proc']['median_ms'] / 1000:>10.2f}"
          f"{s['floor']['median_ms'] / 1000:>9.2f}{ctx['compile_1proc_vs_parse']:>8.2f}"
          f"{'-':>9}  context")
    print(f"\n  compile reads the classes in {ctx['pool_workers']} worker processes "
          f"({result['environment']['cpus']} CPUs); compile_1proc is the same compile with "
          "them off; the floor\n  parses in this one process.")
    work = ", ".join(f"{k} {val}" for k, val in n.items())
    print(f"\nWork done by the compile (checked): {work}")
    load0, load1, cpus = result["loadavg_start"][0], result["environment"]["loadavg"][0], \
        result["environment"]["cpus"] or 1
    if max(load0, load1) > cpus * 0.75:
        print(f"\nNOTE: load average {load0:.1f} -> {load1:.1f} on {cpus} CPUs: other work shared "
              "this machine; the interleaved ratio holds up better than the times.")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, verify one compile, measure both contestants, optionally profile."""
    work = tempfile.mkdtemp(prefix="atelier-bench-compile-")
    root = os.path.join(work, "USER")
    try:
        load_start = list(os.getloadavg())
        classes = generate_namespace(args.classes)
        paths = write_namespace(root, classes)
        lines = sum(c.text.count("\n") for c in classes)
        print(f"generated {len(classes)} classes ({lines} lines) under {root}", flush=True)
        files = [(p, f"{c.name}.cls") for p, c in zip(paths, classes, strict=True)]
        c = Contestants(root, files, args.flags)
        c.floor()
        c.compile_one_process()  # warm-up: loads the system library, fills the page cache
        assert c.last is not None
        single = c.last
        c.compile()  # warm-up of the pool: its worker processes start here
        assert c.last is not None
        counts = verify(c.last, classes, c.parse_errors)
        same_result(c.last, single)
        del single
        print("compile verified (pooled = one process); measuring ...", flush=True)
        raw = measure({"floor": c.floor, "compile": c.compile,
                       "compile_1proc": c.compile_one_process}, args.repeat)
        stats = {k: benchlib.summary(v) for k, v in raw.items()}
        ratio = stats["compile"]["median_ms"] / stats["floor"]["median_ms"]
        context = {"compile_1proc_vs_parse":
                   stats["compile_1proc"]["median_ms"] / stats["floor"]["median_ms"],
                   "pool_workers": c.adapter.read_workers}
        if args.profile:
            profile(c, args.profile)
        return {"benchmark": "bench_compile", "environment": environment(),
                "loadavg_start": load_start, "params": vars(args), "lines": lines,
                "counts": counts, "stats": stats, "context": context,
                "verdict": {"ratio": ratio, "target_max_ratio": TARGET, "pass": ratio <= TARGET}}
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, print the table, write bench/results/*.json."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, default=5000, help="classes to generate")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per contestant")
    parser.add_argument("--flags", default="cuk", help="compile flags (qspec)")
    parser.add_argument("--profile", metavar="PATH", help="also cProfile one compile to PATH")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.classes < CHAIN * 10 or args.repeat < 1:
        parser.error(f"--classes must be at least {CHAIN * 10}, --repeat at least 1")
    started = time.perf_counter()
    result = run(args)
    print_report(result)
    print(f"\nresult written to {benchlib.write_json(result, 'bench_compile')} "
          f"({time.perf_counter() - started:.0f}s in all)")
    return 0 if result["verdict"]["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
