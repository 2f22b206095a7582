"""Translate ObjectScript INT routines and terminal lines to Python code objects.

``translate_routine(name, lines)`` parses the routine with the routine grammar, builds its
line model (labels, formal lists, dot levels, procedures), generates one Python function
per label section (``L_<label>``), per procedure, per dot block (``D_<row>``) and compiles
the module once. ``translate_line(text)`` does the same for a terminal line or an XECUTE
string (a line of the playground grammar, public variables only).

Every compiled module gets a unique file name registered in ``CODE_INFO`` with a table from
generated line numbers to ``Loc`` (label, offset, routine line): the process reads the
traceback only when an error happens to say ``label+offset^routine``.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import marshal
import pickle
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import tree_sitter_objectscript as _playground
from tree_sitter import Language, Parser
from tree_sitter import Node as TSNode

from compiler_stub.reading.grammars import parse_routine
from compiler_stub.runtime import values
from compiler_stub.runtime.codecache import source_id
from compiler_stub.runtime.codegen import (
    Fn,
    LineCompiler,
    Loc,
    Scope,
    TranslateError,
    first,
    named,
    pyname,
    text,
)
from compiler_stub.runtime.errors import ObjectScriptError
from compiler_stub.runtime.functions import FUNCTIONS, SET_FORMS, piece_at, piece_first

PLAYGROUND = Language(_playground.language_objectscript())

_COUNTER = itertools.count(1)
_LOCK = threading.Lock()


@dataclass
class CodeInfo:
    """What a compiled module's lines mean."""

    routine: str
    table: list[Loc | None]
    source: list[str]


#: file name of a compiled module -> its line table (bounded; oldest dropped)
CODE_INFO: OrderedDict[str, CodeInfo] = OrderedDict()
_CODE_INFO_MAX = 20000


def _register(info: CodeInfo, tag: str = "") -> str:
    """Record a module's line table under a new file name (``tag``, when given, names it
    for good: a module kept in the translation cache keeps its name in other processes)."""
    with _LOCK:
        fname = f"<objectscript:{info.routine or 'line'}:{tag or next(_COUNTER)}>"
        CODE_INFO[fname] = info
        while len(CODE_INFO) > _CODE_INFO_MAX:
            CODE_INFO.popitem(last=False)
    return fname


def code_location(code: Any, lineno: int, *, lines: bool = False
                  ) -> tuple[str, Loc] | None:
    """``(routine, location)`` of line ``lineno`` of a compiled module's ``code`` (a
    frame's ``f_code``); None for code that is not translated ObjectScript, or (unless
    ``lines``) a terminal line or XECUTE string's."""
    info = CODE_INFO.get(code.co_filename)
    if info is None or not (info.routine or lines):
        return None
    idx = lineno - 1
    loc = info.table[idx] if 0 <= idx < len(info.table) else None
    return None if loc is None else (info.routine, loc)


# --------------------------------------------------------------------------- arity

def _arity(fn: Any) -> tuple[int, int]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return 0, 99
    lo = hi = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            hi = 99
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            hi += 1
            if p.default is p.empty:
                lo += 1
    return lo, max(hi, lo)


_ARITY: dict[str, tuple[int, int]] = {}


def arity(name: str) -> tuple[int, int]:
    a = _ARITY.get(name)
    if a is None:
        a = _ARITY[name] = _arity(FUNCTIONS[name])
    return a


# --------------------------------------------------------------------------- line model

_LINE_HEAD = re.compile(r"^([%A-Za-z0-9][A-Za-z0-9]*)?(\([^)]*\))?([ \t.]*)")


@dataclass
class Line:
    row: int                       # 1-based routine line (0 for a terminal line)
    label: str | None = None
    formals: TSNode | None = None  # parameter_list of a label with a formal list
    level: int = 0
    cmds: list[TSNode] = field(default_factory=list)
    proc: TSNode | None = None
    error: bool = False


def _level(src: str) -> int:
    m = _LINE_HEAD.match(src)
    return m.group(3).count(".") if m else 0


def build_lines(stmts: list[TSNode], src_lines: list[str], row_base: int) -> dict[int, Line]:
    """The line model of a list of statements (a routine or a procedure body)."""
    lines: dict[int, Line] = {}

    def line(row: int) -> Line:
        ln = lines.get(row)
        if ln is None:
            src = src_lines[row - 1] if 0 < row <= len(src_lines) else ""
            ln = lines[row] = Line(row, level=_level(src))
        return ln

    for st in stmts:
        row = st.start_point.row + 1 + row_base
        if st.type == "ERROR" or st.is_missing:
            line(row).error = True
            continue
        if st.type != "statement":
            continue
        for inner in st.named_children:
            if inner.type == "tag_statement":
                ln = line(row)
                ln.label = text(first(inner, "tag") or inner)
                ln.formals = first(inner, "parameter_list")
            elif inner.type == "procedure":
                ln = line(row)
                ln.label = text(first(inner, "tag") or inner)
                ln.proc = inner
            elif inner.type.startswith("command_"):
                ln = line(row)
                ln.cmds.append(inner)
                if inner.has_error:
                    ln.error = True
                _hoist_dots(inner, line, row_base)
            elif inner.type == "ERROR":
                line(row).error = True
    return lines


