"""The global-reference forms beyond ``^name``: extended references to another namespace's
globals and the names they are shown with (``Process.gext``), process-private globals
(``Process.ppg``) and the rules of the naked indicator (``Process.naked``, ``$ZREFERENCE``).

Sources (InterSystems documentation, found with the search tool):

- GCOS_syntax_namespaces_extendedrefs / GGBL "Extended Global References": ``^|"ns"|name``
  and ``^["ns"]name`` name a global of namespace ``ns``; ``""`` stands for the current
  namespace; ``"^^dir"`` and ``["dir","system"]`` are implied namespaces (a directory on
  this or another system). Namespace names are case-insensitive and shown in upper case.
- RCPF_RefInKind: by default ``$NAME`` and ``$QUERY`` of an extended reference answer an
  extended reference.
- GCOS_ppg: ``^||name``, ``^|"^"|name``, ``^["^"]name`` and ``^["^",""]name`` are the same
  process-private global: visible to its process only, gone when the process ends, the same
  in every namespace, untouched by argumentless KILL/NEW/ZWRITE, and not rolled back by
  TROLLBACK. RCOS_vzreference: it is shown with the prefix it was first used with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from compiler_stub.runtime.errors import ObjectScriptError

__all__ = ["PPG_PREFIX", "ExtendedGlobal", "extended_name", "ppg_prefix"]

#: the prefix a process-private global is shown with when first used as ``^||name``
PPG_PREFIX = "^||"


def extended_name(namespace: str, name: str) -> str:
    """``^|"NS"|name``: how an extended reference to ``name`` (no caret) is shown."""
    return f'^|"{namespace}"|{name}'


def ppg_prefix(form: str, env: tuple[str, ...]) -> str | None:
    """The process-private prefix written as ``form`` (``|`` or ``[``) with namespace
    values ``env``, or None when ``env`` does not name process-private globals."""
    if form == "|" and env == ("^",):
        return '^|"^"|'
    if form == "[" and env == ("^",):
        return '^["^"]'
    if form == "[" and env == ("^", ""):
        return '^["^",""]'
    return None


class ExtendedGlobal:
    """A global reached through an extended reference: the API of a global node, on the
    node of the namespace's store, shown (``$NAME``, ``$QUERY``, ZWRITE, error details) as
    ``^|"NS"|name``. ``plain`` is the name without the namespace (``$ZREFERENCE`` shows it
    while that namespace is the current one)."""

    __slots__ = ("name", "namespace", "node", "plain")

    def __init__(self, node: Any, namespace: str) -> None:
        self.node = node
        self.namespace = namespace
        self.plain: str = node.name
        self.name = extended_name(namespace, self.plain[1:])

    def __repr__(self) -> str:
        return f"ExtendedGlobal({self.name!r})"

    def _renamed(self, e: ObjectScriptError) -> ObjectScriptError:
        """The error with the node's plain name in its detail replaced by the extended one."""
        d = e.detail
        for lead in ("", "*"):
            head = lead + self.plain
            if d == head or d.startswith(head + "("):
                e.detail = lead + self.name + d[len(head):]
                break
        return e

    def get(self, subs: tuple[str, ...] = ()) -> Any:
        try:
            return self.node.get(subs)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def get_or(self, subs: tuple[str, ...], default: Any = "") -> Any:
        try:
            return self.node.get_or(subs, default)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def set(self, subs: tuple[str, ...], v: Any) -> None:
        try:
            self.node.set(subs, v)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def set1(self, s: str, v: Any) -> None:
        self.set((s,), v)

    def next1(self, s: str) -> str:
        return self.order((s,), 1)

    def data(self, subs: tuple[str, ...] = ()) -> int:
        try:
            return int(self.node.data(subs))
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def has(self, subs: tuple[str, ...] = ()) -> bool:
        try:
            return bool(self.node.has(subs))
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def increment(self, subs: tuple[str, ...] = (), by: Any = 1) -> Any:
        try:
            return self.node.increment(subs, by)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def kill(self, subs: tuple[str, ...] = ()) -> None:
        try:
            self.node.kill(subs)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def zkill(self, subs: tuple[str, ...] = ()) -> None:
        try:
            self.node.zkill(subs)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def order(self, subs: tuple[str, ...], d: Any = 1) -> str:
        try:
            return str(self.node.order(subs, d))
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def order_value(self, subs: tuple[str, ...], d: Any = 1) -> tuple[str, Any]:
        try:
            found: tuple[str, Any] = self.node.order_value(subs, d)
        except ObjectScriptError as e:
            raise self._renamed(e) from None
        return found

    def query(self, subs: tuple[str, ...] = (), d: Any = 1) -> tuple[str, ...] | None:
        try:
            found: tuple[str, ...] | None = self.node.query(subs, d)
        except ObjectScriptError as e:
            raise self._renamed(e) from None
        return found

    def walk(self, subs: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
        try:
            yield from self.node.walk(subs)
        except ObjectScriptError as e:
            raise self._renamed(e) from None

    def same_variable(self, other: Any) -> bool:
        inner = other.node if type(other) is ExtendedGlobal else other
        return bool(self.node.same_variable(inner))

    def merge_from(self, subs: tuple[str, ...], other: Any, other_subs: tuple[str, ...]) -> None:
        inner = other.node if type(other) is ExtendedGlobal else other
        try:
            self.node.merge_from(subs, inner, other_subs)
        except ObjectScriptError as e:
            raise self._renamed(e) from None
