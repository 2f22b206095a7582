"""The DBGp wire layer of the debugger (``../shared/spec/debugger.md`` §1–3), transport-free.

What the VS Code ObjectScript extension and the server say to each other over the debug
WebSocket, with no socket, runtime or Flask in sight (standard library only):

* **Commands in.** :func:`parse_command` turns one client message (binary or text; one or more
  lines ended by ``\\n`` or NUL) into :class:`Command` objects: the name, the transaction id
  (``-i``), the flags (quoted ``"…"`` values with backslash escapes, or unquoted values that run
  up to the next `` -<flag> `` or `` -- ``, so ``-m My Method`` and
  ``-n x(1,"a b") -- …`` come through whole), ``X_base64`` flags decoded into ``X``, and the
  ``-- <base64>`` tail decoded. A line that cannot be read carries a :class:`DbgpError`
  (code 3) instead of raising, so the caller can still answer it by transaction id.
* **Packets out.** :func:`frame` wraps an XML document as ``<length of base64>|<base64 of the
  UTF-8 XML>`` (§1.3); :class:`Deframer` undoes it for tests and clients, across message
  boundaries.
* **XML.** Builders for every packet the client reads (init, responses, errors, status
  responses, stack frames, properties, breakpoints, contexts, stdout streams), written by a
  tiny serializer of this module's own: compact (no whitespace between elements, §1.6),
  double-quoted and escaped attributes, no namespace prefixes at all (the status location
  child is a plain ``<message>``; no ``xmlns`` is sent, as IRIS sends none), UTF-8 text with
  the characters XML 1.0 cannot carry replaced by U+FFFD. Builders return XML text; element
  builders return fragments meant as ``children`` of a response.
* **Locations** (§3.1): ``dbgp://|NS|Doc`` URIs both ways, and the encoded document name that
  ``breakpoint_list`` reports.

Decisions the spec leaves open, taken here:

* Frame and status ``filename`` URIs keep the two ``|`` separators plain and percent-encode
  each part the way JavaScript's ``encodeURI`` does (``%`` → ``%25``, ``|`` → ``%7C``, non-ASCII
  as UTF-8 escapes). The client applies ``decodeURI`` and then matches
  ``dbgp://|<ns>|<doc>``; ``decodeURI`` is the exact inverse of that encoding (a raw ``%SYS``
  would make it throw, and ``encodeURIComponent`` escapes such as ``%2C`` it would leave
  undecoded).
* ``breakpoint_list`` ``filename`` is the document name encoded as ``encodeURIComponent``
  does, because the client compares it with the last part of the ``-f`` URI it built that way.
* Command lines are decoded as UTF-8, falling back to latin-1 per line (§2.6); the same holds
  for the decoded ``--`` data and ``_base64`` values. A final line without its ``\\n`` is still
  parsed (one WebSocket message is one unit). A backslash in a quoted value escapes any
  character (``\\x`` → ``x``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NotRequired, TypedDict
from urllib.parse import quote, unquote

# -- error codes (§2.8) ---------------------------------------------------------------------


class ErrorCode(IntEnum):
    """DBGp error codes the server answers with (the client shows the message, keeps the code)."""

    PARSE_ERROR = 1
    DUPLICATE_ARGUMENTS = 2
    INVALID_OPTIONS = 3
    UNIMPLEMENTED = 4
    NOT_AVAILABLE = 5
    CANNOT_OPEN_FILE = 100
    BREAKPOINT_NOT_SET = 200
    BREAKPOINT_TYPE_UNSUPPORTED = 201  # IRIS also uses it for an unmappable offset (offset 0)
    BREAKPOINT_INVALID = 202
    BREAKPOINT_NO_CODE = 203
    BREAKPOINT_INVALID_STATE = 204
    NO_SUCH_BREAKPOINT = 205
    EVALUATION_ERROR = 206
    INVALID_EXPRESSION = 207
    CANNOT_GET_PROPERTY = 300
    INVALID_STACK_DEPTH = 301
    INVALID_CONTEXT = 302
    ENCODING_NOT_SUPPORTED = 900
    INTERNAL = 998
    UNKNOWN = 999


#: the text the PID-attach loop waits for (it looks for ``#6709``); IRIS sends it with 998
TARGET_NOT_STOPPED = "ERROR #6709: Target not stopped"
TARGET_NOT_STOPPED_CODE = ErrorCode.INTERNAL


class DbgpError(Exception):
    """A DBGp error: ``code`` (see :class:`ErrorCode`) and the message the client shows."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = int(code)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DbgpError) and other.code == self.code
                and other.message == self.message)

    def __hash__(self) -> int:
        return hash((self.code, self.message))

    def __repr__(self) -> str:
        return f"DbgpError({self.code}, {self.message!r})"