def _hoist_dots(node: TSNode, line: Any, row_base: int) -> None:
    """Statements of dotted lines nested (by the grammar) in an argumentless DO: put each on
    its own line; the dot level comes from the line text."""
    stack = list(node.named_children)
    while stack:
        n = stack.pop()
        if n.type == "dotted_statement":
            for st in n.named_children:
                if st.type == "statement":
                    for c in st.named_children:
                        if c.type.startswith("command_"):
                            ln = line(c.start_point.row + 1 + row_base)
                            ln.cmds.append(c)
                            if c.has_error:
                                ln.error = True
            stack.extend(n.named_children)
            continue
        if n.type == "procedure":
            continue
        stack.extend(n.named_children)


def _is_dot_do(node: TSNode) -> bool:
    return node.type == "command_do" and bool(node.named_children) and \
        node.named_children[0].type == "keyword_do_old"


# --------------------------------------------------------------------------- the builder


class ModuleBuilder:
    """Builds the Python module of one routine (or one line)."""

    def __init__(self, routine: str, src_lines: list[str], row_base: int = 0,
                 debug: bool = False) -> None:
        self.routine = routine
        self.debug = debug
        self.src_lines = src_lines
        self.row_base = row_base
        self.consts: list[Any] = []
        self.const_index: dict[tuple[type, Any], str] = {}
        self.top: list[Fn] = []
        self.children: dict[int, list[Fn]] = {}        # id(Fn) -> nested Fns
        self.params: dict[int, str] = {}
        self.prologue: dict[int, list[str]] = {}
        self.epilogue: dict[int, list[tuple[str, Loc | None]]] = {}
        self.public_labels: dict[str, tuple[str, bool, bool]] = {}  # label -> (fn, proc, formals)
        self.jump_names: dict[str, str] = {}           # label -> J_ name (module level)
        self.lines: dict[int, Line] = {}               # current line model (scope being built)
        self.order: list[int] = []
        self.dot_fns: dict[int, str] = {}
        self.scope_stack: list[tuple[Scope, Fn | None]] = []
        self.privmap_fns: set[int] = set()
        self.private_procs: set[str] = set()
        self.entry_locs: dict[int, Loc] = {}      # id(Fn) -> its label line (prologue errors)

    # ---------------------------------------------------------------- constants etc.

    def const(self, v: Any) -> str:
        if type(v) is int:
            return repr(v)
        key = (type(v), v)
        name = self.const_index.get(key)
        if name is None:
            name = f"_k{len(self.consts)}"
            self.consts.append(v)
            self.const_index[key] = name
        return name

    def function(self, name: str, nargs: int) -> str:
        if name not in FUNCTIONS:
            raise TranslateError("FUNCTION")
        lo, hi = arity(name)
        if not lo <= nargs <= hi:
            raise TranslateError("SYNTAX")
        return f"F[{name!r}]"

    def set_form(self, name: str) -> str:
        if name not in SET_FORMS:
            raise TranslateError("SYNTAX")
        return f"SF[{name!r}]"

    # ---------------------------------------------------------------- calls and jumps

    def _local_target(self, lc: LineCompiler, label: str) -> tuple[str, bool, bool] | None:
        scope = lc.fn.scope
        if scope.proc and label in scope.inner_labels:
            return scope.inner_labels[label], False, False
        return self.public_labels.get(label)

    def call_expr(self, lc: LineCompiler, label: str, rtn: str, acts: str, want: bool,
                  offset: int = 0, with_args: bool = False) -> str:
        if rtn == "''" and not label.startswith(("'", '"')):
            raise TranslateError("SYNTAX")
        if rtn == "''" and offset == 0:
            lab = label[1:-1]
            tgt = self._local_target(lc, lab)
            if tgt is not None:
                fn, proc, _ = tgt
                return f"P.call_fn({fn}, _RN, {label}, {want}, {proc}{acts})"
            if not self.routine:
                # a terminal line, XECUTE or $ETRAP string: a label of the running routine
                return f"P.call_here({label}, {want}{acts})"
            return f"P.noline({label}, _RN)"
        r = "_RN" if rtn == "''" else rtn
        return f"P.call_ext({r}, {label}, {offset}, {want}{acts})"

    def jump_expr(self, lc: LineCompiler, label: str, rtn: str, offset: int) -> str:
        if rtn == "''" and offset == 0:
            lab = label[1:-1]
            scope = lc.fn.scope
            if scope.proc and lab in scope.inner_labels:
                return "J_" + scope.inner_labels[lab]
            if lab in self.public_labels and not scope.proc:
                return f"J_{self.public_labels[lab][0]}"
            if lab in self.public_labels:
                raise TranslateError("SYNTAX")
            if not self.routine:
                return f"P.jump_here({label})"
            return f"P.noline({label}, _RN)"
        r = "_RN" if rtn == "''" else rtn
        return f"P.jump({r}, {label}, {offset})"

    # ---------------------------------------------------------------- dot blocks

    def dot_block(self, lc: LineCompiler) -> None:
        row = lc.loc.row
        name = self.dot_fns.get(row)
        if name is None:
            name = self.dot_fns[row] = f"D_{row}"
            self._build_dot(row, name, lc)
        r = lc.tmp()
        lc.emit(f"{r} = P.dot({name})")
        lc.emit(f"if {r} is not None: return {r}")

    def _build_dot(self, row: int, name: str, lc: LineCompiler) -> None:
        lines, order = self.lines, self.order
        if row not in lines:
            body_rows: list[int] = []
        else:
            level = lines[row].level
            idx = order.index(row)
            body_rows = []
            for r in order[idx + 1:]:
                if lines[r].level <= level:
                    break
                if lines[r].level == level + 1:
                    body_rows.append(r)
        fn = Fn(name, lc.fn.scope, "dot")
        self.params[id(fn)] = "P"
        section_label, section_row = lc.loc.label, lc.loc.row - lc.loc.offset
        self.compile_lines(fn, body_rows, section_label, section_row)
        self.finish(fn, [("return None", None)])
        parent = self._owner(lc.fn)
        if parent is None:
            self.top.append(fn)
        else:
            self.children.setdefault(id(parent), []).append(fn)

    def _owner(self, fn: Fn) -> Fn | None:
        """The procedure Fn that nested functions of ``fn`` belong to (None: module)."""
        for scope, owner in reversed(self.scope_stack):
            if scope is fn.scope:
                return owner
        return None

    # ---------------------------------------------------------------- lines

    def compile_lines(self, fn: Fn, rows: list[int], label: str, label_row: int) -> None:
        for r in rows:
            ln = self.lines[r]
            loc = Loc(label, r - label_row, r)
            lc = LineCompiler(self, fn, loc)
            if ln.error:
                src = self.src_lines[r - 1] if 0 < r <= len(self.src_lines) else ""
                lc.emit(f"raise E({_syntax_kind_text(src)!r})")
                continue
            for cmd in ln.cmds:
                lc.loc = Loc(label, cmd.start_point.row + 1 + self.row_base - label_row,
                             cmd.start_point.row + 1 + self.row_base)
                start_loc = lc.loc
                mark = len(fn.body)
                try:
                    lc.command(cmd)
                except TranslateError as e:
                    del fn.body[mark:]
                    lc.depth = 1
                    lc.ctx.clear()
                    lc.loc = start_loc
                    lc.emit(f"raise E({e.code!r}, {e.detail!r})")
                    break
                lc.loc = loc

    def finish(self, fn: Fn, tail: list[tuple[str, Loc | None]]) -> None:
        self.epilogue[id(fn)] = tail

    # ---------------------------------------------------------------- rendering

    def render(self) -> tuple[str, list[Loc | None]]:
        out: list[str] = []
        table: list[Loc | None] = []
        for fn in self.top:
            self._render_fn(fn, 0, out, table)
        for label, (fname, _proc, _f) in self.public_labels.items():
            out.append(f"J_{fname} = _J({fname}, _RN, {label!r})")
            table.append(None)
        return "\n".join(out) + "\n", table

    def _render_fn(self, fn: Fn, indent: int, out: list[str], table: list[Loc | None]) -> None:
        pad = "    " * indent
        out.append(f"{pad}def {fn.name}({self.params.get(id(fn), 'P')}):")
        table.append(None)
        entry = self.entry_locs.get(id(fn))
        for line in self.prologue.get(id(fn), []):
            out.append(f"{pad}    {line}")
            table.append(entry)
        pubs = list(fn.pubs)
        if pubs:
            out.append(f"{pad}    _n = P.sym.node")
            table.append(None)
            for name in pubs:
                out.append(f"{pad}    n_{pyname(name)} = _n({name!r})")
                table.append(None)
        if id(fn) in self.privmap_fns:
            privs = sorted(fn.scope.privates)
            items = ", ".join(f"{n!r}: p_{pyname(n)}" for n in privs)
            out.append(f"{pad}    _privmap = lambda: {{{items}}}")
            table.append(None)
        for child in self.children.get(id(fn), []):
            self._render_fn(child, indent + 1, out, table)
        for depth, line, loc in fn.body:
            ipad = pad + "    " * depth
            if line == "#REFETCH":
                if pubs:
                    out.append(f"{ipad}_n = P.sym.node")
                    table.append(loc)
                    for name in pubs:
                        out.append(f"{ipad}n_{pyname(name)} = _n({name!r})")
                        table.append(loc)
                continue
            out.append(ipad + line)
            table.append(loc)
        for line, loc in self.epilogue.get(id(fn), []):
            out.append(f"{pad}    {line}")
            table.append(loc)

    def want_private_map(self, lc: LineCompiler) -> None:
        owner = self._owner(lc.fn)
        target = owner if owner is not None else lc.fn
        self.privmap_fns.add(id(target))

    # ---------------------------------------------------------------- routine

    def build_routine(self, root: TSNode) -> None:
        stmts = list(root.named_children)
        lines = build_lines(stmts, self.src_lines, self.row_base)
        self._build_scope(lines, Scope(), None)

    def _sections(self, lines: dict[int, Line]) -> list[tuple[str, int, list[int]]]:
        order = sorted(lines)
        sections: list[tuple[str, int, list[int]]] = []
        cur: tuple[str, int, list[int]] = ("", 0, [])
        for r in order:
            ln = lines[r]
            if ln.label is not None and ln.level == 0:
                if cur[2] or cur[0]:
                    sections.append(cur)
                cur = (ln.label, r, [])
            cur[2].append(r)
        if cur[2] or cur[0]:
            sections.append(cur)
        return sections

    def _build_scope(self, lines: dict[int, Line], scope: Scope, owner: Fn | None) -> None:
        saved = self.lines, self.order
        self.lines = lines
        self.order = sorted(lines)
        self.scope_stack.append((scope, owner))
        sections = self._sections(lines)
        # register label names first (forward references)
        for i, (label, _row, rows) in enumerate(sections):
            ln = lines[rows[0]] if rows else None
            if not label or (scope.proc and i == 0):
                continue
            if scope.proc:
                scope.inner_labels[label] = f"S_{pyname(label)}"
            elif ln is not None and ln.proc is not None:
                self.public_labels[label] = (f"L_{pyname(label)}", True, True)
                if first(ln.proc, "keyword_public") is None:
                    self.private_procs.add(label)
            else:
                self.public_labels[label] = (f"L_{pyname(label)}", False, ln is not None and
                                             ln.formals is not None)
        for i, (label, lrow, rows) in enumerate(sections):
            nxt = sections[i + 1] if i + 1 < len(sections) else None
            ln0 = lines[rows[0]] if rows else None
            if ln0 is not None and ln0.proc is not None and not scope.proc:
                self._build_procedure(label, lrow, ln0)
                continue
            if scope.proc and owner is not None and i == 0:
                fn = owner
            else:
                name = (scope.inner_labels.get(label, f"S_{lrow}") if scope.proc
                        else (f"L_{pyname(label)}" if label else "L__top"))
                fn = Fn(name, scope, "label")
                self.entry_locs[id(fn)] = Loc(label, 0, lrow)
                if not label and not scope.proc:
                    self.public_labels[""] = (name, False, False)
                self._label_prologue(fn, ln0.formals if ln0 is not None else None, scope)
                if owner is None:
                    self.top.append(fn)
                else:
                    self.children.setdefault(id(owner), []).append(fn)
            top_rows = [r for r in rows if lines[r].level == 0]
            self.compile_lines(fn, top_rows, label, lrow)
            tail: list[tuple[str, Loc | None]] = []
            last_loc = Loc(label, rows[-1] - lrow, rows[-1]) if rows else None
            if nxt is None:
                tail.append(("return None", last_loc))
            else:
                nl = lines[nxt[2][0]] if nxt[2] else None
                if nl is not None and (nl.formals is not None or nl.proc is not None):
                    tail.append(("return None", last_loc))
                elif scope.proc:
                    tail.append((f"return J_{scope.inner_labels[nxt[0]]}", last_loc))
                else:
                    tail.append((f"return J_{self.public_labels[nxt[0]][0]}", last_loc))
            if fn is owner:
                self.epilogue.setdefault(id(fn), []).extend(tail)
            else:
                self.finish(fn, tail)
        self.scope_stack.pop()
        self.lines, self.order = saved

    def _label_prologue(self, fn: Fn, formals: TSNode | None, scope: Scope) -> None:
        if formals is None:
            self.params[id(fn)] = "P, *_x"
            self.prologue[id(fn)] = ["if _x: raise E('PARAMETER')"]
            return
        try:
            names, defaults, variadic = self._formals(formals)
        except TranslateError:
            self.params[id(fn)] = "P, *_x"
            self.prologue[id(fn)] = ["raise E('SYNTAX')"]
            return
        params = ["P"] + [f"a_{pyname(n)}=_A" for n in names]
        params.append(f"*a_{pyname(variadic)}" if variadic else "*_x")
        self.params[id(fn)] = ", ".join(params)
        pro = [] if variadic else ["if _x: raise E('PARAMETER')"]
        allnames = names + ([variadic] if variadic else [])
        pro.append(f"P.sym.new({tuple(allnames)!r})")
        lc = LineCompiler(self, fn, Loc("", 0, 0))
        for n in names:
            a = f"a_{pyname(n)}"
            d = self._default(lc, defaults.get(n))
            pro.append(f"if type({a}) is _BR: P.sym.bind({n!r}, {a}.node)")
            if d is not None:
                pro.append(f"else: P.sym.node({n!r}).value = {a} if {a} is not _A else {d}")
            else:
                pro.append(f"elif {a} is not _A: P.sym.node({n!r}).value = {a}")
        if variadic:
            pro.append(f"P.fill_variadic(P.sym.node({variadic!r}), a_{pyname(variadic)})")
        self.prologue[id(fn)] = pro

    @staticmethod
    def _default(lc: LineCompiler, node: TSNode | None) -> str | None:
        """The Python expression of a formal's default; ``<PARAMETER>`` when it cannot be
        translated (IRIS takes literals only)."""
        if node is None:
            return None
        try:
            return lc.expr(node)
        except TranslateError:
            return "P.bad_default()"

    def _formals(self, formals: TSNode) -> tuple[list[str], dict[str, TSNode], str | None]:
        names: list[str] = []
        defaults: dict[str, TSNode] = {}
        variadic = None
        for tp in named(formals, "tag_parameter"):
            ma = first(tp, "method_arg")
            if ma is None:
                raise TranslateError("SYNTAX")
            va = None
            stack = [ma]
            while stack:
                n = stack.pop()
                if n.type == "variadic_arg":
                    va = n
                    break
                stack.extend(n.named_children)
            ident = None
            stack = [ma]
            while stack:
                n = stack.pop()
                if n.type == "objectscript_identifier":
                    ident = text(n)
                    break
                stack.extend(n.named_children)
            if ident is None:
                raise TranslateError("SYNTAX")
            if va is not None:
                variadic = ident
                continue
            names.append(ident)
            exprs = [c for c in tp.named_children if c.type == "expression"]
            if exprs:
                defaults[ident] = exprs[0]
        return names, defaults, variadic

    def _build_procedure(self, label: str, lrow: int, ln: Line) -> None:
        proc = ln.proc
        assert proc is not None
        pubvars = first(proc, "procedure_pub_vars")
        publics = frozenset(text(lv.named_children[0]) for lv in named(pubvars, "lvn")) \
            if pubvars is not None else frozenset()
        scope = Scope(proc=True, publics=publics, label=label)
        fn = Fn(f"L_{pyname(label)}", scope, "proc")
        self.entry_locs[id(fn)] = Loc(label, 0, lrow)
        self.top.append(fn)
        formals = first(proc, "parameter_list")
        bad = False
        try:
            names, defaults, variadic = (self._formals(formals) if formals is not None
                                         else ([], {}, None))
        except TranslateError:
            names, defaults, variadic, bad = [], {}, None, True
        params = ["P"] + [f"a_{pyname(n)}=_A" for n in names]
        params.append(f"*a_{pyname(variadic)}" if variadic else "*_x")
        self.params[id(fn)] = ", ".join(params)
        for n in names + ([variadic] if variadic else []):
            if scope.is_private(n):
                scope.privates.add(n)
        body = [c for c in proc.named_children if c.type in ("statement", "ERROR")]
        plines = build_lines(body, self.src_lines, self.row_base)
        # the label line itself: the procedure's first line (offset 0)
        if lrow not in plines:
            plines[lrow] = Line(lrow, level=0)
        plines[lrow].label = label
        plines[lrow].proc = None
        self._build_scope(plines, scope, fn)
        # prologue: formals and privates (now that all names are known)
        pro: list[str] = [] if variadic else ["if _x: raise E('PARAMETER')"]
        if bad:
            pro.insert(0, "raise E('SYNTAX')")
        lc = LineCompiler(self, fn, Loc(label, 0, lrow))
        bound = set()
        pub_formals = []
        for n in names:
            a = f"a_{pyname(n)}"
            d = self._default(lc, defaults.get(n)) or "_M"
            if scope.is_private(n):
                pro.append(f"p_{pyname(n)} = {a}.node if type({a}) is _BR else "
                           f"Node({n!r}, {a} if {a} is not _A else {d})")
                bound.add(n)
            else:
                pub_formals.append((n, a, d))
        if pub_formals:
            pro.append(f"P.sym.new({tuple(n for n, _, _ in pub_formals)!r})")
            for n, a, d in pub_formals:
                pro.append(f"if type({a}) is _BR: P.sym.bind({n!r}, {a}.node)")
                pro.append(f"else: P.sym.node({n!r}).value = {a} if {a} is not _A else {d}")
        if variadic:
            vn = f"p_{pyname(variadic)}" if scope.is_private(variadic) else None
            if vn:
                pro.append(f"{vn} = Node({variadic!r})")
                pro.append(f"P.fill_variadic({vn}, a_{pyname(variadic)})")
                bound.add(variadic)
            else:
                pro.append(f"P.sym.new(({variadic!r},))")
                pro.append(f"P.fill_variadic(P.sym.node({variadic!r}), a_{pyname(variadic)})")
        for n in sorted(scope.privates - bound):
            pro.append(f"p_{pyname(n)} = Node({n!r})")
        for lab, sname in scope.inner_labels.items():
            if sname != fn.name:
                pro.append(f"J_{sname} = _J({sname}, _RN, {lab!r})")
        self.prologue[id(fn)] = pro + self.prologue.get(id(fn), [])
        # inner label functions are defined (as closures) before the Jumps that name them
        self._move_jumps_after_children(fn)

    def _move_jumps_after_children(self, fn: Fn) -> None:
        pro = self.prologue[id(fn)]
        jumps = [x for x in pro if x.startswith("J_")]
        rest = [x for x in pro if not x.startswith("J_")]
        self.prologue[id(fn)] = rest
        if jumps:
            # children are rendered after the prologue; jumps go first in the body
            fn.body[0:0] = [(1, j, None) for j in jumps]

    # ---------------------------------------------------------------- terminal line

    def build_line(self, root: TSNode, fn_name: str) -> None:
        stmts = list(root.named_children)
        lines = build_lines(stmts, self.src_lines, self.row_base)
        if not lines:
            lines = {1: Line(1)}
        self.lines = lines
        self.order = sorted(lines)
        scope = Scope()
        self.scope_stack.append((scope, None))
        fn = Fn(fn_name, scope, "line")
        self.params[id(fn)] = "P"
        self.top.append(fn)
        rows = [r for r in self.order if lines[r].level == 0 or r == self.order[0]]
        self.compile_lines(fn, rows[:1] if rows else [], "", rows[0] if rows else 1)
        self.finish(fn, [("return None", None)])
        self.scope_stack.pop()


