"""Streams: ``%Stream.TmpCharacter``/``TmpBinary`` (in memory only) and
``%Stream.GlobalCharacter``/``GlobalBinary`` (and the older ``%Library.GlobalCharacterStream``/
``GlobalBinaryStream``), which ``%Save`` writes to a global.

A saved global stream, as IRIS lays it out in its location global ``^L`` (the class's
``StreamLocation`` for a stream property, ``^CacheStream`` for a stream saved on its own):
``^L`` counts the streams saved there and gives each its id, ``^L(id)`` is
``"<nodes>,<size>"`` and ``^L(id, 1…nodes)`` hold the data, 32000 characters a node
(``BUFFERLEN``). A stream read back holds its whole text; the first ``Write`` after opening
replaces it (``MoveToEnd`` first to append), as on IRIS.
"""

from __future__ import annotations

from typing import Any

from compiler_stub.runtime import values as V
from compiler_stub.runtime.objbase import (
    NATIVE,
    Obj,
    arg,
    full_class_name,
    native,
    native_class,
    out,
)
from compiler_stub.runtime.status import error as status_error

#: the default ``LineTerminator`` of a character stream
CRLF = "\r\n"
#: characters per global node of a saved stream
CHUNK = 32000
#: where a global stream saved on its own goes (no ``%Location`` given)
DEFAULT_LOCATION = "CacheStream"


class StreamObj(Obj):
    """The text, the read position and whether the stream is being written; once saved,
    its id and the global it lives in."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.text = ""
        self.pos = 0
        self.writing = True
        self.props["LineTerminator"] = CRLF
        self.sid: Any = ""        # the id in its location global, once saved
        self.location = ""        # that global, without "^" ("" until saved or set)

    def copy_state(self, other: StreamObj) -> None:
        self.text, self.pos, self.writing = other.text, other.pos, other.writing
        self.location = other.location

    def write_text(self, s: str) -> None:
        if not self.writing:
            self.text, self.pos, self.writing = "", 0, True
        self.text += s

    def start_reading(self) -> None:
        if self.writing:
            self.writing = False
            self.pos = 0

    @property
    def at_end(self) -> int:
        if self.writing:
            return 1 if not self.text else 0
        return 1 if self.pos >= len(self.text) else 0

    def os_get(self, name: str) -> Any:
        if name == "Size":
            return len(self.text)
        if name == "AtEnd":
            return self.at_end
        if name == "LineTerminator":
            return self.props["LineTerminator"]
        if name == "%Location":
            return "^" + self.location if self.location else ""
        return super().os_get(name)

    def os_set(self, name: str, value: Any) -> None:
        if name == "LineTerminator":
            self.props[name] = V.to_str(value)
            return
        if name == "%Location":
            self.location = V.to_str(value).lstrip("^")
            return
        super().os_set(name, value)


native_class("%Stream.Object", ("%Library.RegisteredObject",), pyclass=StreamObj)
native_class("%Stream.TmpCharacter", ("%Stream.Object",))
native_class("%Stream.GlobalCharacter", ("%Stream.TmpCharacter",))
native_class("%Library.GlobalCharacterStream", ("%Stream.GlobalCharacter",))
native_class("%Stream.FileCharacter", ("%Stream.TmpCharacter",))
native_class("%Stream.TmpBinary", ("%Stream.Object",))
native_class("%Stream.GlobalBinary", ("%Stream.TmpBinary",))
native_class("%Library.GlobalBinaryStream", ("%Stream.GlobalBinary",))

_S = "%Stream.Object"
#: the stream classes ``%Save`` writes to a global
_GLOBAL = ("%Stream.GlobalCharacter", "%Stream.GlobalBinary")


def _supers(name: str) -> list[str]:
    """``name`` and its system superclasses (first superclass first)."""
    chain: list[str] = []
    full = full_class_name(name)
    while full and full not in chain:
        chain.append(full)
        rc = NATIVE.get(full)
        full = rc.supers[0] if rc is not None and rc.supers else ""
    return chain


def is_stream_class(name: str) -> bool:
    """True for a system stream class (a property of that type holds a stream object)."""
    return bool(name) and _S in _supers(name)


def is_global_stream(name: str) -> bool:
    """True for a stream class whose ``%Save`` writes a global."""
    return any(c in _GLOBAL for c in _supers(name))


def save_stream(P: Any, s: StreamObj, location: str) -> Any:
    """Write ``s`` to its global (``location`` unless it has one already) and give its id:
    the next one of the global's counter the first time, the same one after that."""
    if not s.location:
        s.location = location
    g = P.g(s.location)
    if s.sid == "":
        s.sid = g.increment((), 1)
    sid = V.to_str(s.sid)
    g.kill((sid,))
    chunks = [s.text[i:i + CHUNK] for i in range(0, len(s.text), CHUNK)]
    g.set((sid,), f"{len(chunks)},{len(s.text)}")
    for n, chunk in enumerate(chunks, 1):
        g.set((sid, str(n)), chunk)
    s.writing, s.pos = False, 0   # saved: read from the start; a Write starts it anew
    return s.sid