# -- commands in (§1.3, §2.2) ---------------------------------------------------------------


@dataclass
class Command:
    """One command line from the client.

    ``args`` maps a flag (``"n"``, ``"v_base64"``…) to its value; a flag ``X_base64`` is also
    decoded into ``args[X]`` and ``X`` is listed in ``base64_args``. ``data`` is the decoded
    ``-- <base64>`` tail (``None`` without one). ``error`` is set when the line could not be
    read entirely; the caller answers it with :func:`error_response` (what could be read,
    name and ``txid`` in particular, is still filled in)."""

    name: str
    txid: int | None
    args: dict[str, str] = field(default_factory=dict)
    data: str | None = None
    base64_args: frozenset[str] = frozenset()
    error: DbgpError | None = None
    line: str = ""

    def arg(self, flag: str, default: str | None = None) -> str | None:
        """The value of ``-flag``, or ``default``."""
        return self.args.get(flag, default)

    def int_arg(self, flag: str, default: int | None = None) -> int | None:
        """The value of ``-flag`` as an integer (``default`` when absent); raises
        :class:`DbgpError` (invalid options) when it is not one."""
        value = self.args.get(flag)
        if value is None:
            return default
        if not _INTEGER.fullmatch(value):
            raise DbgpError(ErrorCode.INVALID_OPTIONS,
                            f"invalid value for -{flag}: {value!r} is not an integer")
        return int(value)