# --------------------------------------------------------------------------- results


@dataclass
class LabelEntry:
    fn: Any
    procedure: bool
    formals: bool
    public: bool = True


class RoutineCode:
    """A translated routine: its labels (public scope and procedures), its source lines and
    the globals of its module (offset entries are compiled into them on demand). The line
    model (``lines``) is built when first needed: a routine loaded from the translation
    cache has only its label rows."""

    def __init__(self, name: str, version: Any, source: list[str], namespace: dict[str, Any],
                 labels: dict[str, LabelEntry], lines: dict[int, Line] | None,
                 procs: dict[str, tuple[int, int]],
                 label_rows: dict[str, int] | None = None) -> None:
        self.name = name
        self.version = version
        self.source = source
        self.namespace = namespace
        self.labels = labels
        self._lines = lines
        self.procs = procs
        self.offsets: dict[tuple[str, int], Any] = {}
        self.debug = False
        if label_rows is None:
            label_rows = {ln.label: r for r, ln in self.lines.items() if ln.label is not None}
        self.label_rows = label_rows

    @property
    def lines(self) -> dict[int, Line]:
        """Routine row -> its line (label, level, commands), built from the source once."""
        if self._lines is None:
            tree = parse_routine("\n".join(self.source))
            self._lines = build_lines(list(tree.root_node.named_children), self.source, 0)
        return self._lines

    def entry(self, label: str, offset: int, outside: bool = False) -> tuple[Any, bool]:
        """(function, is_procedure) for ``label+offset``; ``<NOLINE>`` when there is none
        (or, called from ``outside`` the routine, when it is a private procedure)."""
        if offset == 0:
            e = self.labels.get(label)
            if e is None or (outside and not e.public):
                raise ObjectScriptError("NOLINE", f"{label}^{self.name}")
            return e.fn, e.procedure
        key = (label, offset)
        fn = self.offsets.get(key)
        if fn is None:
            fn = self.offsets[key] = self._compile_offset(label, offset)
        return fn, False

    def _compile_offset(self, label: str, offset: int) -> Any:
        base = self.label_rows.get(label) if label else 0
        if base is None or label in self.procs:
            raise ObjectScriptError("NOLINE", f"{label}+{offset}^{self.name}")
        row = base + offset
        if row < 1 or row > len(self.source):
            raise ObjectScriptError("NOLINE", f"{label}+{offset}^{self.name}")
        for start, end in self.procs.values():
            if start <= row <= end:
                raise ObjectScriptError("NOLINE", f"{label}+{offset}^{self.name}")
        ordered = sorted(self.lines)
        # the section the row falls in, and the rows from it to the next label
        sec_label, sec_row = "", 0
        for r in ordered:
            if r > row:
                break
            ln = self.lines[r]
            if ln.label is not None and ln.level == 0:
                sec_label, sec_row = ln.label, r
        rows = [r for r in ordered if r >= row and self.lines[r].level == 0]
        stop = next((r for r in rows if r > row and self.lines[r].label is not None), None)
        rows = [r for r in rows if stop is None or r < stop]
        text_ = "\n".join(self.source)
        tree = parse_routine(text_)
        mb = ModuleBuilder(self.name, self.source, debug=self.debug)
        lines = build_lines(list(tree.root_node.named_children), self.source, 0)
        mb.lines = lines
        mb.order = sorted(lines)
        for lab, e in self.labels.items():
            mb.public_labels[lab] = (f"L_{pyname(lab)}", e.procedure, e.formals)
        scope = Scope()
        mb.scope_stack.append((scope, None))
        fn = Fn(f"O_{row}_{next(_COUNTER)}", scope, "offset")
        mb.params[id(fn)] = "P, *_x"
        mb.prologue[id(fn)] = ["if _x: raise E('PARAMETER')"]
        mb.top.append(fn)
        mb.compile_lines(fn, [r for r in rows if r in lines], sec_label, sec_row)
        tail = "return None"
        if stop is not None:
            nl = lines[stop]
            if nl.formals is None and nl.proc is None and nl.label in self.labels:
                tail = f"return J_L_{pyname(nl.label)}"
        mb.finish(fn, [(tail, None)])
        src, table = mb.render()
        src = "\n".join(x for x in src.splitlines() if not x.startswith("J_")) + "\n"
        table = table[:len(src.splitlines())]
        fname = _register(CodeInfo(self.name, table, self.source))
        ns = self.namespace
        for i, v in enumerate(mb.consts):
            ns[f"_k{i}_o{id(mb)}"] = v
        src = _rename_consts(src, mb, f"_o{id(mb)}")
        exec(compile(src, fname, "exec"), ns)  # noqa: S102 - our own generated code
        return ns[fn.name]


