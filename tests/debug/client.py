"""A DBGp client for the tests, as the VS Code extension's connection layer behaves
(``../shared/spec/debugger.md`` §1–2, §6): on ``websockets`` (its synchronous client),
commands sent as binary frames ending in ``\\n`` with transaction ids counting from 1,
packets read by their base64 length across message boundaries, XML read with
``xml.etree``. Written for the tests from the spec, independently of the server's own
``dbgp`` module, so that each checks the other."""

from __future__ import annotations

import base64
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from websockets.sync.client import ClientConnection, connect

#: only stops a test that hangs; never a performance claim
HANG_GUARD = 60.0


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass
class Packet:
    """One packet from the server: its root element."""

    root: ET.Element
    raw: str

    @property
    def tag(self) -> str:
        return self.root.tag

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.root.get(name, default)

    @property
    def error(self) -> tuple[int, str] | None:
        first = self.root[0] if len(self.root) else None
        if first is None or first.tag != "error":
            return None
        message = first.find("message")
        return int(first.get("code", "0")), (message.text or "") if message is not None else ""

    def stream_text(self) -> str:
        assert self.tag == "stream"
        return base64.b64decode(self.root.text or "").decode("utf-8")


@dataclass
class DbgpClient:
    """One debug connection."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    binary: bool = True
    ws: ClientConnection | None = None
    txid: int = 0
    buffer: bytes = b""
    backlog: list[Packet] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    init: Packet | None = None
    wire: list[bytes] = field(default_factory=list)    # every message received, as sent

    def open(self) -> DbgpClient:
        self.ws = connect(self.url, additional_headers=self.headers, open_timeout=HANG_GUARD,
                          max_size=None).__enter__()
        self.init = self.next_packet()
        assert self.init.tag == "init", self.init.raw
        return self

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()

    # -- framing ----------------------------------------------------------------------------
    def _packets(self) -> Iterator[Packet]:
        while True:
            bar = self.buffer.find(b"|")
            if bar < 0:
                return
            size = int(self.buffer[:bar])
            if len(self.buffer) < bar + 1 + size:
                return
            data = self.buffer[bar + 1:bar + 1 + size]
            self.buffer = self.buffer[bar + 1 + size:]
            xml = base64.b64decode(data, validate=True).decode("utf-8")
            yield Packet(ET.fromstring(xml), xml)

    def next_packet(self, timeout: float = HANG_GUARD) -> Packet:
        """The next packet, whatever it is."""
        if self.backlog:
            return self.backlog.pop(0)
        deadline = time.monotonic() + timeout
        assert self.ws is not None
        while True:
            found = list(self._packets())
            if found:
                self.backlog.extend(found[1:])
                return found[0]
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no packet from the server")
            message = self.ws.recv(timeout=left)
            data = message.encode("ascii") if isinstance(message, str) else message
            self.wire.append(data)
            self.buffer += data

    # -- commands ---------------------------------------------------------------------------
    def send(self, command: str, data: str | None = None, **flags: Any) -> int:
        """Send a command; its transaction id."""
        self.txid += 1
        parts = [command, "-i", str(self.txid)]
        for flag, value in flags.items():
            parts += [f"-{flag.rstrip('_')}", str(value)]
        if data is not None:
            parts += ["--", b64(data)]
        line = " ".join(parts) + "\n"
        assert self.ws is not None
        if self.binary:
            self.ws.send(line.encode("latin-1", "replace"))
        else:
            self.ws.send(line)
        return self.txid

    def reply(self, txid: int, timeout: float = HANG_GUARD) -> Packet:
        """The response to ``txid``; stream packets met on the way are kept in ``output``."""
        kept: list[Packet] = []
        try:
            while True:
                packet = self.next_packet(timeout)
                if packet.tag == "stream":
                    self.output.append(packet.stream_text())
                    continue
                if packet.tag == "response" and packet.get("transaction_id") == str(txid):
                    return packet
                kept.append(packet)
        finally:
            self.backlog[:0] = kept

    def call(self, command: str, data: str | None = None, **flags: Any) -> Packet:
        """Send and wait for the answer."""
        return self.reply(self.send(command, data, **flags))

    def ok(self, command: str, data: str | None = None, **flags: Any) -> Packet:
        """``call``, checked to be no error."""
        packet = self.call(command, data, **flags)
        assert packet.error is None, packet.raw
        return packet

    # -- the extension's handshake and conveniences ------------------------------------------
    def handshake(self, granularity: str = "command") -> None:
        for name, value in (("max_data", 8192), ("max_children", 32), ("max_depth", 2),
                            ("notify_ok", 1), ("step_granularity", granularity)):
            packet = self.ok("feature_set", n=name, v=value)
            assert packet.get("success") == "1" and packet.get("feature") == name

    def launch(self, target: str) -> Packet:
        return self.call("feature_set", n="debug_target", v_base64=b64(target))

    def break_class(self, ns: str, doc: str, method: str, offset: int, **extra: Any) -> Packet:
        return self.call("breakpoint_set", t="line", s="enabled", f=f"dbgp://|{ns}|{doc}",
                         m=method, n=offset, **extra)

    def break_routine(self, ns: str, doc: str, line: int, **extra: Any) -> Packet:
        return self.call("breakpoint_set", t="line", s="enabled", f=f"dbgp://|{ns}|{doc}",
                         n=line, **extra)

    def stack(self) -> list[dict[str, str]]:
        packet = self.ok("stack_get")
        return [dict(frame.attrib) for frame in packet.root]

    def variables(self, level: int = 0, context: int = 0) -> dict[str, Any]:
        packet = self.ok("context_get", d=level, c=context)
        return {p.get("name"): value(p) for p in packet.root}

    def eval(self, expression: str) -> Any:
        packet = self.ok("eval", expression)
        return value(packet.root[0])


def value(p: ET.Element) -> Any:
    """A ``<property>`` as Python: a string, None (undefined), or a dict of its children
    (``{"": classname}`` added for objects)."""
    if p.get("type") == "undefined" or (p.text or "") == "<UNDEFINED>":
        return None
    if p.get("children") == "1":
        kids: dict[str, Any] = {str(k.get("name")): value(k) for k in p}
        if p.get("type") == "object":
            kids[""] = p.get("classname")
        return kids
    text = p.text or ""
    if p.get("encoding") == "base64":
        return base64.b64decode(text).decode("utf-8")
    return text


def debug_url(base: str, version: int = 8, prefix: str = "") -> str:
    return re.sub(r"^http", "ws", base) + f"{prefix}/api/atelier/v{version}/%25SYS/debug"