_INTEGER = re.compile(r"-?[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a flag: ``-`` then a word starting with a letter, followed by a blank or the end
_FLAG = re.compile(r"-([A-Za-z][A-Za-z0-9_]*)(?=[ \t]|$)")
_DATA = re.compile(r"--(?=[ \t]|$)")
_BLANKS = " \t"
_LINE_ENDS = re.compile(r"[\n\x00]")
_BASE64_SUFFIX = "_base64"


def parse_command(raw: bytes | str) -> list[Command]:
    """The commands in one client message: each ``\\n``- or NUL-ended line (a trailing
    ``\\r`` is dropped, blank lines are skipped), bytes decoded per line as UTF-8 or else
    latin-1."""
    if isinstance(raw, bytes | bytearray | memoryview):
        lines = [_decode(chunk) for chunk in re.split(rb"[\n\x00]", bytes(raw))]
    elif isinstance(raw, str):
        lines = _LINE_ENDS.split(raw)
    else:
        raise TypeError(f"a command message is bytes or str, not {type(raw).__name__}")
    return [_parse_line(line) for line in lines if line.strip(_BLANKS + "\r")]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _parse_line(line: str) -> Command:
    text = line.strip(_BLANKS + "\r")
    name, *tail = re.split(r"[ \t]+", text, maxsplit=1)
    rest = tail[0] if tail else ""
    command = Command(name=name, txid=None, line=text)
    problems: list[str] = []
    if not _NAME.fullmatch(name):
        problems.append(f"invalid command name {name!r}")
    i, n = 0, len(rest)
    while i < n:
        if rest[i] in _BLANKS:
            i += 1
            continue
        if _DATA.match(rest, i):
            command.data = rest[i + 2:].strip(_BLANKS)
            break
        flag = _FLAG.match(rest, i)
        if flag is None:
            end = _next_blank(rest, i)
            problems.append(f"unexpected {rest[i:end]!r}")
            i = end
            continue
        value, i = _read_value(rest, flag.end())
        if flag.group(1) in command.args:
            problems.append(f"duplicate option -{flag.group(1)}")
        command.args[flag.group(1)] = value
    _finish(command, problems)
    return command


def _finish(command: Command, problems: list[str]) -> None:
    txid = command.args.get("i")
    if txid is not None:
        # routing needs the id even when the line is otherwise wrong: its first word
        first, *more = txid.split(None, 1) or [""]
        if first.isascii() and first.isdigit():
            command.txid = int(first)
            if more:
                problems.append(f"unexpected {more[0]!r} after -i {first}")
        else:
            problems.append(f"invalid transaction id {txid!r}")
    decoded: set[str] = set()
    for flag, value in list(command.args.items()):
        if flag.endswith(_BASE64_SUFFIX) and len(flag) > len(_BASE64_SUFFIX):
            plain = flag[:-len(_BASE64_SUFFIX)]
            try:
                command.args[plain] = _b64_text(value)
                decoded.add(plain)
            except ValueError:
                problems.append(f"-{flag} is not valid base64")
    command.base64_args = frozenset(decoded)
    if command.data is not None:
        encoded = command.data
        try:
            command.data = _b64_text(encoded)
        except ValueError:
            command.data = None
            problems.append("the data after -- is not valid base64")
    if problems:
        command.error = DbgpError(ErrorCode.INVALID_OPTIONS, "; ".join(problems))


def _b64_text(value: str) -> str:
    """Base64 (padding optional, blanks ignored) to text: UTF-8, else latin-1."""
    compact = "".join(value.split())
    if len(compact) % 4:
        compact += "=" * (-len(compact) % 4)
    try:
        return _decode(base64.b64decode(compact, validate=True))
    except (binascii.Error, ValueError) as error:
        raise ValueError(str(error)) from None


def _next_blank(text: str, i: int) -> int:
    while i < len(text) and text[i] not in _BLANKS:
        i += 1
    return i


def _read_value(text: str, i: int) -> tuple[str, int]:
    """The value of a flag whose name ends at ``i``; returns it and where scanning goes on."""
    n = len(text)
    while i < n and text[i] in _BLANKS:
        i += 1
    if i >= n or _FLAG.match(text, i) or _DATA.match(text, i):
        return "", i  # a flag without a value
    if text[i] == '"':
        quoted = _read_quoted(text, i)
        if quoted is not None:
            return quoted
    end = _unquoted_end(text, i, track_strings=True)
    if end is None:  # an unbalanced string literal: plain blanks-and-flags scan
        end = _unquoted_end(text, i, track_strings=False)
    assert end is not None
    return text[i:end].rstrip(_BLANKS), end


def _read_quoted(text: str, i: int) -> tuple[str, int] | None:
    """A ``"…"`` value with backslash escapes, if it closes and is followed by a blank or the
    end; otherwise None (the value is then read unquoted)."""
    out: list[str] = []
    k, n = i + 1, len(text)
    while k < n:
        c = text[k]
        if c == "\\" and k + 1 < n:
            out.append(text[k + 1])
            k += 2
        elif c == '"':
            k += 1
            if k == n or text[k] in _BLANKS:
                return "".join(out), k
            return None
        else:
            out.append(c)
            k += 1
    return None


def _unquoted_end(text: str, i: int, *, track_strings: bool) -> int | None:
    """Where an unquoted value starting at ``i`` ends: at the blank before the next flag or
    ``--``, or at the end. With ``track_strings``, blanks inside ObjectScript string literals
    (``x("a -b")``) do not end it, and an unclosed literal gives None."""
    in_string = False
    k, n = i, len(text)
    while k < n:
        c = text[k]
        if track_strings and c == '"':
            in_string = not in_string
        elif c in _BLANKS and not in_string:
            after = k
            while after < n and text[after] in _BLANKS:
                after += 1
            if after < n and (_FLAG.match(text, after) or _DATA.match(text, after)):
                return k
            k = after
            continue
        k += 1
    return None if in_string else n


# -- framing (§1.3) -------------------------------------------------------------------------


def frame(xml: str) -> bytes:
    """One packet: ``<number of base64 characters>|<base64 of the UTF-8 XML>``."""
    payload = base64.b64encode(xml.encode("utf-8", "replace"))
    return str(len(payload)).encode("ascii") + b"|" + payload


class FrameError(ValueError):
    """A byte stream that is not a sequence of ``len|base64`` packets."""


class Deframer:
    """Splits the server's byte stream back into XML documents, whatever the message
    boundaries: :meth:`feed` each message, get the documents it completes."""

    #: longest length prefix accepted (digits)
    MAX_PREFIX = 12

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None

    @property
    def pending(self) -> bool:
        """True while part of a packet is waiting for more bytes."""
        return bool(self._buffer) or self._length is not None

    def feed(self, data: bytes) -> list[str]:
        """The XML documents completed by ``data``."""
        self._buffer += data
        documents: list[str] = []
        while True:
            if self._length is None:
                bar = self._buffer.find(b"|")
                if bar < 0:
                    self._check_prefix(bytes(self._buffer))
                    return documents
                prefix = bytes(self._buffer[:bar])
                self._check_prefix(prefix)
                if not prefix:
                    raise FrameError("empty length prefix")
                self._length = int(prefix)
                del self._buffer[:bar + 1]
            if len(self._buffer) < self._length:
                return documents
            payload = bytes(self._buffer[:self._length])
            del self._buffer[:self._length]
            self._length = None
            try:
                documents.append(base64.b64decode(payload, validate=True).decode("utf-8"))
            except (binascii.Error, ValueError) as error:
                raise FrameError(f"packet is not base64 of UTF-8: {error}") from None

    def _check_prefix(self, prefix: bytes) -> None:
        if not (prefix.isdigit() or not prefix) or len(prefix) > self.MAX_PREFIX:
            raise FrameError(f"bad length prefix {prefix[:20]!r}")


def deframe(data: bytes) -> list[str]:
    """The XML documents of a complete byte stream (raises :class:`FrameError` on a cut one)."""
    deframer = Deframer()
    documents = deframer.feed(data)
    if deframer.pending:
        raise FrameError("the stream ends inside a packet")
    return documents


# -- the serializer -------------------------------------------------------------------------

#: an attribute value: None leaves the attribute out, a bool is ``1``/``0``, else ``str()``
AttrValue = object
Attrs = Mapping[str, AttrValue] | Iterable[tuple[str, AttrValue]]

#: what XML 1.0 cannot carry at all (not even as a character reference)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                  "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_TEXT_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t]')
_TEXT_SPECIAL = re.compile("[&<>\r]")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _escape_attr(value: str) -> str:
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ENTITIES[m.group()], _clean(value))


