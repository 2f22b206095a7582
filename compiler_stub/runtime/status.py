"""``%Status`` values and ``%SYSTEM.Status``.

A status is ``1`` (``$$$OK``) or an error: ``"0 "`` followed by a ``$LIST`` of errors, each
error itself ``$LB(code, arg1, arg2, …)``. ``$$$ERROR`` expands to ``$$Error^%apiOBJ(…)``,
``$$$ADDSC`` to ``$$AppendStatus^%occSystem(…)``: those routines live here
(``NATIVE_ROUTINES``) together with the class methods of ``%SYSTEM.Status``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler_stub.runtime import lists
from compiler_stub.runtime import values as V
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.objbase import arg, native, native_class

#: message texts of the status codes this runtime produces (``%1``… are the arguments)
MESSAGES: dict[int, str] = {
    5001: "%1",
    5002: "ObjectScript error: %1",
    5035: "General exception Name '%1' Code '%2' Data '%3'",
    5809: "Object to load not found, class '%1', ID '%2'",
    5810: "Unable to delete object, class '%1', ID '%2'",   # not confirmed against IRIS
    5659: "Property '%1' required",
    6237: "Unexpected error occurred: %1",
}


def error(code: Any, *params: Any) -> str:
    """``$$$ERROR(code, params…)``."""
    return "0 " + lists.listbuild(lists.listbuild(V.num(code), *params))


def is_error(sc: Any) -> bool:
    """``$$$ISERR``: the status's numeric value is 0."""
    return not V.truth(sc)


def errors_of(sc: Any) -> list[list[Any]]:
    """The errors of a status as lists ``[code, arg1, …]`` (empty for a success)."""
    if not is_error(sc):
        return []
    s = V.to_str(sc)
    body = s[2:] if s.startswith("0 ") else ""
    out: list[list[Any]] = []
    try:
        for item in lists.items(body):
            if item is lists.UNDEF:
                continue
            parts = [("" if x is lists.UNDEF else x) for x in lists.items(item)]
            if parts:
                out.append(parts)
    except ObjectScriptError:
        return [[5001, s]]
    return out


def one_text(err: list[Any]) -> str:
    """``ERROR #code: message`` of one error."""
    code = err[0]
    template = MESSAGES.get(int(V.num(code)) if V.to_str(code).lstrip("-").isdigit() else -1)
    params = err[1:]
    if template is None:
        msg = " ".join(V.to_str(p) for p in params)
    else:
        msg = template
        for i in range(9, 0, -1):
            msg = msg.replace(f"%{i}", V.to_str(params[i - 1]) if i <= len(params) else "")
    return f"ERROR #{V.to_str(code)}: {msg}"


def error_text(sc: Any) -> str:
    """``$SYSTEM.Status.GetErrorText``: the errors' texts (one per line when several)."""
    errs = errors_of(sc)
    return "\r\n".join(one_text(e) for e in errs)


def append(sc1: Any, sc2: Any) -> Any:
    """``$$$ADDSC`` / ``AppendStatus``: both statuses' errors (a success when neither has)."""
    if not is_error(sc1):
        return sc2 if is_error(sc2) else 1
    if not is_error(sc2):
        return sc1
    return "0 " + V.to_str(sc1)[2:] + V.to_str(sc2)[2:]


def error_codes(sc: Any) -> str:
    """``$SYSTEM.Status.GetErrorCodes``: the codes joined with commas."""
    return ",".join(V.to_str(e[0]) for e in errors_of(sc))


# --------------------------------------------------------------------------- routines

def _api_obj(label: str, args: tuple[Any, ...]) -> Any:
    vals = [arg(a) for a in args]
    if label == "Error":
        if not vals:
            raise ObjectScriptError("PARAMETER")
        return error(vals[0], *vals[1:])
    if label == "GetErrorCode":
        errs = errors_of(vals[0] if vals else 1)
        return errs[0][0] if errs else 0
    if label == "GetErrorText":
        return error_text(vals[0] if vals else 1)
    raise ObjectScriptError("NOLINE", f"{label}^%apiOBJ")


def _occ_system(label: str, args: tuple[Any, ...]) -> Any:
    vals = [arg(a) for a in args]
    if label in ("AppendStatus", "EmbedStatus"):
        return append(vals[0] if vals else 1, vals[1] if len(vals) > 1 else 1)
    raise ObjectScriptError("NOLINE", f"{label}^%occSystem")


#: routines implemented in Python: name -> fn(label, args)
NATIVE_ROUTINES: dict[str, Callable[[str, tuple[Any, ...]], Any]] = {
    "%apiOBJ": _api_obj,
    "%occSystem": _occ_system,
}


# --------------------------------------------------------------------------- %SYSTEM.Status

native_class("%SYSTEM.Status", ("%SYSTEM.Help",))
native_class("%SYSTEM.Help")


@native("%SYSTEM.Status", "IsOK", kind="classmethod")
def _is_ok(P: Any, this: Any, sc: Any = "") -> int:
    return 0 if is_error(arg(sc)) else 1


@native("%SYSTEM.Status", "IsError", kind="classmethod")
def _is_error(P: Any, this: Any, sc: Any = "") -> int:
    return 1 if is_error(arg(sc)) else 0


@native("%SYSTEM.Status", "OK", kind="classmethod")
def _ok(P: Any, this: Any) -> int:
    return 1


@native("%SYSTEM.Status", "Error", kind="classmethod")
def _error(P: Any, this: Any, code: Any = "", *params: Any) -> str:
    return error(arg(code), *[arg(p) for p in params])


@native("%SYSTEM.Status", "GetErrorText", "GetOneErrorText", kind="classmethod")
def _get_error_text(P: Any, this: Any, sc: Any = "", *rest: Any) -> str:
    return error_text(arg(sc))


@native("%SYSTEM.Status", "GetErrorCodes", kind="classmethod")
def _get_error_codes(P: Any, this: Any, sc: Any = "") -> str:
    return error_codes(arg(sc))


@native("%SYSTEM.Status", "AppendStatus", kind="classmethod")
def _append(P: Any, this: Any, sc1: Any = 1, sc2: Any = 1) -> Any:
    return append(arg(sc1, 1), arg(sc2, 1))


@native("%SYSTEM.Status", "DisplayError", kind="classmethod")
def _display_error(P: Any, this: Any, sc: Any = "") -> int:
    for e in errors_of(arg(sc)):
        P.nl()
        P.w(one_text(e))
    return 1