def load_stream(P: Any, w: Any, cls: str, location: str, sid: Any) -> StreamObj | None:
    """The stream of class ``cls`` saved as ``^location(sid)`` (None: there is none)."""
    g = P.g(location)
    key = V.to_str(sid)
    head = g.get_or((key,), None) if key else None
    if head is None:
        return None
    s: StreamObj = w.new(w.get(cls), ())
    nodes = int(V.num(V.to_str(head).partition(",")[0]))
    s.text = "".join(V.to_str(g.get_or((key, str(n)), "")) for n in range(1, nodes + 1))
    s.sid = V.num(key) if V.is_canonic(key) else key
    s.location = location
    s.writing, s.pos = False, 0
    return s


def delete_stream(P: Any, location: str, sid: Any) -> None:
    """Remove a saved stream's nodes."""
    key = V.to_str(sid)
    if location and key:
        P.g(location).kill((key,))


@native(_S, "Write")
def _write(P: Any, this: StreamObj, s: Any = "") -> int:
    this.write_text(V.to_str(arg(s)))
    return 1


@native(_S, "WriteLine")
def _write_line(P: Any, this: StreamObj, s: Any = "") -> int:
    this.write_text(V.to_str(arg(s)) + this.props["LineTerminator"])
    return 1


@native(_S, "Read")
def _read(P: Any, this: StreamObj, length: Any = None, sc: Any = None) -> str:
    this.start_reading()
    n = int(V.num(arg(length, 32000)))
    if n <= 0:
        n = 32000
    chunk = this.text[this.pos:this.pos + n]
    this.pos += len(chunk)
    out(length, len(chunk) if chunk else -1)
    out(sc, 1)
    return chunk


@native(_S, "ReadLine")
def _read_line(P: Any, this: StreamObj, length: Any = None, sc: Any = None,
               eol: Any = None) -> str:
    this.start_reading()
    n = int(V.num(arg(length, 32000)))
    term = this.props["LineTerminator"]
    rest = this.text[this.pos:]
    cut = -1
    tlen = 0
    for t in (term, "\r\n", "\n", "\r"):
        i = rest.find(t) if t else -1
        if i >= 0 and (cut < 0 or i < cut):
            cut, tlen = i, len(t)
    if cut < 0 or cut > n:
        line = rest[:n]
        this.pos += len(line)
        out(eol, 0)
    else:
        line = rest[:cut]
        this.pos += cut + tlen
        out(eol, 1)
    out(length, len(line))
    out(sc, 1)
    return line


@native(_S, "Rewind")
def _rewind(P: Any, this: StreamObj) -> int:
    this.writing = False
    this.pos = 0
    return 1


@native(_S, "MoveToEnd")
def _move_to_end(P: Any, this: StreamObj) -> int:
    this.writing = True
    return 1


@native(_S, "Clear")
def _clear(P: Any, this: StreamObj) -> int:
    this.text, this.pos, this.writing = "", 0, True
    return 1


@native(_S, "CopyFrom")
def _copy_from(P: Any, this: StreamObj, src: Any = "") -> int:
    other = arg(src)
    if isinstance(other, StreamObj):
        this.write_text(other.text)
    else:
        this.write_text(V.to_str(other))
    return 1


@native(_S, "OutputToDevice")
def _output(P: Any, this: StreamObj, length: Any = None) -> int:
    P.w(this.text)
    return 1


@native(_S, "SizeGet")
def _size_get(P: Any, this: StreamObj) -> int:
    return len(this.text)


@native(_S, "%Close")
def _close(P: Any, this: StreamObj, *args: Any) -> int:
    return 1


@native(_S, "%Save")
def _save(P: Any, this: StreamObj, *args: Any) -> int:
    if is_global_stream(this.cls.name):
        save_stream(P, this, DEFAULT_LOCATION)
    return 1


@native(_S, "%Id")
def _id(P: Any, this: StreamObj) -> Any:
    return this.sid


@native(_S, "%OpenId", kind="classmethod")
def _open_id(P: Any, this: Any, sid: Any = "", concurrency: Any = -1, sc: Any = None) -> Any:
    cls = this.cls.name if isinstance(this, Obj) else full_class_name(V.to_str(this))
    found = load_stream(P, P.objects, cls, DEFAULT_LOCATION, arg(sid)) \
        if is_global_stream(cls) else None
    if found is None:
        out(sc, status_error(5809, cls, V.to_str(arg(sid))))
        return ""
    out(sc, 1)
    return found
