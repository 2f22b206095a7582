"""Include/exclude name patterns: per-name cost of Python's ``re`` (the old, unbounded path, for
reference), the automaton (bounded), and the fast path (look-aheads rewritten away, RE2), side
by side on the same 50,000 generated names; prints ratios to the fast path.

    python bench/bench_globs.py [--names 50000]
"""

from __future__ import annotations

import argparse
import random
import re
import time

from atelier_api.search.automaton import Automaton
from atelier_api.search.jsregex import python_source
from atelier_api.search.query import name_regex
from atelier_api.search.sre import sre_parse

GLOBS = {
    "{**/*.cls,**/*.mac}": r"^(?:\/(?!\.)(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$|"
                           r"^(?:\/(?!\.)(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.mac$",
    "**/*.cls": r"^(?:\/|(?:(?!(?:\/|^)\.).)*?\/)?(?!\.)[^/]*?\.cls$",
    "/Demo/**": r"^\/Demo(?:\/|\/(?:(?!(?:\/|^)\.).)*?)?$",
    "/**/Tests/**/*.cls": r"^(?:\/|\/(?:(?!(?:\/|^)\.).)*?\/)Tests\/(?!\.)[^/]*?\.cls$",
}


def _names(count: int) -> list[str]:
    rnd = random.Random(1)
    return ["/" + "/".join(f"Pkg{rnd.randint(0, 50)}" for _ in range(rnd.randint(1, 4))) +
            f"/Cls{i}." + rnd.choice(["cls", "mac", "inc", "int"]) for i in range(count)]


def _per_name(check, names: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    hits = sum(1 for name in names if check(name))
    return (time.perf_counter() - start) / len(names), hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=50_000)
    names = _names(parser.parse_args().names)
    print(f"{'glob':22} {'re µs':>7} {'automaton µs':>13} {'fast µs':>8} "
          f"{'re/fast':>8} {'automaton/fast':>15}")
    for glob, source in GLOBS.items():
        python = python_source(source)
        rx = re.compile(python)
        automaton = Automaton(sre_parse.parse(python))
        name_regex.cache_clear()
        fast = name_regex(source, "include")
        assert fast is not None
        old, hits_re = _per_name(lambda n, rx=rx: rx.search(n) is not None, names)
        auto, hits_auto = _per_name(automaton.search, names)
        new, hits_fast = _per_name(fast.found, names)
        assert hits_re == hits_auto == hits_fast, (glob, hits_re, hits_auto, hits_fast)
        print(f"{glob:22} {old * 1e6:7.2f} {auto * 1e6:13.2f} {new * 1e6:8.2f} "
              f"{old / new:8.2f} {auto / new:15.1f}")


if __name__ == "__main__":
    main()