def _rename_consts(src: str, mb: ModuleBuilder, suffix: str) -> str:
    if not mb.consts:
        return src
    return re.sub(r"\b(_k\d+)\b", lambda m: m.group(1) + suffix, src)


class LineCode:
    """A translated terminal line or XECUTE string."""

    def __init__(self, fn: Any, source: str) -> None:
        self.fn = fn
        self.source = source


# --------------------------------------------------------------------------- module globals

_BASE_GLOBALS: dict[str, Any] | None = None


def module_globals() -> dict[str, Any]:
    """A fresh globals dict for a generated module."""
    global _BASE_GLOBALS
    if _BASE_GLOBALS is None:
        from compiler_stub.runtime import frames, lists, variables  # noqa: PLC0415
        _BASE_GLOBALS = {
            "__builtins__": __builtins__,
            "V": values, "F": FUNCTIONS, "SF": SET_FORMS, "_M": variables.MISSING,
            "Node": variables.Node, "_A": frames.MISSING, "_BR": frames.ByRef,
            "_J": frames.Jump, "E": ObjectScriptError, "_END": lists.End,
            "_CATCHABLE": (ObjectScriptError, frames.ThrownObject) + frames.PYTHON_ERRORS,
            "Decimal": Decimal, "_PIECE": piece_at, "_PIECE1": piece_first,
        }
    return dict(_BASE_GLOBALS)


