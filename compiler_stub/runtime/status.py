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
    5810: "Object to Delete not found, class '%1', ID '%2'",
    5659: "Property '%1' required",
    5770: "Object open failed because '%1' key value of '%2' was not found",
    # the number is the one after 5770 in the documented table, not seen in IRIS output
    5771: "Object delete failed because '%1' key value of '%2' was not found",
    5802: 'Datatype validation failed on property \'%1\', with value equal to "%2"',
    # the documented table adds " : '%2' exists. Id counter location = '%3'"; IRIS output
    # quoted for an IdKey clash shows only this first clause
    5805: "ID key not unique for extent '%1'",
    5808: "Key not unique: %1",
    6237: "Unexpected error occurred: %1",
    # the datatype classes' IsValid errors (the documented table of codes 7200-7399)
    7201: "Datatype value '%1' length longer than MAXLEN allowed of %2",
    7202: "Datatype value '%1' length less than MINLEN allowed of %2",
    7203: "Datatype value '%1' greater than MAXVAL allowed of %2",
    7204: "Datatype value '%1' less than MINVAL allowed of %2",
    7205: "Datatype value '%1' not in VALUELIST '%2'",
    7206: "Datatype value '%1' is not a valid boolean",
    7207: "Datatype value '%1' is not a valid number",
    7208: "Datatype value '%1' is not a valid timestamp format",
    7209: "Datatype value '%1' does not match PATTERN '%2'",
}

#: the slot of an error's ``$LIST`` that holds an embedded status (``$$$EMBEDSC``): after
#: the code, nine arguments and one slot IRIS keeps for the error's origin
_EMBEDDED = 11


class ErrorItem(list[Any]):
    """One error of a status, ``[code, arg1, …]``, and the status embedded in it."""

    embedded: Any = ""


def error(code: Any, *params: Any) -> str:
    """``$$$ERROR(code, params…)``."""
    return "0 " + lists.listbuild(lists.listbuild(V.num(code), *params))


def is_error(sc: Any) -> bool:
    """``$$$ISERR``: the status's numeric value is 0."""
    return not V.truth(sc)


def errors_of(sc: Any) -> list[list[Any]]:
    """The errors of a status as lists ``[code, arg1, …]`` (empty for a success); an error
    with a status embedded in it is an ``ErrorItem`` whose ``embedded`` is that status."""
    if not is_error(sc):
        return []
    s = V.to_str(sc)
    body = s[2:] if s.startswith("0 ") else ""
    out: list[list[Any]] = []
    try:
        for item in lists.items(body):
            if item is lists.UNDEF:
                continue
            raw = lists.items(item)
            if not raw:
                continue
            head = raw[:_EMBEDDED - 1]
            while head and head[-1] is lists.UNDEF:
                head.pop()
            parts = ErrorItem("" if x is lists.UNDEF else x for x in head)
            if len(raw) >= _EMBEDDED and raw[_EMBEDDED - 1] is not lists.UNDEF:
                parts.embedded = raw[_EMBEDDED - 1]
            out.append(parts)
    except ObjectScriptError:
        return [[5001, s]]
    return out


def embed(sc: Any, inner: Any) -> Any:
    """``$$$EMBEDSC(sc, inner)``: ``inner`` carried inside the last error of ``sc`` (its
    text follows that error's, on a line of its own starting ``  > ``)."""
    if not is_error(inner):
        return sc
    if not is_error(sc):
        return inner
    errs = errors_of(sc)
    items = []
    for n, e in enumerate(errs):
        slots: list[Any] = list(e)
        nested = getattr(e, "embedded", "")
        if n == len(errs) - 1:
            nested = append(nested, inner) if nested else inner
        if nested:
            slots += [None] * (_EMBEDDED - 1 - len(slots)) + [V.to_str(nested)]
        items.append(lists.listbuild(*slots))
    return "0 " + lists.listbuild(*items)


def one_text(err: list[Any]) -> str:
    """``ERROR #code: message`` of one error (with the errors embedded in it)."""
    nested = getattr(err, "embedded", "")
    if nested:
        plain = list(err)
        return one_text(plain) + "".join("\r\n  > " + one_text(e) for e in errors_of(nested))
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
    """``$SYSTEM.Status.GetErrorCodes``: the codes joined with commas (the errors'
    own, not those embedded in them)."""
    return ",".join(V.to_str(e[0]) for e in errors_of(sc))


def has_code(sc: Any, codes: tuple[Any, ...]) -> bool:
    """``$SYSTEM.Status.Equals``: one of the status's errors has one of ``codes``."""
    wanted = {V.to_str(c) for c in codes}
    return any(V.to_str(e[0]) in wanted for e in errors_of(sc))


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
    if label == "AppendStatus":
        return append(vals[0] if vals else 1, vals[1] if len(vals) > 1 else 1)
    if label == "EmbedStatus":
        return embed(vals[0] if vals else 1, vals[1] if len(vals) > 1 else 1)
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


@native("%SYSTEM.Status", "Equals", kind="classmethod")
def _equals(P: Any, this: Any, sc: Any = "", *codes: Any) -> int:
    return 1 if has_code(arg(sc), tuple(arg(c) for c in codes)) else 0


@native("%SYSTEM.Status", "EmbedStatus", kind="classmethod")
def _embed_status(P: Any, this: Any, sc1: Any = 1, sc2: Any = 1) -> Any:
    return embed(arg(sc1, 1), arg(sc2, 1))


@native("%SYSTEM.Status", "AppendStatus", kind="classmethod")
def _append(P: Any, this: Any, sc1: Any = 1, sc2: Any = 1) -> Any:
    return append(arg(sc1, 1), arg(sc2, 1))


@native("%SYSTEM.Status", "DisplayError", kind="classmethod")
def _display_error(P: Any, this: Any, sc: Any = "") -> int:
    for e in errors_of(arg(sc)):
        P.nl()
        P.w(one_text(e))
    return 1
