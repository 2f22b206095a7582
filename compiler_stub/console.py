"""Console lines and status texts in the shapes the real compiler prints (compiler.md §1)."""

from __future__ import annotations

from datetime import datetime

from atelier_api.adapters.contract import CompileError


def header(qspec: str, now: datetime) -> str:
    """``Compilation started on MM/DD/YYYY HH:MM:SS with qualifiers '<qspec>'``."""
    return f"Compilation started on {now:%m/%d/%Y %H:%M:%S} with qualifiers '{qspec}'"


def footer(errors: int, seconds: float) -> str:
    """Success line, or the always-plural error count line."""
    if errors:
        return f"Detected {errors} errors during compilation in {seconds:.3f}s."
    return f"Compilation finished successfully in {seconds:.3f}s."


def table_name(classname: str, sql_table: str | None = None) -> str:
    """SQL name of a class's table: package dots become ``_``; ``User`` is ``SQLUser``."""
    pkg, _, short = classname.rpartition(".")
    schema = "SQLUser" if pkg == "User" else pkg.replace(".", "_")
    return f"{schema}.{sql_table or short}"


def class_error(code: str, text: str) -> str:
    """``ERROR #5373: ...``."""
    return f"ERROR #{code}: {text}"


def wrapped_5030(classname: str) -> str:
    """The nested #5030 line added under a failing class's error."""
    return f"  > ERROR #5030: An error occurred while compiling class '{classname}'"


def status_text(err: CompileError, classname: str) -> str:
    """The returned %Status of a failing class (routine errors are wrapped in #5475)."""
    if err.display.startswith("ERROR:"):
        routine = f"{classname}.1" if classname else err.document.rpartition(".")[0]
        first = f"ERROR #5475: Error compiling routine: {routine}. Errors: {err.display}"
    else:
        first = err.display
    return f"{first}\n{wrapped_5030(classname)}" if classname else first


def code_error(doc: str, where: str, code: str, text: str, token: str, column: int,
               int_ref: str) -> str:
    """``ERROR: Doc(Method+n) #1003: Expected space : '}' : Offset:14 [zM+1^Pkg.Cls.1]``."""
    return (f"ERROR: {doc}({where}) #{code}: {text} : '{token}' : Offset:{column} "
            f"[{int_ref}]")


def mpp_error(doc: str, where: str, code: str, text: str) -> str:
    """``ERROR: Doc(where) : MPP5610 : Referenced macro not defined: 'X'``."""
    return f"ERROR: {doc}({where}) : {code} : {text}"