# --------------------------------------------------------------------------- entry points


def _strip_header(lines: list[str]) -> list[str]:
    if lines and lines[0].upper().startswith("ROUTINE "):
        return list(lines[1:])
    return list(lines)


def translate_routine(name: str, lines: list[str], version: Any = None,
                      debug: bool = False, cache: TranslationCache | None = None) -> RoutineCode:
    """Translate INT lines (with or without the ``ROUTINE`` header) of routine ``name``.
    ``debug``: the debugger build, with ``P.debug_hook(P, routine, label, offset, line, col,
    end)`` before every command (when a hook is set). ``cache``: where translations are
    kept across processes (keyed by the routine's name and text, the build and the
    translator's own code)."""
    src = _strip_header(lines)
    src = [x.rstrip("\r") for x in src]
    key = _cache_key(name, src, debug) if cache is not None else b""
    if cache is not None:
        kept = cache.get(key)
        if kept is not None:
            rc = _from_cache(name, version, src, debug, kept)
            if rc is not None:
                return rc
    tree = parse_routine("\n".join(src))
    mb = ModuleBuilder(name, src, debug=debug)
    mb.build_routine(tree.root_node)
    code, table = mb.render()
    info = CodeInfo(name, table, src)
    fname = _register(info, key.hex()[:24] if cache is not None else "")
    ns = module_globals()
    ns["_RN"] = name
    for i, v in enumerate(mb.consts):
        ns[f"_k{i}"] = v
    try:
        module = compile(code, fname, "exec")
        exec(module, ns)  # noqa: S102 - our own generated code
    except SyntaxError as e:  # a translator bug: report it as <SYNTAX> at run time
        raise ObjectScriptError("SYNTAX", f"translator: {e.msg} (line {e.lineno})") from e
    labels = {lab: LabelEntry(ns[fname_], proc, formals, lab not in mb.private_procs)
              for lab, (fname_, proc, formals) in mb.public_labels.items()}
    lines_model = build_lines(list(tree.root_node.named_children), src, 0)
    procs: dict[str, tuple[int, int]] = {}
    for r, ln in lines_model.items():
        if ln.proc is not None and ln.label is not None:
            procs[ln.label] = (r, ln.proc.end_point.row + 1)
    rc = RoutineCode(name, version, src, ns, labels, lines_model, procs)
    rc.debug = debug
    rc.generated = code  # type: ignore[attr-defined]
    if cache is not None:
        kept = _to_cache(module, table, mb, rc)
        if kept is not None:
            cache.put(key, kept)
    return rc


