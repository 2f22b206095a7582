"""Compile order (System, DependsOn, CompileAfter, supers, property types) and phases."""

from __future__ import annotations

from stub_helpers import body, cls

from atelier_api.adapters.contract import Outcome


def _compiled_classes(result) -> list[str]:  # type: ignore[no-untyped-def]
    """Class names in the order of their ``Compiling class`` lines."""
    return [x.split()[-1] for x in body(result.console) if x.startswith("Compiling class ")]


def test_phases_and_dependency_order(compile_docs) -> None:
    main = cls("A.Main", "Property D As A.Dep.Sub;\n\nMethod X()\n{\n\tquit\n}",
               extends="%Persistent")
    sub = cls("A.Dep.Sub", "Property N As %String;\n\nMethod Y()\n{\n\tquit\n}",
              extends="%Persistent")
    assert body(compile_docs([main, sub]).console) == [
        "Compiling 2 classes",
        "Compiling class A.Dep.Sub", "Compiling class A.Main",
        "Compiling table A_Dep.Sub", "Compiling table A.Main",
        "Compiling routine A.Dep.Sub.1", "Compiling routine A.Main.1"]


def test_superclass_first(compile_docs) -> None:
    result = compile_docs([cls("P.C", extends="P.B"), cls("P.B", extends="P.A"), cls("P.A")])
    assert _compiled_classes(result) == ["P.A", "P.B", "P.C"]


def test_system_levels_compile_fully_first(compile_docs) -> None:
    low = cls("S.Low", "Method X()\n{\n\tquit\n}", keywords="System = 2")
    zero = cls("S.Zero", "Method X()\n{\n\tquit\n}")
    three = cls("S.Three", "Method X()\n{\n\tquit\n}", keywords="System = 3")
    assert body(compile_docs([zero, three, low]).console) == [
        "Compiling 3 classes",
        "Compiling class S.Low", "Compiling routine S.Low.1",
        "Compiling class S.Three", "Compiling routine S.Three.1",
        "Compiling class S.Zero", "Compiling routine S.Zero.1"]


def test_depends_on_is_compiled_fully_first(compile_docs) -> None:
    user = cls("D.User", "Method X()\n{\n\tquit\n}", keywords="DependsOn = D.Tool")
    tool = cls("D.Tool", "Method Y()\n{\n\tquit\n}")
    assert body(compile_docs([user, tool]).console)[1:] == [
        "Compiling class D.Tool", "Compiling routine D.Tool.1",
        "Compiling class D.User", "Compiling routine D.User.1"]


def test_compile_after_orders_the_class_phase(compile_docs) -> None:
    first = cls("C.First", keywords="CompileAfter = C.Second")
    second = cls("C.Second")
    assert _compiled_classes(compile_docs([first, second])) == ["C.Second", "C.First"]


def test_one_failing_class_does_not_stop_the_others(compile_docs) -> None:
    bad = cls("F.Bad", "Property P As F.Nope;")
    worse = cls("F.Worse", "Method X()\n{\n\tfrobnicate\n}")
    good = cls("F.Good", "Method X()\n{\n\tquit\n}")
    result = compile_docs([bad, worse, good])
    states = {o.name: o.state for o in result.outcomes}
    assert states == {"F.Bad.cls": Outcome.FAILED, "F.Worse.cls": Outcome.FAILED,
                      "F.Good.cls": Outcome.COMPILED}
    assert result.console[-1].startswith("Detected 2 errors during compilation in ")
    assert [g.name for g in result.outcomes[2].generated] == ["F.Good.1.int"]


def test_a_dependency_chain_longer_than_the_recursion_limit_compiles_in_order(
        compile_docs) -> None:  # type: ignore[no-untyped-def]
    """Compile ordering has no recursion limit: a long chain, each extending the previous."""
    import sys

    # Python's default limit, whatever an earlier test in this process raised it to (the
    # runtime raises it for deep ObjectScript calls): the chain must exceed the limit in force
    limit = 1000
    count = limit + 200
    chain = [cls(f"Chain.C{i}", extends=f"Chain.C{i - 1}" if i else "%RegisteredObject")
             for i in range(count)]
    raised = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        result = compile_docs(list(reversed(chain)), flags="c")
    finally:
        sys.setrecursionlimit(raised)
    assert not result.errors
    assert _compiled_classes(result) == [f"Chain.C{i}" for i in range(count)]
