"""Character streams: ``%Stream.TmpCharacter`` and ``%Stream.GlobalCharacter`` (kept in
memory; ``%Save`` of a global stream does not write its global yet)."""

from __future__ import annotations

from typing import Any

from compiler_stub.runtime import values as V
from compiler_stub.runtime.objbase import Obj, arg, native, native_class, out

#: the default ``LineTerminator`` of a character stream
CRLF = "\r\n"


class StreamObj(Obj):
    """The text, the read position and whether the stream is being written."""

    def __init__(self, cls: Any, numbers: Any = None) -> None:
        super().__init__(cls, numbers)
        self.text = ""
        self.pos = 0
        self.writing = True
        self.props["LineTerminator"] = CRLF

    def copy_state(self, other: StreamObj) -> None:
        self.text, self.pos, self.writing = other.text, other.pos, other.writing

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
        return super().os_get(name)

    def os_set(self, name: str, value: Any) -> None:
        if name == "LineTerminator":
            self.props[name] = V.to_str(value)
            return
        super().os_set(name, value)


native_class("%Stream.Object", ("%Library.RegisteredObject",), pyclass=StreamObj)
native_class("%Stream.TmpCharacter", ("%Stream.Object",))
native_class("%Stream.GlobalCharacter", ("%Stream.TmpCharacter",))
native_class("%Library.GlobalCharacterStream", ("%Stream.GlobalCharacter",))
native_class("%Stream.FileCharacter", ("%Stream.TmpCharacter",))

_S = "%Stream.Object"


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


@native(_S, "%Save", "%Close")
def _save(P: Any, this: StreamObj, *args: Any) -> int:
    return 1