# --------------------------------------------------------------------------- translation cache


class TranslationCache(Protocol):
    """Translated routines kept across processes: bytes by key (``None``: not kept)."""

    def get(self, key: bytes) -> bytes | None: ...

    def put(self, key: bytes, data: bytes) -> None: ...


#: what the generated code depends on: the runtime's own source files (read when the module
#: is imported: a session's process reads no files once locked down)
_TRANSLATOR_ID = source_id("compiler_stub.runtime")


def _cache_key(name: str, src: list[str], debug: bool) -> bytes:
    h = hashlib.sha256(_TRANSLATOR_ID)
    h.update(f"{name}\0{int(debug)}\0".encode("utf-8", "surrogatepass"))
    h.update("\n".join(src).encode("utf-8", "surrogatepass"))
    return h.digest()


def _to_cache(module: Any, table: list[Loc | None], mb: ModuleBuilder,
              rc: RoutineCode) -> bytes | None:
    """A translated routine as kept: its module's code object (``marshal``) and what
    ``RoutineCode`` needs besides (``pickle``); None when a constant cannot be kept."""
    meta = ([None if t is None else (t.label, t.offset, t.row) for t in table],
            list(mb.consts), dict(mb.public_labels), sorted(mb.private_procs),
            rc.label_rows, rc.procs, module.co_filename)
    try:
        return pickle.dumps((marshal.dumps(module), meta), protocol=pickle.HIGHEST_PROTOCOL)
    except (ValueError, TypeError, pickle.PicklingError):
        return None


