"""The Lite Terminal's protocol (``atelier-api.md`` §4.8 #33), independent of the transport.

JSON text messages. The server opens with ``init``; the client answers ``config`` (the
namespace to start in); the server then sends a ``prompt`` (``USER>`` and ``ns``) each time
it is ready for a line, ``output`` while a line runs (CRLF line ends, ANSI colours; errors in
bold red), ``read`` when the program waits for input, ``color`` answering the client's
``color`` (the typed line, coloured), and ``error`` when the session cannot go on (the client
closes). The client sends ``prompt`` / ``read`` with ``input``, ``color``, ``interrupt``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from atelier_api.adapters.execution import EventKind, ExecutionEvent
from atelier_api.errors import AtelierError
from atelier_api.run.sessions import Run, Runs

PROTOCOL = 1
#: how an ObjectScript error is shown (the client recognises the bold red)
ERROR_ON, ERROR_OFF = "\x1b[31;1m", "\x1b[0m"
#: longest line the client may send (a larger message ends the terminal)
MAX_INPUT = 1 << 20


class Terminal:
    """One terminal: its state and its session. ``send`` takes a message (a dict) for the
    client; ``closed`` turns True when the terminal is over."""

    def __init__(self, runs: Runs, *, user: str, device: str, version: str,
                 send: Callable[[dict[str, Any]], None]) -> None:
        self.runs = runs
        self.user = user
        self.device = device
        self.version = version
        self.send = send
        self.run: Run | None = None
        self.state = "config"  # config | prompt | running | read | closed
        self.read_deadline: float | None = None
        self.at_line_start = True

    @property
    def closed(self) -> bool:
        """True once the terminal is over."""
        return self.state == "closed"

    def start(self) -> None:
        """The first message."""
        self.send({"type": "init", "protocol": PROTOCOL, "version": self.version})

    # -- from the client --------------------------------------------------------------------
    def on_text(self, text: str) -> None:
        """One message from the client."""
        try:
            message = json.loads(text)
        except ValueError:
            return  # not JSON: ignored, as the client ignores what it cannot read
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        data = message.get("input", "")
        if not isinstance(data, str):
            data = ""
        if kind == "config" and self.state == "config":
            self._configure(message.get("namespace"))
        elif kind == "prompt" and self.state == "prompt":
            self._execute(data)
        elif kind == "read" and self.state == "read":
            self._answer(data)
        elif kind == "color" and self.run is not None:
            self.send({"type": "color", "text": self.run.session.color(data)})
        elif kind == "interrupt" and self.run is not None:
            self.run.session.interrupt()

    def _configure(self, namespace: Any) -> None:
        name = namespace if isinstance(namespace, str) and namespace else "USER"
        try:
            self.run = self.runs.open(name, user=self.user, device=self.device,
                                      kind="%Terminal")
        except AtelierError as exc:
            self.fail(exc.message)
            return
        self._prompt()

    def _execute(self, text: str) -> None:
        assert self.run is not None
        lines = text.replace("\r\n", "\n").replace("\r", "\n")
        if not lines.strip():
            self._prompt()
            return
        self.state = "running"
        self.at_line_start = True
        self.run.session.execute(lines)

    def _answer(self, text: str) -> None:
        assert self.run is not None
        self.state = "running"
        self.read_deadline = None
        self.at_line_start = True  # the client moved to a new line after the input
        self.run.session.answer(text)

    # -- from the session -------------------------------------------------------------------
    def pump(self) -> None:
        """Forward what the session has to say (call when its descriptor is readable, and
        from time to time: the line clock and READ timeouts are checked here)."""
        if self.run is None or self.closed:
            return
        if self.read_deadline is not None and time.monotonic() >= self.read_deadline:
            self.read_deadline = None
            self.state = "running"
            self.run.session.answer(None)
        for event in self.run.session.events():
            self._on_event(event)
            if self.closed:
                return

    def _on_event(self, event: ExecutionEvent) -> None:
        if event.kind is EventKind.OUTPUT:
            self._output(event.text)
        elif event.kind is EventKind.READ:
            self.state = "read"
            self.read_deadline = (time.monotonic() + event.timeout
                                  if event.timeout is not None else None)
            self.send({"type": "read", "text": event.text})
        elif event.kind is EventKind.DONE:
            self._prompt()
        elif event.kind is EventKind.ERROR:
            lead = "" if self.at_line_start else "\r\n"
            self._output(f"{lead}{ERROR_ON}{event.text}{ERROR_OFF}\r\n")
            self._prompt()
        elif event.kind is EventKind.CLOSED:
            self.fail(event.text)

    def _output(self, text: str) -> None:
        if text:
            self.at_line_start = text.endswith("\n")
            self.send({"type": "output", "text": text})

    def _prompt(self) -> None:
        assert self.run is not None
        ns = self.run.session.namespace
        self.state = "prompt"
        self.send({"type": "prompt", "text": f"{ns}>", "ns": ns})

    def fail(self, reason: str) -> None:
        """Tell the client the terminal cannot go on; it closes."""
        if not self.closed:
            self.send({"type": "error", "text": reason})
            self.state = "closed"

    def close(self) -> None:
        """The connection is gone: end the session."""
        self.state = "closed"
        if self.run is not None:
            run, self.run = self.run, None
            self.runs.close(run)