def _escape_text(value: str) -> str:
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ENTITIES[m.group()], _clean(value))


def _attr_text(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def element(tag: str, attrs: Attrs = (), children: Iterable[str] = (),
            text: str | None = None) -> str:
    """``<tag a="v"…>children or text</tag>`` (``<tag …/>`` when empty). Attributes whose
    value is None are left out; booleans are ``1``/``0``; attributes come in the order given
    (a dict or ``(name, value)`` pairs). ``children`` are fragments this module built; an
    element has children or text, never both."""
    if not _XML_NAME.fullmatch(tag):
        raise ValueError(f"invalid element name {tag!r}")
    pairs = attrs.items() if isinstance(attrs, Mapping) else attrs
    parts = [f"<{tag}"]
    seen: set[str] = set()
    for key, value in pairs:
        if value is None:
            continue
        if not _XML_NAME.fullmatch(key) or key in seen:
            raise ValueError(f"invalid or duplicate attribute {key!r}")
        seen.add(key)
        parts.append(f' {key}="{_escape_attr(_attr_text(value))}"')
    inner = "".join(children)
    if inner and text:
        raise ValueError(f"<{tag}> gets children or text, not both")
    body = inner or (_escape_text(text) if text else "")
    parts.append(f">{body}</{tag}>" if body else "/>")
    return "".join(parts)


# -- packets --------------------------------------------------------------------------------


def init_packet(*, fileuri: str, engine_version: str, engine_name: str,
                appid: str = "AtelierDebugger", idekey: str = "Atelier",
                session: str | int | None = None, thread: str | int | None = "1",
                parent: str | None = None, language: str = "COS",
                protocol_version: str = "1.0",
                info: Sequence[tuple[str, str]] = ()) -> str:
    """The ``<init>`` packet sent as soon as the socket opens (§1.4), with its mandatory
    ``<engine version="…">name</engine>`` child; ``info`` adds further children such as
    ``("company", …)``, ``("url", …)``, ``("copyright", …)``."""
    children = [element("engine", {"version": engine_version}, text=engine_name)]
    children += [element(tag, text=value) for tag, value in info]
    return element("init", [
        ("appid", appid), ("idekey", idekey), ("session", session), ("thread", thread),
        ("parent", parent), ("language", language), ("protocol_version", protocol_version),
        ("fileuri", fileuri)], children)


_RESERVED = frozenset({"command", "transaction_id"})


def response(command: str, txid: int | None, attrs: Attrs = (),
             children: Iterable[str] = ()) -> str:
    """``<response command="…" transaction_id="…" attrs…>children</response>``. The
    transaction id is always there (empty when the command had none) because the client
    routes by it."""
    pairs = list(attrs.items() if isinstance(attrs, Mapping) else attrs)
    if any(key in _RESERVED for key, _ in pairs):
        raise ValueError("command and transaction_id are set by response()")
    head: list[tuple[str, AttrValue]] = [
        ("command", command), ("transaction_id", "" if txid is None else txid)]
    return element("response", head + pairs, children)


def error_response(command: str, txid: int | None, code: int, message: str) -> str:
    """An error answer: ``<error code="N"><message>text</message></error>`` as the first and
    only child (§1.6)."""
    error = element("error", {"code": int(code)}, [element("message", text=message)])
    return response(command, txid, children=[error])


def feature_set_response(txid: int | None, feature: str, success: bool = True) -> str:
    """The answer to ``feature_set -n <feature>``."""
    return response("feature_set", txid, [("feature", feature), ("success", success)])


STATUSES = frozenset({"starting", "stopping", "stopped", "running", "break"})
REASONS = frozenset({"ok", "error", "aborted", "exception"})


class StatusLocation(TypedDict):
    """Where a status response stopped: ``filename`` is a :func:`file_uri`; with an
    ``exception`` (its name, for example ``<UNDEFINED>``) VS Code shows "Paused on
    exception" with ``text``."""

    filename: NotRequired[str]
    lineno: NotRequired[int]
    exception: NotRequired[str]
    code: NotRequired[int]
    text: NotRequired[str]


def status_response(command: str, txid: int | None, status: str, reason: str = "ok",
                    location: StatusLocation | None = None) -> str:
    """The answer to ``run``, the steps, ``break`` and ``detach`` (§2.3); the location, if
    any, is the first child, a plain ``<message>``."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    children = []
    if location is not None:
        filename = location.get("filename")
        if filename is not None:
            _check_client_uri(filename)
        children.append(element("message", [
            ("filename", filename), ("lineno", location.get("lineno")),
            ("exception", location.get("exception")), ("code", location.get("code"))],
            text=location.get("text")))
    return response(command, txid, [("status", status), ("reason", reason)], children)


def stream_packet(text: str, stream: str = "stdout") -> str:
    """Program output: ``<stream type="stdout" encoding="base64">…</stream>``, no
    transaction id (§2.7). Only ``stdout`` reaches the Debug Console."""
    data = base64.b64encode(text.encode("utf-8", "replace")).decode("ascii")
    return element("stream", [("type", stream), ("encoding", "base64")], text=data)


def stack_frame(level: int, filename: str, lineno: int, *, method: str = "",
                methodoffset: int = 0, cmdbegin: tuple[int, int] | None = None,
                cmdend: tuple[int, int] | None = None, where: str | None = None) -> str:
    """One ``<stack>`` frame (§2.4). ``filename`` is a :func:`file_uri` (checked to be one
    the client's ``decodeURI``/match accepts); ``cmdbegin``/``cmdend`` are ``(line, column)``
    pairs in ``lineno``'s coordinates, 0-based columns, the end exclusive (column 0: to the
    end of the line); both or neither."""
    _check_client_uri(filename)
    if (cmdbegin is None) != (cmdend is None):
        raise ValueError("cmdbegin and cmdend go together")
    return element("stack", [
        ("level", level), ("type", "file"), ("filename", filename), ("lineno", lineno),
        ("where", where), ("method", method), ("methodoffset", methodoffset),
        ("cmdbegin", None if cmdbegin is None else f"{cmdbegin[0]}:{cmdbegin[1]}"),
        ("cmdend", None if cmdend is None else f"{cmdend[0]}:{cmdend[1]}")])


def context_element(name: str, context_id: int) -> str:
    """``<context name="…" id="N"/>`` (ids 0, 1, 2 show as Private, Public, Class)."""
    return element("context", [("name", name), ("id", context_id)])


def context_names_response(txid: int | None,
                           contexts: Iterable[tuple[str, int]] = (("Private", 0),
                                                                  ("Public", 1))) -> str:
    """The answer to ``context_names``: one ``<context>`` per ``(name, id)``."""
    return response("context_names", txid,
                    children=[context_element(name, cid) for name, cid in contexts])


PROPERTY_TYPES = frozenset({"string", "array", "object", "bool", "undefined"})
#: the text the client turns into an undefined value
UNDEFINED_TEXT = "<UNDEFINED>"


def cut_value(value: str, max_data: int | None) -> bytes:
    """``value`` as UTF-8, cut to at most ``max_data`` bytes without splitting a character
    (no cut when ``max_data`` is None or not positive)."""
    data = value.encode("utf-8", "replace")
    if max_data is None or max_data <= 0 or len(data) <= max_data:
        return data
    end = max_data
    while end > 0 and (data[end] & 0xC0) == 0x80:  # a continuation byte: back to a start
        end -= 1
    return data[:end]


def property_element(*, name: str | None = None, fullname: str | None = None,
                     type: str = "string", value: str | bool | None = None,
                     classname: str | None = None, children: Sequence[str] | None = None,
                     numchildren: int | None = None, max_data: int | None = None,
                     page: int | None = None, pagesize: int | None = None) -> str:
    """One ``<property>`` (§2.5).

    A scalar (``children`` and ``numchildren`` both None) carries ``value`` as base64 of its
    UTF-8 bytes cut to ``max_data`` (``size`` is the uncut byte length); ``type="bool"``
    takes a bool or ``"1"``/``"0"``; ``type="undefined"`` sends the text the client reads as
    undefined. An expandable property (``array``/``object``) has ``children="1"``, its inline
    child properties (fragments from this function) and ``numchildren`` (their count unless
    given: give the total when only some are inline, the client then asks with
    ``property_get``); it never carries a value. ``name``/``fullname`` may be left out (an
    ``eval`` result has none)."""
    if type not in PROPERTY_TYPES:
        raise ValueError(f"unknown property type {type!r}")
    head: list[tuple[str, AttrValue]] = [("name", name), ("fullname", fullname),
                                         ("type", type), ("classname", classname)]
    if children is not None or numchildren is not None:
        if value is not None:
            raise ValueError("a property with children carries no value")
        inline = list(children or ())
        total = len(inline) if numchildren is None else numchildren
        if total < len(inline):
            raise ValueError("numchildren is less than the inline children")
        return element("property", head + [
            ("children", True), ("numchildren", total), ("page", page),
            ("pagesize", pagesize)], inline)
    if type == "undefined":
        return element("property", head + [("children", False)], text=UNDEFINED_TEXT)
    if isinstance(value, bool):
        value = "1" if value else "0"
    text = "" if value is None else value
    data = cut_value(text, max_data)
    return element("property", head + [
        ("children", False), ("page", page), ("pagesize", pagesize),
        ("size", len(text.encode("utf-8", "replace"))), ("encoding", "base64")],
        text=base64.b64encode(data).decode("ascii"))


BREAKPOINT_TYPES = frozenset({"line", "conditional", "watch"})
BREAKPOINT_STATES = frozenset({"enabled", "disabled"})


def breakpoint_element(breakpoint_id: int, type: str, state: str = "enabled", *,
                       doc: str | None = None, lineno: int | None = None,
                       function: str | None = None, expression: str | None = None,
                       hit_value: int | None = None, hit_condition: str | None = None,
                       hit_count: int | None = None) -> str:
    """One ``<breakpoint>`` of ``breakpoint_list``. ``filename`` is :func:`breakpoint_filename`
    of ``doc`` (what the client compares before removing stale line breakpoints); ``lineno``
    is the line or method offset as set, ``function`` the method; ``expression`` the
    condition, or ``var`` / ``var|condition`` of a watch, as plain text."""
    if type not in BREAKPOINT_TYPES:
        raise ValueError(f"breakpoint type {type!r} would make the client throw")
    if state not in BREAKPOINT_STATES:
        raise ValueError(f"unknown breakpoint state {state!r}")
    if hit_condition is not None and hit_condition not in (">=", "==", "%"):
        raise ValueError(f"unknown hit condition {hit_condition!r}")
    return element("breakpoint", [
        ("id", breakpoint_id), ("type", type), ("state", state),
        ("filename", None if doc is None else breakpoint_filename(doc)), ("lineno", lineno),
        ("function", function), ("expression", expression), ("hit_value", hit_value),
        ("hit_condition", hit_condition), ("hit_count", hit_count)])


# -- locations (§3.1) -----------------------------------------------------------------------

SCHEME = "dbgp://"
#: what JavaScript's encodeURI leaves alone, beyond letters, digits and ``-_.~``
_URI_SAFE = ";,/?:@&=+$!*'()#"
#: what encodeURIComponent leaves alone, beyond letters, digits and ``-_.~``
_COMPONENT_SAFE = "!*'()"
_PIPE = re.compile(r"\||%7C", re.IGNORECASE)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def file_uri(namespace: str, doc: str) -> str:
    """``dbgp://|NS|Doc`` with each part encoded as ``encodeURI`` does, so that the client's
    ``decodeURI`` gives back exactly ``NS`` and ``Doc`` (``dbgp://|%25SYS|%25Foo.Bar.cls``)."""
    if not namespace or not doc:
        raise ValueError("a dbgp URI needs a namespace and a document")
    return (f"{SCHEME}|{quote(namespace.upper(), safe=_URI_SAFE)}"
            f"|{quote(doc, safe=_URI_SAFE)}")


def breakpoint_filename(doc: str) -> str:
    """The document name as ``encodeURIComponent`` writes it (``%25Foo.Bar.cls``): the form
    the client compares ``breakpoint_list`` filenames with."""
    return quote(doc, safe=_COMPONENT_SAFE)


def parse_file_uri(uri: str) -> tuple[str, str]:
    """``(NAMESPACE, doc)`` of a ``dbgp://|NS|Doc`` URI, with the separators plain or as
    ``%7C`` and the parts percent-encoded or not; raises ValueError for anything else (such
    as a watchpoint's ``PLACEHOLDER``)."""
    text = uri.strip()
    if not text[:len(SCHEME)].lower() == SCHEME:
        raise ValueError(f"not a dbgp URI: {uri!r}")
    rest = text[len(SCHEME):]
    if rest.startswith("|"):
        namespace, bar, doc = rest[1:].partition("|")
    else:
        pieces = _PIPE.split(rest, maxsplit=2)
        if len(pieces) != 3 or pieces[0]:
            raise ValueError(f"not a dbgp URI: {uri!r}")
        namespace, bar, doc = pieces[1], "|", pieces[2]
    namespace, doc = _unescape(namespace), _unescape(doc)
    if not bar or not namespace or not doc:
        raise ValueError(f"a dbgp URI needs a namespace and a document: {uri!r}")
    return namespace.upper(), doc


def _unescape(part: str) -> str:
    try:
        return unquote(part, errors="strict")
    except UnicodeDecodeError:
        return part  # escapes that are no UTF-8: the part was not encoded


def _check_client_uri(uri: str) -> None:
    """Raises ValueError unless ``decodeURI(uri)`` succeeds and matches ``dbgp://|ns|doc``
    the way the client needs for every stack frame."""
    if _BAD_ESCAPE.search(uri):
        raise ValueError(f"{uri!r} has a bare % (the client's decodeURI throws): "
                         "build it with file_uri()")
    try:
        decoded = unquote(uri, errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"{uri!r} has escapes that are no UTF-8") from None
    if not re.fullmatch(r"dbgp://\|[^|]+\|.*", decoded, re.DOTALL):
        raise ValueError(f"{uri!r} is not dbgp://|<namespace>|<document>")