def _from_cache(name: str, version: Any, src: list[str], debug: bool,
                kept: bytes) -> RoutineCode | None:
    """A routine from the cache (None when the entry cannot be read: translate again)."""
    try:
        code_bytes, meta = pickle.loads(kept)  # noqa: S301 - written by this runtime
        module = marshal.loads(code_bytes)
        table_, consts, public_labels, private_procs, label_rows, procs, fname = meta
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss
        return None
    locs: dict[tuple[Any, ...], Loc] = {}  # one Loc per place (many lines share one)
    table = [None if t is None else locs.get(t) or locs.setdefault(t, Loc(*t))
             for t in table_]
    with _LOCK:  # the code's own file name: error locations and the stack find its lines
        CODE_INFO[fname] = CodeInfo(name, table, src)
        while len(CODE_INFO) > _CODE_INFO_MAX:
            CODE_INFO.popitem(last=False)
    ns = module_globals()
    ns["_RN"] = name
    for i, v in enumerate(consts):
        ns[f"_k{i}"] = v
    exec(module, ns)  # noqa: S102 - our own generated code
    privates = set(private_procs)
    labels = {lab: LabelEntry(ns[fname_], proc, formals, lab not in privates)
              for lab, (fname_, proc, formals) in public_labels.items()}
    rc = RoutineCode(name, version, src, ns, labels, None, procs, label_rows)
    rc.debug = debug
    return rc


_LINE_CACHE: OrderedDict[str, LineCode] = OrderedDict()
_LINE_CACHE_MAX = 2000


def translate_line(line_text: str, debug: bool = False) -> LineCode:
    """Translate one terminal line (or XECUTE string); cached by text."""
    key = ("\x00D" if debug else "") + line_text
    hit = _LINE_CACHE.get(key)
    if hit is not None:
        _LINE_CACHE.move_to_end(key)
        return hit
    src = line_text if line_text[:1] in (" ", "\t") else " " + line_text
    src = src.replace("\r", "").replace("\n", " ")
    tree = Parser(PLAYGROUND).parse(src.encode("utf-8"))
    mb = ModuleBuilder("", [src], debug=debug)
    root = tree.root_node
    if root.has_error:
        code = f"def X(P):\n    raise E({_syntax_kind(root)!r})\n"
        table: list[Loc | None] = [None, Loc("", 0, 0)]
    else:
        mb.build_line(root, "X")
        code, table = mb.render()
    fname = _register(CodeInfo("", table, [src]))
    ns = module_globals()
    ns["_RN"] = ""
    for i, v in enumerate(mb.consts):
        ns[f"_k{i}"] = v
    try:
        exec(compile(code, fname, "exec"), ns)  # noqa: S102 - our own generated code
    except SyntaxError as e:
        raise ObjectScriptError("SYNTAX", f"translator: {e.msg}") from e
    lc = LineCode(ns["X"], src)
    lc.generated = code  # type: ignore[attr-defined]
    _LINE_CACHE[key] = lc
    while len(_LINE_CACHE) > _LINE_CACHE_MAX:
        _LINE_CACHE.popitem(last=False)
    return lc


_FN_CALL = re.compile(r"(?<![$\w])\$([A-Za-z][A-Za-z0-9]*)\(")


def _syntax_kind(root: TSNode) -> str:
    """``FUNCTION`` for a line calling an unknown ``$function(``, else ``SYNTAX``."""
    return _syntax_kind_text(text(root))


def _syntax_kind_text(src: str) -> str:
    from compiler_stub.runtime.codegen import FUNC_ALIASES  # noqa: PLC0415
    for m in _FN_CALL.finditer(src):
        name = "$" + m.group(1).upper()
        if name not in FUNCTIONS and name not in FUNC_ALIASES:
            return "FUNCTION"
    return "SYNTAX"


_REF_CACHE: OrderedDict[str, Any] = OrderedDict()


def translate_ref(name_text: str) -> Any:
    """Name indirection: a function ``(P) -> (node, subscripts)`` for a reference text such
    as ``x``, ``x(1,"a")`` or ``^g(i)``; cached by text. ``<SYNTAX>`` if it is not one."""
    hit = _REF_CACHE.get(name_text)
    if hit is not None:
        return hit
    src = f" set {name_text}=1"
    tree = Parser(PLAYGROUND).parse(src.encode("utf-8"))
    root = tree.root_node
    st = first(root, "statement")
    cmd = first(st, "command_set") if st is not None else None
    args = named(cmd, "set_argument") if cmd is not None else []
    tgt = first(args[0], "set_target") if len(args) == 1 else None
    inner = tgt.named_children[0] if tgt is not None and tgt.named_children else None
    if root.has_error or inner is None or inner.type not in ("lvn", "gvn"):
        raise ObjectScriptError("SYNTAX")
    mb = ModuleBuilder("", [src])
    scope = Scope()
    fn = Fn("R", scope, "line")
    lc = LineCompiler(mb, fn, Loc("", 0, 0))
    try:
        n, s = lc.ref(inner)
    except TranslateError as e:
        raise ObjectScriptError(e.code) from None
    fn.body.append((1, f"return {n}, {s}", None))
    mb.top.append(fn)
    code, table = mb.render()
    fname = _register(CodeInfo("", table, [src]))
    ns = module_globals()
    ns["_RN"] = ""
    for i, v in enumerate(mb.consts):
        ns[f"_k{i}"] = v
    exec(compile(code, fname, "exec"), ns)  # noqa: S102 - our own generated code
    _REF_CACHE[name_text] = ns["R"]
    while len(_REF_CACHE) > _LINE_CACHE_MAX:
        _REF_CACHE.popitem(last=False)
    return ns["R"]


__all__ = [
    "CODE_INFO", "CodeInfo", "LineCode", "RoutineCode", "TranslationCache", "first", "named",
    "translate_line", "translate_ref", "translate_routine",
]
