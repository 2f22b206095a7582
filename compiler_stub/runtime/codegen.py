"""ObjectScript (tree-sitter tree) -> Python source.

The generator works on one *Python function* at a time (``Fn``): a label section, a dot
block, a procedure, a terminal line or an XECUTE string. Every emitted line carries the
ObjectScript location it came from (``Loc``), so that an error can be mapped back to
``label+offset^routine`` from the traceback alone: nothing is recorded while code runs.

Conventions of the generated code (the names are bound in the module's globals by
``translate.module_globals``):

* ``P`` the ``Process``; ``V`` the values module; ``F`` the intrinsic functions;
  ``SF`` the SET forms; ``_M`` the missing-value marker of a ``Node``; ``_A`` an omitted
  argument; ``_BR`` by-reference wrapper; ``_J`` ``Jump``; ``E`` ``ObjectScriptError``.
* a public variable ``x`` is the node ``n_x`` fetched once at function entry (re-fetched
  after a NEW); a private variable of a procedure is ``p_x``, a closure cell of the
  procedure's function.
* a label function returns ``None`` (QUIT), a value (QUIT value) or a ``Jump`` (GOTO or
  fall-through into the next label), followed by the caller's trampoline.

ObjectScript evaluates expressions strictly left to right: ``2+3*4`` is 20.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node as TSNode

from compiler_stub.runtime import values as V

# --------------------------------------------------------------------------- errors


class TranslateError(Exception):
    """A construct that cannot be translated: becomes ``<SYNTAX>`` (or ``code``) at run
    time, raised when the command is reached."""

    def __init__(self, code: str = "SYNTAX", detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


def text(node: TSNode) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def named(node: TSNode, *types: str) -> list[TSNode]:
    return [c for c in node.named_children if c.type in types]


def first(node: TSNode, *types: str) -> TSNode | None:
    for c in node.named_children:
        if c.type in types:
            return c
    return None


def has_error(node: TSNode) -> bool:
    return node.has_error


def _json_text(src: str) -> str:
    """The string a JSON string literal stands for (JSON escapes)."""
    import json  # noqa: PLC0415 - only for JSON literals

    try:
        v = json.loads(src)
    except ValueError:
        return src[1:-1]
    return v if isinstance(v, str) else src[1:-1]


def pyname(name: str) -> str:
    """A Python identifier for an ObjectScript name (``%x`` -> ``_px``)."""
    return name.replace("%", "_p")


_NODES1 = "P.gstore.nodes["


def gname1(r1: tuple[str, str]) -> str:
    """The global's name (a Python string literal) of a ``ref1`` global fast path."""
    assert r1[0].startswith(_NODES1)
    return r1[0][len(_NODES1):-1]


# --------------------------------------------------------------------------- names

SPECIAL_VARS = {
    "$T": "test", "$TEST": "test", "$X": "x", "$Y": "y", "$ZE": "zerror", "$ZERROR": "zerror",
    "$EC": "ecode", "$ECODE": "ecode", "$NAMESPACE": "namespace", "$ZNSPACE": "namespace",
    "$J": "job", "$JOB": "job", "$H": "horolog", "$HOROLOG": "horolog",
    "$ZTS": "ztimestamp", "$ZTIMESTAMP": "ztimestamp", "$ZV": "zversion",
    "$ZVERSION": "zversion", "$ST": "stack", "$STACK": "stack", "$TL": "tlevel",
    "$TLEVEL": "tlevel", "$I": "io", "$IO": "io", "$ZPOS": "zpos", "$THIS": "this",
    "$ZN": "zname", "$ZNAME": "zname", "$Q": "quit", "$QUIT": "quit", "$ZH": "zhorolog",
    "$ZHOROLOG": "zhorolog", "$ZT": "ztrap", "$ZTRAP": "ztrap", "$ET": "etrap",
    "$ETRAP": "etrap", "$ES": "estack", "$ESTACK": "estack", "$P": "principal",
    "$PRINCIPAL": "principal", "$USERNAME": "username", "$ROLES": "roles",
    "$ZTIMEZONE": "ztimezone", "$ZTZ": "ztimezone", "$D": "device", "$DEVICE": "device",
    "$K": "key", "$KEY": "key", "$ZJOB": "zjob", "$ZJ": "zjob", "$ZPI": "zpi", "$ZEOF": "zeof",
    "$ZREFERENCE": "zreference", "$ZR": "zreference", "$ZCHILD": "zchild", "$ZC": "zchild",
    "$ZPARENT": "zparent", "$ZP": "zparent", "$ZMODE": "zmode", "$ZM": "zmode",
    "$ZSTORAGE": "zstorage", "$ZS": "zstorage", "$ZTRAPX": "ztrap", "$SYSTEM": "system",
    "$ZU": "zu", "$ZEXCEPTION": "zexception",
}
SETTABLE_SPECIALS = {"test", "x", "y", "zerror", "ecode", "namespace", "ztrap", "etrap",
                     "key", "zstorage", "zreference"}

FUNC_ALIASES = {
    "$D": "$DATA", "$DATA": "$DATA", "$G": "$GET", "$GET": "$GET", "$O": "$ORDER",
    "$ORDER": "$ORDER", "$Q": "$QUERY", "$QUERY": "$QUERY", "$I": "$INCREMENT",
    "$INCREMENT": "$INCREMENT", "$NA": "$NAME", "$NAME": "$NAME", "$S": "$SELECT",
    "$SELECT": "$SELECT", "$CASE": "$CASE", "$T": "$TEXT", "$TEXT": "$TEXT",
    "$LISTNEXT": "$LISTNEXT", "$LB": "$LISTBUILD", "$LISTBUILD": "$LISTBUILD",
    "$ZOBJCLASSMETHOD": "$CLASSMETHOD", "$CLASSMETHOD": "$CLASSMETHOD",
    "$CLASSNAME": "$CLASSNAME", "$ISOBJECT": "$ISOBJECT", "$ZU": "$ZU",
    "$ZUTIL": "$ZU", "$STACK": "$STACK", "$ST": "$STACK", "$XECUTE": "$XECUTE",
    "$ZDATA": "$DATA", "$ZORDER": "$QUERY", "$ZO": "$QUERY", "$PROPERTY": "$PROPERTY",
    "$METHOD": "$METHOD", "$PARAMETER": "$PARAMETER", "$ZB": "$ZBOOLEAN",
    "$ZBOOLEAN": "$ZBOOLEAN", "$SYSTEM": "$SYSTEM", "$ZSEARCH": "$ZSEARCH",
    "$ZSEEK": "$ZSEEK", "$ZTRAP": "$ZTRAP", "$ZF": "$ZF", "$VIEW": "$VIEW", "$V": "$VIEW",
}
REF_FUNCS = {"$DATA", "$GET", "$ORDER", "$QUERY", "$INCREMENT", "$NAME", "$LISTNEXT"}

_FNAME_RE = re.compile(r"\$[A-Za-z%][A-Za-z0-9]*")

BINOPS = {
    "+": "V.add", "-": "V.sub", "*": "V.mul", "/": "V.div", "\\": "V.idiv", "#": "V.mod",
    "**": "V.power", "_": "V.concat", "=": "V.eq", "'=": "V.ne", "<": "V.lt", ">": "V.gt",
    "<=": "V.le", ">=": "V.ge", "'<": "V.ge", "'>": "V.le", "[": "V.contains",
    "'[": "!V.contains", "]": "V.follows", "']": "!V.follows", "]]": "V.sorts_after",
    "']]": "!V.sorts_after",
}
_INT_FAST = {"+": "+", "-": "-", "*": "*"}
_INT_CMP = {"<": "<", ">": ">", "=": "==", "'=": "!=", "<=": "<=", ">=": ">=",
            "'<": ">=", "'>": "<="}
_TYPED_OPS = _INT_FAST.keys() | _INT_CMP.keys() | {"#"}
# intrinsics that neither change a variable nor run ObjectScript code (a FOR loop's variable
# stays a Python local across them); and those that may run code
_PURE_FUNCS = frozenset({
    "$PIECE", "$P", "$EXTRACT", "$E", "$LENGTH", "$L", "$FIND", "$F", "$TRANSLATE", "$TR",
    "$REPLACE", "$ZCONVERT", "$ZCVT", "$ASCII", "$A", "$CHAR", "$C", "$JUSTIFY", "$J",
    "$FNUMBER", "$FN", "$NUMBER", "$NUM", "$GET", "$G", "$SELECT", "$S", "$CASE", "$LIST",
    "$LI", "$LISTBUILD", "$LB", "$LISTLENGTH", "$LL", "$LISTGET", "$LG", "$LISTFIND", "$LF",
    "$REVERSE", "$RE", "$ZSTRIP", "$ZABS", "$ISVALIDNUM", "$LISTSAME", "$LS",
})
_CODE_FUNCS = frozenset({"$XECUTE", "$CLASSMETHOD", "$METHOD", "$PROPERTY", "$ZU", "$SYSTEM",
                         "$ZF"})
_MAXM = 9_223_372_036_854_775_807
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT_LITERAL = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Loc:
    """Where generated code comes from: the label, the offset from it, the routine line
    (1-based, 0 for none) and the column of the command."""

    label: str
    offset: int
    row: int


@dataclass(eq=False)
class Ctx:
    """A block that QUIT/CONTINUE may target while generating code."""

    kind: str                # "loop" (FOR/WHILE/DO-WHILE), "try" (TRY/CATCH body)
    pyloop: bool             # it is a Python loop (break/continue work directly)
    flag: str = ""           # flag variable of a dummy loop (try bodies)
    needs_flag: bool = False


@dataclass
class Scope:
    """The variable scope of a routine part: public code, or one procedure."""

    proc: bool = False
    publics: frozenset[str] = frozenset()
    privates: set[str] = field(default_factory=set)
    label: str = ""                       # the procedure's label
    inner_labels: dict[str, str] = field(default_factory=dict)   # label -> python fn name

    def is_private(self, name: str) -> bool:
        return self.proc and name not in self.publics and not name.startswith("%")


class Fn:
    """One Python function being generated."""

    def __init__(self, name: str, scope: Scope, kind: str) -> None:
        self.name = name
        self.scope = scope
        self.kind = kind              # "label", "dot", "line", "proc", "offset", "xecute"
        self.body: list[tuple[int, str, Loc | None]] = []
        self.pubs: dict[str, None] = {}
        self.temp = 0
        self.has_new = False


class LineCompiler:
    """Turns commands (tree nodes) into Python statements inside an ``Fn``."""

    def __init__(self, gen: Any, fn: Fn, loc: Loc, depth: int = 1) -> None:
        self.gen = gen            # the translate.ModuleBuilder (constants, routine info)
        self.fn = fn
        self.loc = loc
        self.depth = depth
        self.ctx: list[Ctx] = []
        self.loopvals: dict[str, str] = {}   # loop variables whose value is a Python local
        self.int_loopvals: set[str] = set()  # ... of those, the ones known to be ints
        # generated expressions known to give a Python int without side effects or errors
        # (integer literals, integer loop values, +, - and # by a literal of those)
        self.int_codes: set[str] = set()
        # comparison expressions (giving 1/0) -> the same test as a Python bool expression
        self.bool_codes: dict[str, str] = {}

    # ------------------------------------------------------------------ emitting

    def emit(self, line: str) -> None:
        self.fn.body.append((self.depth, line, self.loc))

    def tmp(self) -> str:
        self.fn.temp += 1
        return f"_t{self.fn.temp}"

    def const(self, value: Any) -> str:
        return str(self.gen.const(value))

    # ------------------------------------------------------------------ variables

    def var(self, name: str) -> str:
        """The Python expression of the node of variable ``name``."""
        if self.fn.scope.is_private(name):
            self.fn.scope.privates.add(name)
            return "p_" + pyname(name)
        self.fn.pubs[name] = None
        return "n_" + pyname(name)

    def subs(self, args_node: TSNode | None, last_raw: bool = False) -> str:
        """A tuple expression of subscript strings from a ``method_args`` node."""
        if args_node is None:
            return "()"
        items = self.arg_list(args_node)
        parts = []
        for item in items:
            if item is None:
                raise TranslateError("SYNTAX")
            parts.append(self.sub_expr(item))
        if not parts:
            return "()"
        return "(" + ", ".join(parts) + ",)"

    def sub_expr(self, node: TSNode) -> str:
        """A subscript: the string form of an expression."""
        inner = self.unwrap_arg(node)
        if inner.type == "numeric_literal":
            return repr(V.to_str(V.num(text(inner))))
        if inner.type == "string_literal":
            return repr(_string_literal(text(inner)))
        if inner.type == "lvn" and first(inner, "method_args") is None:
            name = text(inner.named_children[0])
            if name not in self.loopvals:
                # a variable: its value read once, type-tested first, MISSING last
                t = self.tmp()
                return (f"({t} if type({t} := {self.var(name)}.value) is str else str({t}) "
                        f"if type({t}) is int else V.to_str({t}) if {t} is not _M "
                        f"else P.undef({name!r}))")
        e = self.expr(inner)
        if self.is_int(e):
            return f"str({e})"
        t = self.tmp()
        # integers are canonical by construction: str() is their subscript form
        return (f"({t} if type({t} := {e}) is str else str({t}) if type({t}) is int "
                f"else V.to_str({t}))")

    def is_int(self, code: str) -> bool:
        """``code`` is known to give a Python int, without side effects or errors."""
        return (code in self.int_codes or code in self.int_loopvals
                or _INT_LITERAL.fullmatch(code) is not None)

    def truth_of(self, code: str) -> str:
        """A Python bool expression for the truth value of the generated ``code``."""
        b = self.bool_codes.get(code)
        if b is not None:
            return b
        if self.is_int(code):
            return f"({code} != 0)"
        return f"V.truth({code})"

    def cond(self, node: TSNode) -> str:
        """The truth value of an expression node as a Python bool expression."""
        return self.truth_of(self.expr(node))

    def unwrap_arg(self, node: TSNode) -> TSNode:
        """``method_arg`` -> its expression; a one-operand ``expression`` -> the operand."""
        while True:
            if node.type == "method_arg" and node.named_child_count == 1:
                node = node.named_children[0]
                continue
            if node.type == "expression" and node.child_count == 1:
                node = node.children[0]
                continue
            return node

    def arg_list(self, node: TSNode) -> list[TSNode | None]:
        """The arguments of a call node, ``None`` for an omitted one (``f(1,,3)``)."""
        out: list[TSNode | None] = []
        cur: TSNode | None = None
        seen_any = False
        for c in node.children:
            if not c.is_named:
                t = c.type
                if t == ",":
                    out.append(cur)
                    cur = None
                    seen_any = True
                elif t == ")":
                    if cur is not None or seen_any:
                        out.append(cur)
                    cur = None
                continue
            if c.type in ("method_arg", "expression", "dollar_func_pos", "dollar_arg_pair",
                          "byref_arg", "numeric_literal", "variadic_arg", "line_ref",
                          "lvn", "gvn", "indirection"):
                cur = c
        if cur is not None:
            out.append(cur)
        return out

    def read_var(self, name: str) -> str:
        known = self.loopvals.get(name)
        if known is not None:
            return known
        node = self.var(name)
        return f"(_t if (_t := {node}.value) is not _M else P.undef({name!r}))"

    # ------------------------------------------------------------------ references

    def ref(self, node: TSNode, last_raw: bool = False) -> tuple[str, str]:
        """(node expression, subscripts tuple expression) of a glvn reference."""
        node = self.unwrap_arg(node)
        t = node.type
        if t == "lvn":
            ident = node.named_children[0]
            name = text(ident)
            args = first(node, "method_args")
            return self.var(name), self.subs(args, last_raw)
        if t == "gvn":
            return self.gref(node, last_raw)
        if t == "indirection":
            return self.ind_ref(node)
        if t == "byref_arg":
            return self.ref(node.named_children[0], last_raw)
        md = self.md_ref(node)
        if md is not None:
            return md
        raise TranslateError("SYNTAX")

    def md_ref(self, node: TSNode) -> tuple[str, str] | None:
        """(node expression, subscripts) of a multidimensional property reference,
        ``obj.P(subs)``, ``obj.P``, ``..P(subs)``, ``..P``, ``i%P(subs)``: the property's
        array (``P.md``: ``<OBJECT DISPATCH>`` at run time when ``P`` is not
        multidimensional); None for any other node."""
        t = node.type
        if t == "oref_chain_expr":
            kids = node.named_children
            if len(kids) < 2:
                return None
            last = kids[-1]
            inner = last.named_children[0] if last.type == "oref_chain_segment" else last
            if inner.type not in ("oref_property", "oref_method"):
                return None
            nn = first(inner, "property_name", "method_name")
            base = "P.this()" if kids[0].type == "oref_chain_segment" else self.expr(kids[0])
            for seg in kids[1:-1]:
                base = self.oref_segment(base, seg)
            return (f"P.md({base}, {text(nn or inner)!r})",
                    self.subs(first(inner, "method_args")))
        if t in ("relative_dot_property", "relative_dot_method"):
            prop = first(node, "oref_property", "oref_method")
            if prop is None:
                return None
            nn = first(prop, "property_name", "method_name")
            return (f"P.md_this({text(nn or prop)!r})",
                    self.subs(first(prop, "method_args")))
        if t == "instance_variable":
            nn = first(node, "property_name")
            return f"P.md_this({text(nn or node)!r})", self.subs(first(node, "method_args"))
        return None

    def ref1(self, node: TSNode) -> tuple[str, str] | None:
        """(node expression, subscript expression) of a local or global reference with
        exactly one subscript (``x(s)``, ``^g(s)``), for the one-subscript fast paths;
        None for anything else (``^||g(s)``, ``^|ns|g(s)``, ``^(s)`` included). A caller
        of a global's fast path records the reference itself (``P.zr = ('g', (s,))`` /
        ``P.nk1('g', s)``: the name of a global of the current namespace, see
        ``gname1``)."""
        node = self.unwrap_arg(node)
        if node.type not in ("lvn", "gvn"):
            return None
        args = first(node, "method_args")
        if args is None:
            return None
        items = self.arg_list(args)
        if len(items) != 1 or items[0] is None:
            return None
        if node.type == "lvn":
            n = self.var(text(node.named_children[0]))
        else:
            kids = node.children
            ident = first(node, "identifier", "objectscript_identifier")
            if (len(kids) < 2 or kids[1].type not in ("identifier", "objectscript_identifier")
                    or ident is None or not text(ident)):
                return None
            n = f"P.gstore.nodes[{text(ident)!r}]"
        return n, self.sub_expr(items[0])

    def gref(self, node: TSNode, last_raw: bool = False,
             track: bool = True) -> tuple[str, str]:
        """(node expression, subscripts expression) of a global reference: ``^g(s)``,
        ``^||g(s)`` (process-private), ``^|env|g(s)`` / ``^[env]g(s)`` / ``^[env,sys]g(s)``
        (extended; process-private for ``"^"``), ``^(s)`` (naked). Evaluating the
        subscripts records the reference as ``$ZREFERENCE``, the naked indicator (``P.nk``;
        ``P.naked`` for a naked one), unless ``track`` is False (``$NAME``, which refers
        to no global)."""
        ident = first(node, "identifier", "objectscript_identifier")
        name = text(ident) if ident is not None else ""
        kids = node.children
        form = kids[1].type if len(kids) > 1 else ""
        s = self.subs(first(node, "method_args"), last_raw)
        if not name:
            # naked reference ^(...): its subscripts are evaluated first, then it is
            # expanded with the naked indicator as they left it
            t = self.tmp()
            return f"({t} := P.{'naked' if track else 'naked_ref'}({s}))[0]", f"{t}[1]"
        if form == "||":
            n = f"P.ppg({name!r})"
        elif form in ("|", "["):
            envs = [self.expr(e) for e in named(node, "expression")]
            if len(envs) == 1:
                n = f"P.gext({envs[0]}, {name!r}{', ' + repr(form) if form == '[' else ''})"
            elif len(envs) == 2 and form == "[":
                n = f"P.gext2({envs[0]}, {envs[1]}, {name!r})"
            else:
                raise TranslateError("SYNTAX")
        else:
            n = f"P.g({name!r})"
        if not track:
            return n, s
        t = self.tmp()
        return f"({t} := {n})", f"P.nk({t}, {s})"

    def ind_ref(self, node: TSNode) -> tuple[str, str]:
        """``@x`` / ``@x@(subs)`` as a reference: resolved at run time."""
        inner = first(node, "expression")
        assert inner is not None
        name_e = self.expr(inner)
        args = first(node, "method_args")
        extra = self.subs(args) if args is not None else "()"
        t = self.tmp()
        return (f"({t} := P.ind_ref({name_e}, {extra}))[0]", f"{t}[1]")

    def ref_text(self, node: TSNode) -> str:
        """The name form of a reference (``$NAME``): an expression giving the string."""
        n, s = self.ref(node)
        return f"P.name_of({n}, {s})"

    # ------------------------------------------------------------------ expressions

    def expr(self, node: TSNode) -> str:
        t = node.type
        if t == "expression":
            kids = node.children
            if not kids:
                raise TranslateError("SYNTAX")
            if kids[0].type == "(" and not kids[0].is_named:
                close = next((i for i, k in enumerate(kids)
                              if k.type == ")" and not k.is_named), -1)
                inner = [k for k in kids[1:close] if k.is_named]
                if close < 0 or len(inner) != 1:
                    raise TranslateError("SYNTAX")
                if close == len(kids) - 1:
                    return self.expr(inner[0])
                # "(a)+b": the parenthesised part is the first operand of the chain
                return self.chain([inner[0], *self.flatten_from(kids[close + 1:])])
            seq = self.flatten(node)
            return self.chain(seq)
        if t == "method_arg":
            inner = [k for k in node.named_children]
            if len(inner) != 1:
                raise TranslateError("SYNTAX")
            return self.expr(inner[0])
        return self.atom(node)

    def flatten(self, node: TSNode) -> list[TSNode]:
        """Operands and operators of an unparenthesized expression, left to right."""
        return self.flatten_from(list(node.children))

    def flatten_from(self, kids: list[TSNode]) -> list[TSNode]:
        """``flatten`` of a run of an expression's children."""
        out: list[TSNode] = []
        for i, k in enumerate(kids):
            if (i > 0 and k.type == "expression" and k.child_count > 1
                    and not (k.children[0].type == "(" and not k.children[0].is_named)):
                out.extend(self.flatten(k))
            else:
                out.append(k)
        return out

    def chain(self, seq: list[TSNode]) -> str:
        if not seq:
            raise TranslateError("SYNTAX")
        a_kind: tuple[str, str, str] | None = None
        if len(seq) > 1 and seq[1].type == "binary_operator" and \
                text(seq[1]).strip() in _TYPED_OPS:
            a_kind = self.operand(seq[0])
            acc = self.expr(seq[0]) if a_kind[0] == "raw" else a_kind[1]
        else:
            acc = self.expr(seq[0]) if seq[0].type == "expression" else self.atom(seq[0])
        acc_node = seq[0]
        i = 1
        while i < len(seq):
            op = seq[i]
            if op.type == "pattern_operator":
                neg = text(op).startswith("'")
                pat = first(op, "pattern_expression")
                if pat is None:
                    raise TranslateError("SYNTAX")
                pat_text = text(pat)
                if pat_text.startswith("@"):
                    pe = f"V.to_str({self.expr_text_ind(pat_text[1:])})"
                else:
                    pe = repr(pat_text)
                acc = f"V.pattern({acc}, {pe})"
                if neg:
                    acc = f"(1 - {acc})"
                i += 1
                continue
            if op.type != "binary_operator":
                raise TranslateError("SYNTAX")
            if i + 1 >= len(seq):
                raise TranslateError("SYNTAX")
            rhs_node = seq[i + 1]
            sym = text(op).strip()
            acc = self.binop(sym, acc, rhs_node, acc_node, a_kind)
            a_kind = ("int", acc, "") if self.is_int(acc) else None
            acc_node = op
            i += 2
        return acc

    def expr_text_ind(self, name_text: str) -> str:
        """An expression written after ``@`` inside a pattern (rare): a variable name."""
        if re.fullmatch(r"%?[A-Za-z][A-Za-z0-9]*", name_text):
            return self.read_var(name_text)
        raise TranslateError("SYNTAX")

    def operand(self, node: TSNode) -> tuple[str, str, str]:
        """(kind, code, name) of an operand for the integer fast paths: ``int`` (a literal),
        ``raw`` (a variable's ``.value``, maybe missing: checked on the slow path) or
        ``val`` (any expression)."""
        inner = self.unwrap_arg(node) if node.type in ("expression", "method_arg") else node
        if inner.type == "numeric_literal":
            v = V.num(text(inner))
            if type(v) is int:
                return "int", repr(v), ""
        if inner.type == "lvn" and first(inner, "method_args") is None:
            name = text(inner.named_children[0])
            known = self.loopvals.get(name)
            if known is not None:
                # a range over integer literals yields Python ints only
                return ("int" if known in self.int_loopvals else "val"), known, ""
            return "raw", f"{self.var(name)}.value", name
        code = self.expr(node)
        return ("int" if self.is_int(code) else "val"), code, ""

    def binop(self, sym: str, a: str, rhs: TSNode, lhs: TSNode,
              a_kind: tuple[str, str, str] | None = None) -> str:
        if sym in ("&&", "&"):
            b = self.expr(rhs)
            if sym == "&&":
                test = f"({self.truth_of(a)} and {self.truth_of(b)})"
                code = f"(1 if {test} else 0)"
                self.bool_codes[code] = test
                return code
            return f"V.and_({a}, {b})"
        if sym in ("||", "!"):
            b = self.expr(rhs)
            if sym == "||":
                test = f"({self.truth_of(a)} or {self.truth_of(b)})"
                code = f"(1 if {test} else 0)"
                self.bool_codes[code] = test
                return code
            return f"V.or_({a}, {b})"
        if sym == "#":
            return self.modulo(a, rhs, a_kind)
        if sym in ("=", "'=") and self.unwrap_arg(rhs).type == "string_literal":
            return self.string_equality(sym, a, rhs, a_kind)
        if sym in ("'&", "'!"):
            b = self.expr(rhs)
            fn = "V.and_" if sym == "'&" else "V.or_"
            return f"(1 - {fn}({a}, {b}))"
        if sym in _INT_FAST or sym in _INT_CMP:
            ka = a_kind or ("val", a, "")
            kb = self.operand(rhs)
            # the left operand is evaluated once into a temp; the right one too unless it
            # is cheap and side-effect free (a literal, a variable, a loop value), which the
            # slow path may read again
            x = self.tmp()
            cheap_b = kb[0] in ("int", "raw") or _IDENT.fullmatch(kb[1]) is not None
            y = kb[1] if cheap_b and kb[0] != "raw" else self.tmp()
            checks = []
            slow_args = []
            if ka[0] == "int":
                xv = ka[1]
                slow_args.append(xv)
            else:
                xv = x
                checks.append(f"type({x} := {ka[1]}) is int")
                slow_args.append(f"({x} if {x} is not _M else P.undef({ka[2]!r}))"
                                 if ka[0] == "raw" else x)
            if kb[0] == "int":
                yv = kb[1]
                slow_args.append(yv)
            elif kb[0] == "raw":
                yv = y
                checks.append(f"type({y} := {kb[1]}) is int")
                slow_args.append(f"(_t if (_t := {kb[1]}) is not _M else P.undef({kb[2]!r}))")
            elif cheap_b:
                yv = y
                checks.append(f"type({y}) is int")
                slow_args.append(y)
            else:
                yv = y
                slow_args.append(y)
            if kb[0] == "val" and not cheap_b:
                # both must be evaluated before either is tested
                checks = [f"(type({x} := {ka[1]}) is int)" if ka[0] != "int" else "True",
                          f"(type({y} := {kb[1]}) is int)"]
                if ka[0] == "raw":
                    slow_args[0] = f"({x} if {x} is not _M else P.undef({ka[2]!r}))"
                cond = " & ".join(checks)
            else:
                cond = " and ".join(checks) if checks else "True"
            if cond == "True":
                # both operands are known integers
                if sym == "*":
                    r = self.tmp()
                    return (f"({r} if -{_MAXM} <= ({r} := {xv} * {yv}) <= {_MAXM} "
                            f"else V.mul({xv}, {yv}))")
                if sym in _INT_FAST:
                    code = f"({xv} {_INT_FAST[sym]} {yv})"
                    self.int_codes.add(code)
                    return code
                test = f"({xv} {_INT_CMP[sym]} {yv})"
                code = f"(1 if {test} else 0)"
                self.bool_codes[code] = test
                return code
            if sym in _INT_FAST:
                if sym == "*":
                    r = self.tmp()
                    return (f"({r} if {cond} and -{_MAXM} <= ({r} := {xv} * {yv}) <= {_MAXM} "
                            f"else V.mul({', '.join(slow_args)}))")
                # sums and differences of two integers are not re-checked against the
                # 64-bit range here (two generic comparisons would triple the cost)
                return (f"({xv} {_INT_FAST[sym]} {yv} if {cond} else "
                        f"{BINOPS[sym]}({', '.join(slow_args)}))")
            fn = BINOPS[sym]
            slow = (f"(1 - {fn[1:]}({', '.join(slow_args)}))" if fn.startswith("!")
                    else f"{fn}({', '.join(slow_args)})")
            code = f"((1 if {xv} {_INT_CMP[sym]} {yv} else 0) if {cond} else {slow})"
            self.bool_codes[code] = f"({xv} {_INT_CMP[sym]} {yv} if {cond} else {slow})"
            return code
        b = self.expr(rhs)
        name = BINOPS.get(sym)
        if name is None:
            raise TranslateError("SYNTAX")
        if name.startswith("!"):
            return f"(1 - {name[1:]}({a}, {b}))"
        return f"{name}({a}, {b})"

    def modulo(self, a: str, rhs: TSNode, a_kind: tuple[str, str, str] | None) -> str:
        """``a#b``: Python's ``%`` when both are integers (its result has the divisor's sign,
        as ObjectScript's); ``V.mod`` otherwise (and for a divisor that may be 0)."""
        ka = a_kind or ("val", a, "")
        kb = self.operand(rhs)
        if kb[0] == "int" and _INT_LITERAL.fullmatch(kb[1]) and int(kb[1]) != 0:
            lit = kb[1]
            if ka[0] == "int":
                code = f"({ka[1]} % {lit})"
                self.int_codes.add(code)
                return code
            x = self.tmp()
            if ka[0] == "raw":
                return (f"({x} % {lit} if type({x} := {ka[1]}) is int else "
                        f"V.mod({x} if {x} is not _M else P.undef({ka[2]!r}), {lit}))")
            return f"({x} % {lit} if type({x} := {ka[1]}) is int else V.mod({x}, {lit}))"
        b = kb[1] if kb[0] != "raw" else self.read_var(kb[2])
        return f"V.mod({a}, {b})"

    def string_equality(self, sym: str, a: str, rhs: TSNode,
                        a_kind: tuple[str, str, str] | None) -> str:
        """``a="lit"`` / ``a'="lit"``: the string form of ``a`` against the literal."""
        lit = repr(_string_literal(text(self.unwrap_arg(rhs))))
        ka = a_kind or ("val", a, "")
        x = self.tmp()
        if ka[0] == "int":
            form = f"str({ka[1]})"
        elif ka[0] == "raw":
            form = (f"({x} if type({x} := {ka[1]}) is str else V.to_str({x}) "
                    f"if {x} is not _M else P.undef({ka[2]!r}))")
        else:
            form = f"({x} if type({x} := {ka[1]}) is str else V.to_str({x}))"
        test = f"({form} {'==' if sym == '=' else '!='} {lit})"
        code = f"(1 if {test} else 0)"
        self.bool_codes[code] = test
        return code

    def atom(self, node: TSNode) -> str:
        t = node.type
        if t == "numeric_literal":
            return self.const(V.num(text(node)))
        if t == "string_literal":
            return repr(_string_literal(text(node)))
        if t == "lvn":
            name = text(node.named_children[0])
            args = first(node, "method_args")
            if args is None:
                return self.read_var(name)
            return f"{self.var(name)}.get({self.subs(args)})"
        if t == "gvn":
            n, s = self.gref(node)
            return f"{n}.get({s})"
        if t == "ssvn":
            raise TranslateError("UNIMPLEMENTED")
        if t == "expression":
            return self.expr(node)
        if t == "unary_expression":
            op = node.children[0].type
            inner = first(node, "expression")
            if inner is None:
                raise TranslateError("SYNTAX")
            e = self.expr(inner)
            if op == "-":
                t1 = self.tmp()
                return (f"(-{t1} if type({t1} := {e}) is int and {t1} != -{_MAXM} - 1 "
                        f"else V.neg({t1}))")
            if op == "+":
                return f"V.pos({e})"
            if op == "'":
                return f"V.not_({e})"
            raise TranslateError("SYNTAX")
        if t == "system_defined_variable":
            return self.special(node)
        if t == "system_defined_function":
            return self.function(node)
        if t == "extrinsic_function":
            return self.extrinsic(node)
        if t == "class_method_call":
            return self.class_call(node, want=True)
        if t == "oref_chain_expr":
            return self.oref_chain(node)
        if t == "relative_dot_property":
            prop = first(node, "oref_property", "oref_method")
            if prop is None or prop.type != "oref_property":
                raise TranslateError("UNIMPLEMENTED")
            return f"P.prop(P.this(), {text(first(prop, 'property_name') or prop)!r})"
        if t in ("relative_dot_method", "relative_dot_parameter", "instance_variable",
                 "superclass_method_call", "json_object_literal", "json_array_literal",
                 "class_ref"):
            return self.object_atom(node, want=True)
        if t == "indirection":
            n, s = self.ind_ref(node)
            return f"{n}.get({s})"
        if t == "macro":
            raise TranslateError("SYNTAX")
        if t == "method_arg":
            return self.expr(node)
        if t == "dollar_func_pos":
            return self.star_pos(node)
        raise TranslateError("SYNTAX")

    def star_pos(self, node: TSNode) -> str:
        e = first(node, "expression")
        if e is None:
            return "_END(0)"
        sign = "-" if any(c.type == "-" for c in node.children) else ""
        return f"_END(int({sign}V.num({self.expr(e)})))"

    # ------------------------------------------------------------------ special variables

    def special(self, node: TSNode) -> str:
        name = text(node).upper()
        attr = SPECIAL_VARS.get(name)
        if attr is None:
            raise TranslateError("SYNTAX")
        if attr in ("test", "x", "y", "zerror", "ecode", "namespace", "job", "io",
                    "tlevel", "ztrap", "etrap", "key", "principal", "device", "username"):
            return f"P.{attr}"
        return f"P.sv_{attr}()"

    # ------------------------------------------------------------------ functions

    def fname(self, node: TSNode) -> str:
        m = _FNAME_RE.match(text(node))
        if m is None:
            raise TranslateError("SYNTAX")
        return m.group(0).upper()

    def function(self, node: TSNode) -> str:
        name = self.fname(node)
        canon = FUNC_ALIASES.get(name, name)
        if canon == "$SYSTEM" and first(node, "class_name") is not None:
            return self.system_call(node, want=True)
        args = self.arg_list(node)
        if canon in ("$SELECT", "$CASE"):
            return self.select_case(canon, node)
        if canon in REF_FUNCS:
            return self.ref_function(canon, args)
        if canon == "$LISTBUILD":
            parts = []
            for a in args:
                if a is None:
                    parts.append("None")
                    continue
                inner = self.unwrap_arg(a)
                if inner.type == "lvn" and first(inner, "method_args") is None:
                    parts.append(f"P.lb_var({self.var(text(inner.named_children[0]))})")
                else:
                    parts.append(self.expr(inner))
            return f"F['$LB']({', '.join(parts)})"
        if canon == "$TEXT":
            return self.text_function(node)
        if canon in ("$CLASSMETHOD", "$CLASSNAME", "$ISOBJECT", "$STACK", "$XECUTE",
                     "$PROPERTY", "$METHOD", "$PARAMETER", "$ZU", "$SYSTEM", "$ZBOOLEAN",
                     "$ZSEARCH", "$ZTRAP", "$ZF", "$VIEW", "$ZSEEK"):
            return f"P.fn_{canon[1:].lower()}({', '.join(self.plain_args(args))})"
        fn = self.gen.function(name, len(args))
        if name in ("$P", "$PIECE"):
            fast = self.piece_fast(args)
            if fast is not None:
                return fast
        return f"{fn}({', '.join(self.plain_args(args, allow_missing=False))})"

    def piece_fast(self, args: list[TSNode | None]) -> str | None:
        """``$PIECE(s, "d"[, f])`` with a non-empty literal delimiter: a direct call of a
        fast helper, or a table look-up when ``s`` is a literal too (None: not that form)."""
        if len(args) not in (2, 3) or any(a is None or a.type == "dollar_func_pos"
                                          for a in args):
            return None
        a0, a1 = args[0], args[1]
        assert a0 is not None and a1 is not None
        dnode = self.unwrap_arg(a1)
        if dnode.type != "string_literal":
            return None
        d = _string_literal(text(dnode))
        if d == "":
            return None
        snode = self.unwrap_arg(a0)
        if snode.type == "string_literal":
            lit = _string_literal(text(snode))
            if len(args) == 2:
                return repr(lit.split(d, 1)[0])
            parts = tuple(lit.split(d))
            f = self.expr(args[2])  # type: ignore[arg-type]
            k, t, n = self.const(parts), self.tmp(), len(parts)
            if self.is_int(f):
                return f"({k}[{t} - 1] if 0 < ({t} := {f}) <= {n} else '')"
            return (f"({k}[{t} - 1] if type({t} := {f}) is int and 0 < {t} <= {n} "
                    f"else _PIECE({lit!r}, {d!r}, {t}))")
        s = self.expr(a0)
        if len(args) == 2:
            return f"_PIECE1({s}, {d!r})"
        return f"_PIECE({s}, {d!r}, {self.expr(args[2])})"  # type: ignore[arg-type]

    def system_call(self, node: TSNode, want: bool) -> str:
        """``$SYSTEM.Status.IsOK(sc)``: a class method of ``%SYSTEM.Status``."""
        cn, mn = first(node, "class_name"), first(node, "method_name")
        if cn is None or mn is None:
            raise TranslateError("SYNTAX")
        acts = self.actuals(first(node, "method_args"))
        return f"P.class_call({'%SYSTEM.' + text(cn)!r}, {text(mn)!r}, {want}{acts})"

    def plain_args(self, args: list[TSNode | None], allow_missing: bool = True) -> list[str]:
        out = []
        for a in args:
            if a is None:
                if not allow_missing:
                    raise TranslateError("SYNTAX")
                out.append("None")
            else:
                out.append(self.expr(a) if a.type != "dollar_func_pos" else self.star_pos(a))
        return out

    def text_function(self, node: TSNode) -> str:
        src = text(node)
        inner = src[src.index("(") + 1:-1].strip()
        m = re.fullmatch(r"(@?[%A-Za-z0-9]*)(?:\+(\d+))?(?:\^(%?[A-Za-z0-9.]+))?", inner)
        if m is None or m.group(1).startswith("@"):
            raise TranslateError("UNIMPLEMENTED")
        label, off, rtn = m.group(1), int(m.group(2) or 0), m.group(3)
        return f"P.text({label!r}, {off}, {rtn!r})"

    def select_case(self, canon: str, node: TSNode) -> str:
        items = [c for c in node.named_children if c.type in ("dollar_arg_pair", "expression",
                                                              "method_arg")]
        if canon == "$SELECT":
            code = "P.select_fail()"
            for pair in reversed(items):
                if pair.type != "dollar_arg_pair":
                    raise TranslateError("SYNTAX")
                cond, val = named(pair, "expression")[:2]
                code = f"({self.expr(val)} if V.truth({self.expr(cond)}) else {code})"
            return code
        if not items:
            raise TranslateError("SYNTAX")
        subject = self.expr(items[0])
        t = self.tmp()
        default = "P.case_fail()"
        pairs = []
        for it in items[1:]:
            if it.type == "dollar_arg_pair":
                kn, vn = named(it, "expression")[:2]
                pairs.append((self.expr(kn), self.expr(vn)))
            else:
                default = self.expr(it)
        out = default
        for kc, vc in reversed(pairs):
            out = f"({vc} if V.eq({t}, {kc}) else {out})"
        return f"({out} if (({t} := {subject}) is not None) else None)"

    def ref_function(self, canon: str, args: list[TSNode | None]) -> str:
        if not args or args[0] is None:
            raise TranslateError("SYNTAX")
        first_arg = self.unwrap_arg(args[0])
        rest = [a for a in args[1:]]
        if canon == "$LISTNEXT":
            if len(args) != 3 or any(a is None for a in args):
                raise TranslateError("SYNTAX")
            a0, a1, a2 = args[0], args[1], args[2]
            assert a0 is not None and a1 is not None and a2 is not None
            lst = self.expr(a0)
            pn, ps = self.ref(a1)
            vn, vs = self.ref(a2)
            return f"P.listnext({lst}, {pn}, {ps}, {vn}, {vs})"
        if first_arg.type not in ("lvn", "gvn", "indirection") and \
                self.md_ref(first_arg) is None:
            raise TranslateError("SYNTAX")
        n, s = self.ref(first_arg)
        if canon == "$GET":
            if len(rest) > 1:
                raise TranslateError("SYNTAX")
            dflt = self.expr(rest[0]) if rest and rest[0] is not None else "''"
            if first_arg.type == "lvn" and s == "()":
                tv = self.tmp()
                return f"({tv} if ({tv} := {n}.value) is not _M else {dflt})"
            return f"{n}.get_or({s}, {dflt})"
        if canon == "$DATA":
            if len(rest) == 1 and rest[0] is not None:
                tn, ts = self.ref(rest[0])
                return f"P.data_target({n}, {s}, {tn}, {ts})"
            if rest:
                raise TranslateError("SYNTAX")
            return f"{n}.data({s})"
        if canon == "$ORDER":
            if len(rest) > 2:
                raise TranslateError("SYNTAX")
            if not rest or (len(rest) == 1 and rest[0] is not None
                            and self.unwrap_arg(rest[0]).type == "numeric_literal"
                            and text(self.unwrap_arg(rest[0])) == "1"):
                r1 = self.ref1(first_arg)
                if r1 is not None and first_arg.type == "gvn":
                    # the reference is recorded: $ZREFERENCE, the naked indicator
                    return f"{r1[0]}.next1(P.nk1({gname1(r1)}, {r1[1]}))"
                if r1 is not None:
                    return f"{r1[0]}.next1({r1[1]})"
            d = self.expr(rest[0]) if rest and rest[0] is not None else "1"
            if len(rest) == 2 and rest[1] is not None:
                tn, ts = self.ref(rest[1])
                return f"P.order_target({n}, {s}, {d}, {tn}, {ts})"
            if s == "()" or (first_arg.type == "gvn"
                             and first(first_arg, "method_args") is None):
                raise TranslateError("FUNCTION")
            return f"{n}.order({s}, {d})"
        if canon == "$QUERY":
            if len(rest) > 2:
                raise TranslateError("SYNTAX")
            d = self.expr(rest[0]) if rest and rest[0] is not None else "1"
            if len(rest) == 2 and rest[1] is not None:
                tn, ts = self.ref(rest[1])
                return f"P.query_target({n}, {s}, {d}, {tn}, {ts})"
            return f"P.query({n}, {s}, {d})"
        if canon == "$INCREMENT":
            if len(rest) > 1:
                raise TranslateError("SYNTAX")
            by = self.expr(rest[0]) if rest and rest[0] is not None else "1"
            return f"{n}.increment({s}, {by})"
        if canon == "$NAME":
            if rest:
                raise TranslateError("UNIMPLEMENTED")
            if first_arg.type == "gvn":
                # $NAME only names the node: the naked indicator stays as it is
                n, s = self.gref(first_arg, track=False)
                if n.startswith("P.g("):
                    return f"P.gname_of({n[4:-1]}, {s})"
            return f"P.name_of({n}, {s})"
        raise TranslateError("SYNTAX")

    # ------------------------------------------------------------------ calls

    def actuals(self, args_node: TSNode | None) -> str:
        """The actual argument list (Python call arguments after ``P``)."""
        if args_node is None:
            return ""
        parts = []
        for a in self.arg_list(args_node):
            if a is None:
                parts.append("_A")
                continue
            inner = self.unwrap_arg(a)
            if inner.type == "byref_arg":
                target = inner.named_children[0]
                if target.type == "lvn" and first(target, "method_args") is None:
                    parts.append(f"_BR({self.var(text(target.named_children[0]))})")
                    continue
                raise TranslateError("SYNTAX")
            if inner.type == "variadic_arg":
                target = inner.named_children[0]
                parts.append(f"*P.variadic({self.var(text(target.named_children[0]))})")
                continue
            if (inner.type == "lvn" and first(inner, "method_args") is None
                    and text(a).endswith("...")):
                parts.append(f"*P.variadic({self.var(text(inner.named_children[0]))})")
                continue
            parts.append(self.expr(a))
        return "".join(", " + p for p in parts)

    def line_ref(self, node: TSNode) -> tuple[str, str, int, bool]:
        """(label, routine, offset, is_indirect) of a ``line_ref`` (or ``routine_tag_call``
        children); label and routine are Python expressions of strings."""
        label = "''"
        rtn = "''"
        offset = 0
        ind = False
        for c in node.named_children:
            if c.type == "method_name":
                label = repr(text(c))
            elif c.type == "routine_ref":
                rn = first(c, "routine_name")
                ie = first(c, "indirection")
                if ie is not None:
                    inner = first(ie, "expression")
                    assert inner is not None
                    rtn = f"V.to_str({self.expr(inner)})"
                else:
                    rtn = repr(text(rn) if rn is not None else text(c).lstrip("^"))
            elif c.type == "label_offset":
                e = first(c, "expression")
                if e is None:
                    raise TranslateError("SYNTAX")
                v = V.num(text(e)) if e.named_child_count == 1 and \
                    e.named_children[0].type == "numeric_literal" else None
                if v is None or type(v) is not int:
                    raise TranslateError("UNIMPLEMENTED")
                offset = v
            elif c.type == "numeric_literal":
                offset = int(V.num(text(c)))
            elif c.type == "indirection":
                ind = True
                inner = first(c, "expression")
                assert inner is not None
                label = f"V.to_str({self.expr(inner)})"
        return label, rtn, offset, ind

    def extrinsic(self, node: TSNode) -> str:
        lr = first(node, "line_ref")
        if lr is None:
            raise TranslateError("SYNTAX")
        args = first(node, "method_args")
        label, rtn, offset, ind = self.line_ref(lr)
        acts = self.actuals(args)
        if ind:
            return f"P.call_ind({label}, True{acts})"
        if offset:
            raise TranslateError("SYNTAX")
        return str(self.gen.call_expr(self, label, rtn, acts, want=True,
                                      with_args=args is not None))

    def class_call(self, node: TSNode, want: bool) -> str:
        cref = first(node, "class_ref")
        mname = first(node, "method_name")
        args = first(node, "method_args")
        if cref is None or mname is None:
            raise TranslateError("SYNTAX")
        cname = first(cref, "class_name")
        cls = text(cname) if cname is not None else ""
        acts = self.actuals(args)
        return f"P.class_call({cls!r}, {text(mname)!r}, {want}{acts})"

    def object_atom(self, node: TSNode, want: bool) -> str:
        """``..Method()``, ``..#PARAM``, ``i%Prop``, ``##super()``, JSON literals and the
        ``##class(C)`` base of ``##class(C).#PARAM``."""
        t = node.type
        if t == "relative_dot_method":
            meth = first(node, "oref_method")
            if meth is None:
                raise TranslateError("SYNTAX")
            mn = first(meth, "method_name")
            acts = self.actuals(first(meth, "method_args"))
            return f"P.rel_method({text(mn or meth)!r}, {want}{acts})"
        if t == "relative_dot_parameter":
            par = first(node, "oref_parameter")
            pn = first(par, "parameter_name") if par is not None else None
            return f"P.param(P.this(), {text(pn or par or node)!r})"
        if t == "instance_variable":
            pn = first(node, "property_name")
            if first(node, "method_args") is not None:   # i%P(subs)
                n, s = self.ref(node)
                return f"{n}.get({s})"
            return f"P.ivar({text(pn or node)!r})"
        if t == "superclass_method_call":
            return f"P.super_call({want}{self.actuals(first(node, 'method_args'))})"
        if t == "class_ref":
            cname = first(node, "class_name")
            return repr(text(cname) if cname is not None else "")
        return f"P.json({self.json_spec(node)})"

    def json_spec(self, node: TSNode) -> str:
        """A JSON literal as nested tuples for ``dynamic.build``."""
        t = node.type
        if t == "json_object_literal":
            pairs = []
            for pr in named(node, "json_object_literal_pair"):
                kids = pr.named_children
                if len(kids) != 2:
                    raise TranslateError("SYNTAX")
                pairs.append(f"({_json_text(text(kids[0]))!r}, {self.json_spec(kids[1])})")
            return f"('O', ({''.join(x + ', ' for x in pairs)}))"
        if t == "json_array_literal":
            items = [self.json_spec(c) for c in node.named_children]
            return f"('A', ({''.join(x + ', ' for x in items)}))"
        if t == "json_string_literal":
            return repr(("s", _json_text(text(node))))
        if t == "numeric_literal":
            return f"('n', {self.const(V.num(text(node)))})"
        if t == "json_boolean_literal":
            return repr(("b", 1 if text(node) == "true" else 0))
        if t == "json_null_literal":
            return "('z',)"
        return self.expr(node)

    def oref_chain(self, node: TSNode, want: bool = True) -> str:
        kids = node.named_children
        if not kids:
            raise TranslateError("SYNTAX")
        base = kids[0]
        cur = self.expr(base) if base.type != "oref_chain_segment" else "P.this()"
        start = 1
        if base.type == "class_ref" and len(kids) > 1:
            seg = kids[1]
            meth = seg.named_children[0] if seg.type == "oref_chain_segment" else seg
            if meth.type == "oref_method":  # ##class(C).M(args).more
                mn = first(meth, "method_name")
                acts = self.actuals(first(meth, "method_args"))
                cur = f"P.class_call({cur}, {text(mn or meth)!r}, {want or len(kids) > 2}{acts})"
                start = 2
        for i, seg in enumerate(kids[start:], start + 1):
            cur = self.oref_segment(cur, seg, want or i < len(kids))
        return cur

    def oref_segment(self, cur: str, seg: TSNode, want: bool = True) -> str:
        inner = seg.named_children[0] if seg.type == "oref_chain_segment" else seg
        if inner.type == "oref_property":
            pn = first(inner, "property_name")
            return f"P.prop({cur}, {text(pn or inner)!r})"
        if inner.type == "oref_method":
            mn = first(inner, "method_name")
            args = first(inner, "method_args")
            call = "P.method" if want else "P.do_method"
            return f"{call}({cur}, {text(mn or inner)!r}{self.actuals(args)})"
        if inner.type == "oref_parameter":
            pn = first(inner, "parameter_name")
            return f"P.param({cur}, {text(pn or inner)!r})"
        raise TranslateError("SYNTAX")

    # ------------------------------------------------------------------ commands

    def command(self, node: TSNode) -> None:
        """Emit one command (with its postconditional)."""
        t = node.type
        if self.gen.debug and t.startswith("command_"):
            # the debugger build: a hook call before every command (never in normal code)
            # (the command's first and end byte columns on its row; end 0: past its row)
            sp, ep = node.start_point, node.end_point
            end = ep.column if ep.row == sp.row else 0
            self.emit(f"if P.debug_hook is not None: P.debug_hook(P, _RN, {self.loc.label!r}, "
                      f"{self.loc.offset}, {self.loc.row}, {sp.column}, {end})")
        handler = getattr(self, "c_" + t[len("command_"):], None) if t.startswith("command_") \
            else None
        if handler is None:
            if t in ("line_comment_1", "line_comment_2", "line_comment_3", "block_comment",
                     "bol_extra", "documatic_line"):
                return
            raise TranslateError("SYNTAX")
        handler(node)

    def postcond(self, node: TSNode) -> str | None:
        pc = first(node, "post_conditional")
        if pc is None:
            return None
        e = first(pc, "expression")
        if e is None:
            raise TranslateError("SYNTAX")
        return self.cond(e)

    def guarded(self, node: TSNode) -> bool:
        """Emit ``if <postcond>:`` and indent; returns whether it did."""
        pc = self.postcond(node)
        if pc is None:
            return False
        self.emit(f"if {pc}:")
        self.depth += 1
        return True

    def unguard(self, did: bool) -> None:
        if did:
            self.depth -= 1

    def statements(self, nodes: list[TSNode]) -> None:
        """Emit nested statements (a block body or the rest of a line)."""
        start = len(self.fn.body)
        for st in nodes:
            if st.type == "statement":
                for c in st.named_children:
                    self.with_loc(c, lambda c=c: self.command(c))
            elif st.type in ("line_comment_1", "line_comment_2", "line_comment_3",
                             "block_comment", "bol_extra"):
                continue
            elif st.type.startswith("command_"):
                self.with_loc(st, lambda st=st: self.command(st))
        if len(self.fn.body) == start:
            self.emit("pass")

    def with_loc(self, node: TSNode, fn: Any) -> None:
        old = self.loc
        row = node.start_point.row + 1 + self.gen.row_base
        if row != old.row and old.row:
            self.loc = Loc(old.label, old.offset + (row - old.row), row)
        mark = (len(self.fn.body), self.depth, len(self.ctx), dict(self.loopvals))
        try:
            fn()
        except TranslateError as e:
            # drop what this command emitted so far: it raises instead
            del self.fn.body[mark[0]:]
            self.depth = mark[1]
            del self.ctx[mark[2]:]
            self.loopvals = mark[3]
            self.emit(f"raise E({e.code!r}, {e.detail!r})")
        finally:
            self.loc = old

    def body_nodes(self, node: TSNode) -> list[TSNode]:
        return [c for c in node.named_children if c.type == "statement"]

    # SET ---------------------------------------------------------------

    def c_set(self, node: TSNode) -> None:
        did = self.guarded(node)
        for arg in named(node, "set_argument"):
            kids = arg.named_children
            if len(kids) == 1:
                ind = kids[0] if kids[0].type == "indirection" else first(kids[0], "indirection")
                if ind is not None:
                    self.emit(f"P.xind('set', {self.expr(first(ind, 'expression'))})")  # type: ignore[arg-type]
                    continue
            if len(kids) < 2:
                raise TranslateError("SYNTAX")
            target, value = kids[0], kids[-1]
            v = self.expr(value)
            if target.type == "set_target_list":
                tv = self.tmp()
                self.emit(f"{tv} = {v}")
                for tg in named(target, "set_target"):
                    self.assign(tg, tv)
            else:
                self.assign(target, v)
        self.unguard(did)

    def assign(self, target: TSNode, v: str) -> None:
        inner = target.named_children[0] if target.type == "set_target" else target
        t = inner.type
        if t == "lvn":
            name = text(inner.named_children[0])
            args = first(inner, "method_args")
            if args is None:
                self.emit(f"{self.var(name)}.value = {v}")
            else:
                tv = self.tmp()
                self.emit(f"{tv} = {v}")
                r1 = self.ref1(inner)
                if r1 is not None:
                    self.emit(f"{r1[0]}.set1({r1[1]}, {tv})")
                else:
                    self.emit(f"{self.var(name)}.set({self.subs(args)}, {tv})")
            return
        if t == "gvn":
            tv = self.tmp()
            self.emit(f"{tv} = {v}")
            # the value first, then the target is referred to (ANSI M: the right side of
            # SET before the left; a naked target expands with the value's references)
            r1 = self.ref1(inner)
            if r1 is not None:
                ts = self.tmp()
                self.emit(f"{ts} = {r1[1]}")
                self.emit(f"P.zr = ({gname1(r1)}, ({ts},))")
                self.emit(f"{r1[0]}.set1({ts}, {tv})")
                return
            n, s = self.gref(inner)
            self.emit(f"{n}.set({s}, {tv})")
            return
        if t == "indirection":
            tv = self.tmp()
            self.emit(f"{tv} = {v}")
            n, s = self.ind_ref(inner)
            self.emit(f"{n}.set({s}, {tv})")
            return
        if t == "system_defined_variable":
            name = text(inner).upper()
            attr = SPECIAL_VARS.get(name)
            if attr not in SETTABLE_SPECIALS:
                raise TranslateError("SYNTAX")
            if attr == "ztrap":
                self.emit(f"P.set_ztrap({v}, _RN, {self.ztrap_labels()})")
                return
            self.emit(f"P.set_{attr}({v})")
            return
        if t == "instance_variable" and first(inner, "method_args") is None:
            pn = first(inner, "property_name")
            self.emit(f"P.set_ivar({text(pn or inner)!r}, {v})")
            return
        if t == "system_defined_function" and FUNC_ALIASES.get(self.fname(inner)) == "$PROPERTY":
            pargs = self.arg_list(inner)
            if len(pargs) < 2 or pargs[1] is None or None in pargs[2:]:
                raise TranslateError("SYNTAX")
            # no oref: $THIS; more arguments: subscripts of a multidimensional property
            obj = "None" if pargs[0] is None else self.expr(pargs[0])
            subs = "".join(", " + self.expr(a) for a in pargs[2:] if a is not None)
            self.emit(f"P.set_fn_property({obj}, {self.expr(pargs[1])}, {v}{subs})")
            return
        if t == "system_defined_function":
            fname = self.fname(inner)
            fargs = self.arg_list(inner)
            a0 = fargs[0] if fargs else None
            if a0 is None:
                raise TranslateError("SYNTAX")
            setter = self.gen.set_form(fname)
            tv = self.tmp()
            self.emit(f"{tv} = {v}")
            n, s = self.ref(a0)
            extra = self.plain_args(fargs[1:])
            nt, st = self.tmp(), self.tmp()
            self.emit(f"{nt} = {n}; {st} = {s}")
            self.emit(f"{nt}.set({st}, {setter}({nt}.get_or({st}, None), {tv}"
                      f"{''.join(', ' + x for x in extra)}))")
            return
        if t == "oref_chain_expr":
            kids = inner.named_children
            base = self.oref_chain_prefix(kids)
            last = kids[-1]
            pinner = last.named_children[0] if last.type == "oref_chain_segment" else last
            if pinner.type == "oref_method":   # obj.P(subs)=v: a multidimensional property
                tv = self.tmp()
                self.emit(f"{tv} = {v}")
                n, s = self.ref(inner)
                self.emit(f"{n}.set({s}, {tv})")
                return
            if pinner.type != "oref_property":
                raise TranslateError("SYNTAX")
            pn = first(pinner, "property_name")
            self.emit(f"P.set_prop({base}, {text(pn or pinner)!r}, {v})")
            return
        if t == "relative_dot_property":
            prop = first(inner, "oref_property")
            if prop is None:
                raise TranslateError("SYNTAX")
            pn = first(prop, "property_name")
            self.emit(f"P.set_prop(P.this(), {text(pn or prop)!r}, {v})")
            return
        if t == "relative_dot_method" or (t == "instance_variable"
                                          and first(inner, "method_args") is not None):
            # ..P(subs)=v / i%P(subs)=v: a multidimensional property of $THIS
            tv = self.tmp()
            self.emit(f"{tv} = {v}")
            n, s = self.ref(inner)
            self.emit(f"{n}.set({s}, {tv})")
            return
        raise TranslateError("SYNTAX")

    def ztrap_labels(self) -> str:
        """``SET $ZTRAP`` in a procedure: its private labels as ``{label: (Jump, shown)}``,
        where ``shown`` is what ``$ZTRAP`` then reads, ``+offset^procedure`` (RCOS_vztrap);
        ``None`` outside procedures."""
        scope = self.fn.scope
        if not scope.proc:
            return "None"
        rows = {ln.label: r for r, ln in self.gen.lines.items() if ln.label is not None}
        base = rows.get(scope.label, 0)
        items = []
        for lab, fname in scope.inner_labels.items():
            shown = f"+{rows.get(lab, base) - base}^{scope.label}"
            items.append(f"{lab!r}: (J_{fname}, {shown!r})")
        return "{" + ", ".join(items) + "}"

    def oref_chain_prefix(self, kids: list[TSNode]) -> str:
        cur = self.expr(kids[0])
        for seg in kids[1:-1]:
            cur = self.oref_segment(cur, seg)
        return cur

    # WRITE -------------------------------------------------------------

    def c_write(self, node: TSNode) -> None:
        did = self.guarded(node)
        args = named(node, "write_argument")
        if not args:
            self.emit("P.zwrite_all()")
        for arg in args:
            ctl = first(arg, "write_device_control")
            if ctl is not None:
                for c in ctl.named_children:
                    self.write_control(c)
                continue
            e = first(arg, "expression")
            if e is None:
                inner = arg.named_children[0] if arg.named_children else None
                if inner is not None and inner.type == "indirection":
                    self.emit(f"P.xind('write', {self.expr(first(inner, 'expression'))})")  # type: ignore[arg-type]
                    continue
                raise TranslateError("SYNTAX")
            self.emit(f"P.w({self.expr(e)})")
        self.unguard(did)

    def write_control(self, c: TSNode) -> None:
        t = c.type
        if t == "write_device_fflf":
            for ch in text(c):
                if ch == "!":
                    self.emit("P.nl()")
                elif ch == "#":
                    self.emit("P.ff()")
        elif t == "write_device_tab":
            e = first(c, "expression")
            if e is None:
                raise TranslateError("SYNTAX")
            self.emit(f"P.tab({self.expr(e)})")
        elif t == "write_device_char":
            e = first(c, "expression")
            if e is None:
                raise TranslateError("SYNTAX")
            self.emit(f"P.wchar({self.expr(e)})")
        else:
            # e.g. /mnemonic(...) device controls
            self.emit("pass")

    # QUIT / RETURN -----------------------------------------------------

    def c_quit(self, node: TSNode) -> None:
        did = self.guarded(node)
        e = first(node, "expression")
        target = self.quit_target()
        if target is None:
            if e is None:
                self.emit("return None")
            else:
                self.emit(f"return {self.expr(e)}")
        else:
            if e is not None:
                self.emit(f"raise E('COMMAND')  # QUIT with a value inside a {target.kind}")
            else:
                self.exit_ctx(target, "break")
        self.unguard(did)

    def c_return(self, node: TSNode) -> None:
        did = self.guarded(node)
        e = first(node, "expression")
        self.emit(f"return {self.expr(e)}" if e is not None else "return None")
        self.unguard(did)

    def c_continue(self, node: TSNode) -> None:
        did = self.guarded(node)
        target = None
        for c in reversed(self.ctx):
            if c.kind == "loop":
                target = c
                break
        if target is None:
            raise TranslateError("COMMAND")
        self.exit_ctx(target, "continue")
        self.unguard(did)

    def quit_target(self) -> Ctx | None:
        return self.ctx[-1] if self.ctx else None

    def exit_ctx(self, target: Ctx, action: str) -> None:
        """Leave the Python loops between here and ``target`` then ``action`` it."""
        inner = [c for c in self.ctx[self.ctx.index(target) + 1:] if c.pyloop]
        if not inner:
            if target.pyloop:
                self.emit(action)
            else:
                raise TranslateError("SYNTAX")
            return
        # pass through dummy loops of TRY/CATCH bodies with a flag
        first_dummy = inner[-1]
        first_dummy.needs_flag = True
        code = 1 if action == "break" else 2
        self.emit(f"{first_dummy.flag} = ({code}, {id(target)})")
        self.emit("break")

    # IF / ELSE ---------------------------------------------------------

    def c_if(self, node: TSNode) -> None:
        kw = node.named_children[0].type
        conds = [c for c in node.named_children if c.type == "expression"]
        if kw == "keyword_old_if":
            rest = self.body_nodes(node)
            if not conds:
                self.emit("if P.test:")
            else:
                parts = [self.cond(c) for c in conds]
                self.emit(f"P.test = 1 if {' and '.join(parts)} else 0")
                self.emit("if P.test:")
            self.depth += 1
            self.statements(rest)
            self.depth -= 1
            return
        body = self.body_nodes(node)
        cond = " and ".join(self.cond(c) for c in conds)
        self.emit(f"if {cond}:")
        self.depth += 1
        self.statements(body)
        self.depth -= 1
        for blk in node.named_children:
            if blk.type == "elseif_block":
                bconds = [c for c in blk.named_children if c.type == "expression"]
                bc = " and ".join(self.cond(c) for c in bconds)
                self.emit(f"elif {bc}:")
                self.depth += 1
                self.statements(self.body_nodes(blk))
                self.depth -= 1
            elif blk.type == "else_block":
                self.emit("else:")
                self.depth += 1
                self.statements(self.body_nodes(blk))
                self.depth -= 1

    def c_else(self, node: TSNode) -> None:
        self.emit("if not P.test:")
        self.depth += 1
        self.statements(self.body_nodes(node))
        self.depth -= 1

    # FOR / WHILE / DO-WHILE ---------------------------------------------

    def loop_body(self, nodes: list[TSNode]) -> None:
        c = Ctx("loop", True)
        self.ctx.append(c)
        self.depth += 1
        self.statements(nodes)
        self.depth -= 1
        self.ctx.pop()

    def c_for(self, node: TSNode) -> None:
        body = self.body_nodes(node)
        param = first(node, "for_parameter")
        if param is None:
            if self.order_loop(body):
                return
            self.emit("while True:")
            self.loop_body(body)
            return
        lv = param.named_children[0]
        if lv.type != "lvn" or first(lv, "method_args") is not None:
            return self.for_general(param, body)
        name = text(lv.named_children[0])
        nd = self.var(name)
        fargs = named(param, "for_parameter_arg")
        if len(fargs) == 1:
            parts = named(fargs[0], "expression")
            if len(parts) == 1:
                self.emit(f"{nd}.value = {self.expr(parts[0])}")
                self.emit("for _ in P.ONCE:")
                self.loop_body(body)
                return
            pv = [self.expr(p) for p in parts]
            it = self.tmp()
            modifies = self.may_modify(body, name)
            # a NEW in the body may swap the variable: the loop then steps the one the body
            # sees, looked up by name at each pass (ANSI M: the control variable's value is
            # read again after each pass)
            step_node = f"P.rebind({name!r})" if modifies and self.may_new(body, name) else nd
            if len(pv) == 2:
                call = f"P.for_open({step_node}, {pv[0]}, {pv[1]}, {modifies})"
            else:
                call = f"P.for_range({step_node}, {pv[0]}, {pv[1]}, {pv[2]}, {modifies})"
            self.emit(f"for {it} in {call}:")
            self.depth += 1
            self.emit(f"{nd}.value = {it}")
            self.depth -= 1
            if modifies:
                self.loop_body(body)
            else:
                saved = self.loopvals.get(name)
                self.loopvals[name] = it
                if all(self._int_literal(x) for x in parts):
                    self.int_loopvals.add(it)
                self.loop_body(body)
                if saved is None:
                    self.loopvals.pop(name, None)
                else:
                    self.loopvals[name] = saved
            return
        return self.for_general(param, body)

    def order_loop(self, body: list[TSNode]) -> bool:
        """``for { set k=$order(x(k)) quit:k=""  ... }`` (a local or global ``x`` with one
        subscript): the step's answer, a string, is tested directly instead of reading
        ``k`` back. Returns False (nothing emitted) for any other loop."""
        cmds = [c for st in body for c in st.named_children if c.type.startswith("command_")]
        if len(cmds) < 2 or cmds[0].type != "command_set" or cmds[1].type != "command_quit":
            return False
        set_cmd, quit_cmd = cmds[0], cmds[1]
        args = named(set_cmd, "set_argument")
        if (self.gen.debug or first(set_cmd, "post_conditional") is not None or len(args) != 1
                or len(args[0].named_children) != 2):
            return False
        target, value = args[0].named_children
        lv = target.named_children[0] if target.type == "set_target" and \
            target.named_children else None
        if lv is None or lv.type != "lvn" or first(lv, "method_args") is not None:
            return False
        name = text(lv.named_children[0])
        fn = self.unwrap_arg(value)
        if name in self.loopvals or fn.type != "system_defined_function" or \
                FUNC_ALIASES.get(self.fname(fn)) != "$ORDER":
            return False
        fargs = self.arg_list(fn)
        if len(fargs) != 1 or fargs[0] is None:
            return False
        ref = self.unwrap_arg(fargs[0])
        margs = first(ref, "method_args") if ref.type in ("lvn", "gvn") else None
        items = self.arg_list(margs) if margs is not None else []
        if len(items) != 1 or items[0] is None:
            return False
        sub = self.unwrap_arg(items[0])
        if sub.type != "lvn" or first(sub, "method_args") is not None or \
                text(sub.named_children[0]) != name:
            return False
        # QUIT:k="" with no argument
        pc = first(quit_cmd, "post_conditional")
        e = first(pc, "expression") if pc is not None else None
        if e is None or first(quit_cmd, "expression") is not None:
            return False
        seq = self.flatten(e)
        if (len(seq) != 3 or seq[0].type != "lvn" or first(seq[0], "method_args") is not None
                or text(seq[0].named_children[0]) != name
                or seq[1].type != "binary_operator" or text(seq[1]).strip() != "="
                or self.unwrap_arg(seq[2]).type != "string_literal"
                or _string_literal(text(self.unwrap_arg(seq[2]))) != ""):
            return False
        r1 = self.ref1(ref)
        if r1 is None:
            return False
        step = self.tmp()
        node_var = self.var(name)
        rest = cmds[2:]
        if ref.type == "lvn" and not self.may_modify(rest, name) and \
                not self.may_modify(rest, text(ref.named_children[0])):
            # nothing in the body can change the array or k: the walk is a plain loop over
            # the children after k (at the end k is "", as the QUIT leaves it)
            self.with_loc(set_cmd, lambda: self.emit(
                f"for {step} in {r1[0]}.keys_after({r1[1]}):"))
            c = Ctx("loop", True)
            self.ctx.append(c)
            self.depth += 1
            self.emit(f"{node_var}.value = {step}")
            for cmd in rest:
                self.with_loc(cmd, lambda cmd=cmd: self.command(cmd))
            self.depth -= 1
            self.ctx.pop()
            self.with_loc(quit_cmd, lambda: self.emit("else:"))
            self.depth += 1
            self.with_loc(quit_cmd, lambda: self.emit(f"{node_var}.value = ''"))
            self.depth -= 1
            return True

        def emit_step() -> None:
            if ref.type == "gvn":   # the reference is recorded: $ZREFERENCE, naked
                ts = self.tmp()
                self.emit(f"{ts} = {r1[1]}")
                self.emit(f"P.zr = ({gname1(r1)}, ({ts},))")
                self.emit(f"{step} = {r1[0]}.next1({ts})")
            else:
                self.emit(f"{step} = {r1[0]}.next1({r1[1]})")
            self.emit(f"{node_var}.value = {step}")

        def emit_quit() -> None:
            self.emit(f"if {step} == '':")
            self.depth += 1
            self.emit("break")
            self.depth -= 1

        self.emit("while True:")
        c = Ctx("loop", True)
        self.ctx.append(c)
        self.depth += 1
        self.with_loc(set_cmd, emit_step)
        self.with_loc(quit_cmd, emit_quit)
        for cmd in cmds[2:]:
            self.with_loc(cmd, lambda cmd=cmd: self.command(cmd))
        self.depth -= 1
        self.ctx.pop()
        return True

    def _int_literal(self, node: TSNode) -> bool:
        inner = self.unwrap_arg(node)
        if inner.type == "unary_expression" and inner.children[0].type in ("-", "+"):
            e = first(inner, "expression")
            inner = self.unwrap_arg(e) if e is not None else inner
        return inner.type == "numeric_literal" and type(V.num(text(inner))) is int

    def for_general(self, param: TSNode, body: list[TSNode]) -> None:
        lv = param.named_children[0]
        n, s = self.ref(lv)
        if lv.type == "lvn" and self.may_new(body, text(lv.named_children[0])):
            n = f"P.rebind({text(lv.named_children[0])!r})"
        specs = []
        for fa in named(param, "for_parameter_arg"):
            parts = named(fa, "expression")
            specs.append("(" + ", ".join(f"lambda: {self.expr(p)}" for p in parts) + ",)")
        nt, st = self.tmp(), self.tmp()
        self.emit(f"{nt} = {n}; {st} = {s}")
        it = self.tmp()
        self.emit(f"for {it} in P.for_list({nt}, {st}, ({', '.join(specs)},)):")
        self.depth += 1
        self.emit(f"{nt}.set({st}, {it})")
        self.depth -= 1
        self.loop_body(body)

    def may_modify(self, body: list[TSNode], name: str) -> bool:
        """Whether the loop body might change the loop variable (then the loop re-reads it
        after each pass, as ObjectScript requires)."""
        private = self.fn.scope.is_private(name)
        stack = list(body)
        while stack:
            n = stack.pop()
            t = n.type
            if t in ("command_do", "command_xecute", "extrinsic_function", "class_method_call",
                     "indirection", "command_goto", "oref_chain_expr", "command_job",
                     "oref_method", "relative_dot_method", "superclass_method_call") and \
                    not private:
                return True
            if t == "command_do" and not named(n, "do_parameter"):
                return True     # a dot block shares the variables
            if t == "set_target" and n.named_children and \
                    n.named_children[0].type in ("lvn", "gvn"):
                # SET of another variable or of a global: only its subscripts may matter
                inner = n.named_children[0]
                if inner.type == "lvn" and inner.named_children and \
                        text(inner.named_children[0]) == name:
                    return True
                stack.extend(n.named_children)
                continue
            if t == "system_defined_function":
                m = _FNAME_RE.match(text(n))
                fname = m.group(0).upper() if m is not None else ""
                if fname in _PURE_FUNCS:
                    stack.extend(n.named_children)   # its arguments may hold others
                    continue
                if FUNC_ALIASES.get(fname, fname) in _CODE_FUNCS and not private:
                    return True
            if t in ("byref_arg", "set_target", "kill_target", "command_new", "read_variable",
                     "merge_argument", "kill_target_list", "command_kill", "for_parameter",
                     "command_zkill", "command_merge", "command_read",
                     "system_defined_function", "catch_block") and \
                    (name in _idents(n) or t in ("command_kill", "command_new")):
                return True
            stack.extend(n.named_children)
        return False

    def may_new(self, body: list[TSNode], name: str) -> bool:
        """Whether the body holds a NEW that may swap public variable ``name`` (any NEW
        but one that lists only other names; a dot block's NEW ends with its level)."""
        if self.fn.scope.is_private(name):
            return False
        stack = list(body)
        while stack:
            n = stack.pop()
            if n.type == "command_new":
                args = named(n, "command_new_argument")
                if not args or text(n).find("(") >= 0 or name in _idents(n) or \
                        any(first(it, "indirection") is not None
                            for a in args for it in named(a, "command_new_item")):
                    return True
                continue
            stack.extend(n.named_children)
        return False

    def c_while(self, node: TSNode) -> None:
        conds = [c for c in node.named_children if c.type == "expression"]
        cond = " and ".join(self.cond(c) for c in conds) or "True"
        self.emit(f"while {cond}:")
        self.loop_body(self.body_nodes(node))

    def c_dowhile(self, node: TSNode) -> None:
        conds = [c for c in node.named_children if c.type == "expression"]
        cond = " and ".join(self.cond(c) for c in conds) or "True"
        f = self.tmp()
        self.emit(f"{f} = True")
        self.emit(f"while {f} or ({cond}):")
        self.depth += 1
        self.emit(f"{f} = False")
        self.depth -= 1
        self.loop_body(self.body_nodes(node))

    # TRY / CATCH / THROW -----------------------------------------------

    def c_trycatch(self, node: TSNode) -> None:
        body = self.body_nodes(node)
        catch = first(node, "catch_block")
        self.emit("try:")
        self.depth += 1
        self.guarded_block(body)
        self.depth -= 1
        ev = self.tmp()
        self.emit(f"except _CATCHABLE as {ev}:")
        self.depth += 1
        self.emit(f"{ev} = P.caught({ev})")
        if catch is not None:
            var = first(catch, "lvn")
            if var is not None:
                self.assign(var, ev)
            self.guarded_block(self.body_nodes(catch))
        else:
            self.emit("pass")
        self.depth -= 1

    def guarded_block(self, body: list[TSNode]) -> None:
        """A TRY or CATCH body: QUIT leaves the block (a one-pass dummy loop)."""
        flag = f"_f{id(body) % 100000}_{self.fn.temp}"
        self.fn.temp += 1
        c = Ctx("try", True, flag)
        start = len(self.fn.body)
        self.emit(f"{flag} = None")
        self.emit("for _ in P.ONCE:")
        self.ctx.append(c)
        self.depth += 1
        self.statements(body)
        self.depth -= 1
        self.ctx.pop()
        if c.needs_flag:
            self.emit(f"if {flag} is not None:")
            self.depth += 1
            for outer in reversed(self.ctx):
                self.emit(f"if {flag}[1] == {id(outer)}:")
                self.depth += 1
                self.emit(f"{flag} = {flag}[0]")
                self.exit_ctx_plain(outer, flag)
                self.depth -= 1
                if outer.kind == "loop":
                    break   # targets lie at or inside the innermost real loop
            self.depth -= 1
        else:
            # no flag needed: drop the initialisation
            del self.fn.body[start]

    def exit_ctx_plain(self, target: Ctx, flag: str) -> None:
        inner = [c for c in self.ctx[self.ctx.index(target) + 1:] if c.pyloop]
        if not inner:
            self.emit(f"if {flag} == 1: break")
            self.emit("continue")
            return
        d = inner[-1]
        d.needs_flag = True
        self.emit(f"{d.flag} = ({flag}, {id(target)})")
        self.emit("break")

    def c_throw(self, node: TSNode) -> None:
        did = self.guarded(node)
        e = first(node, "expression")
        self.emit(f"P.throw({self.expr(e)})" if e is not None else "P.throw(None)")
        self.unguard(did)

    # DO / GOTO ---------------------------------------------------------

    def c_do(self, node: TSNode) -> None:
        did = self.guarded(node)
        params = named(node, "do_parameter")
        if not params:
            self.gen.dot_block(self)
        for p in params:
            self.do_param(p)
        self.unguard(did)
        after = first(node, "do_statement_after")
        if after is not None:
            for c in after.named_children:
                if c.type.startswith("command_"):
                    self.command(c)
                elif c.type == "statement":
                    self.statements([c])

    def do_param(self, p: TSNode) -> None:
        pc = self.postcond(p)
        if pc is not None:
            self.emit(f"if {pc}:")
            self.depth += 1
        inner = p.named_children[0]
        if inner.type == "routine_tag_call":
            lr = first(inner, "line_ref")
            args = first(inner, "method_args")
            if lr is None:
                label, rtn, offset, ind = self.line_ref(inner)
            else:
                label, rtn, offset, ind = self.line_ref(lr)
            acts = self.actuals(args)
            if ind and args is None:
                self.emit(f"P.xind('do', {label})")
            elif ind:
                self.emit(f"P.call_ind({label}, False{acts})")
            else:
                self.emit(self.gen.call_expr(self, label, rtn, acts, want=False, offset=offset,
                                             with_args=args is not None))
        elif inner.type == "class_method_call":
            self.emit(self.class_call(inner, want=False))
        elif inner.type in ("relative_dot_method", "superclass_method_call"):
            self.emit(self.object_atom(inner, want=False))
        elif inner.type == "system_defined_function" and first(inner, "class_name") is not None:
            self.emit(self.system_call(inner, want=False))
        elif inner.type == "system_defined_function" and \
                FUNC_ALIASES.get(self.fname(inner)) in ("$METHOD", "$CLASSMETHOD"):
            # DO $METHOD(oref, name, args) / DO $CLASSMETHOD(class, name, args): the method
            # runs, its value (if any) is dropped (RCOS_fmethod, RCOS_fclassmethod)
            kind = FUNC_ALIASES[self.fname(inner)][1:].lower()
            fargs = self.arg_list(inner)
            self.emit(f"P.do_fn_{kind}({', '.join(self.plain_args(fargs))})")
        elif inner.type in ("lvn", "oref_chain_expr"):
            if inner.type == "lvn":
                obj = self.expr(inner)
                segs = [c for c in p.named_children[1:]
                        if c.type in ("oref_chain_segment", "oref_method", "oref_property")]
                if not segs or segs[-1].type != "oref_method":
                    raise TranslateError("SYNTAX")
                for seg in segs[:-1]:
                    obj = self.oref_segment(obj, seg)
                self.emit(self.oref_segment(obj, segs[-1], want=False))
            else:
                self.emit(self.oref_chain(inner, want=False))
        else:
            raise TranslateError("SYNTAX")
        if pc is not None:
            self.depth -= 1

    def c_goto(self, node: TSNode) -> None:
        did = self.guarded(node)
        for arg in named(node, "goto_argument"):
            pc = self.postcond(arg)
            if pc is not None:
                self.emit(f"if {pc}:")
                self.depth += 1
            lr = first(arg, "line_ref") or arg
            label, rtn, offset, ind = self.line_ref(lr)
            if ind:
                self.emit(f"return P.goto_ind({label})")
            else:
                self.emit("return " + self.gen.jump_expr(self, label, rtn, offset))
            if pc is not None:
                self.depth -= 1
        if not named(node, "goto_argument"):
            raise TranslateError("COMMAND")
        self.unguard(did)

    # KILL / NEW / MERGE ------------------------------------------------

    def c_kill(self, node: TSNode) -> None:
        did = self.guarded(node)
        targets = [c for c in node.named_children if c.type in ("kill_target", "kill_target_list")]
        if not targets:
            self.emit("P.kill_all(())")
        for tg in targets:
            if tg.type == "kill_target_list":
                names = [text(x.named_children[0].named_children[0]) for x in
                         named(tg, "set_target")]
                self.emit(f"P.kill_all({tuple(names)!r})")
                self.refresh_privates_after_kill(names)
                continue
            if tg.children and tg.children[0].type == "(":
                names = [text(lv.named_children[0]) for e in named(tg, "expression")
                         for lv in named(e, "lvn")]
                self.emit(f"P.kill_all({tuple(names)!r})")
                self.refresh_privates_after_kill(names)
                continue
            inner = tg.named_children[0]
            if inner.type == "indirection" and first(inner, "method_args") is None:
                self.emit(f"P.xind('kill', {self.expr(first(inner, 'expression'))})")  # type: ignore[arg-type]
                continue
            n, s = self.ref(inner)
            self.emit(f"{n}.kill({s})")
        self.unguard(did)

    def refresh_privates_after_kill(self, keep: list[str]) -> None:
        for name in sorted(self.fn.scope.privates):
            if name not in keep:
                self.emit(f"p_{pyname(name)}.kill(())")

    def c_new(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.fn.has_new = True
        args = named(node, "command_new_argument")
        if not args:
            self.emit("P.new_all(())")
        for a in args:
            items = named(a, "command_new_item")
            is_excl = text(a).startswith("(")
            names = []
            for it in items:
                lv = first(it, "lvn")
                if lv is not None:
                    names.append(text(lv.named_children[0]))
                elif first(it, "system_defined_variable") is not None:
                    sv = text(first(it, "system_defined_variable")).upper()  # type: ignore[arg-type]
                    self.emit(f"P.new_special({sv!r})")
                elif first(it, "indirection") is not None:
                    ind = first(it, "indirection")
                    self.emit(f"P.xind('new', {self.expr(first(ind, 'expression'))})")  # type: ignore[arg-type]
            if is_excl:
                self.emit(f"P.new_all({tuple(names)!r})")
            else:
                pub = [n for n in names if not self.fn.scope.is_private(n)]
                for n in names:
                    if self.fn.scope.is_private(n):
                        self.emit(f"{self.var(n)}.kill(())")
                if pub:
                    self.emit(f"P.sym.new({tuple(pub)!r})")
        self.emit("#REFETCH")
        self.unguard(did)

    def c_merge(self, node: TSNode) -> None:
        did = self.guarded(node)
        for arg in named(node, "merge_argument"):
            kids = arg.named_children
            if len(kids) != 2:
                raise TranslateError("SYNTAX")
            tgt = kids[0].named_children[0] if kids[0].type == "set_target" else kids[0]
            src = self.unwrap_arg(kids[1])
            tn, ts = self.ref(tgt)
            sn, ss = self.ref(src)
            self.emit(f"{tn}.merge_from({ts}, {sn}, {ss})")
        self.unguard(did)

    # XECUTE / HANG / HALT / READ / ZWRITE / JOB / ZN ----------------------

    def c_xecute(self, node: TSNode) -> None:
        did = self.guarded(node)
        for a in named(node, "xecute_argument"):
            e = first(a, "expression")
            if e is None:
                raise TranslateError("SYNTAX")
            pc = self.postcond(a)
            code = f"P.xecute({self.expr(e)})"
            if pc is not None:
                self.emit(f"if {pc}: {code}")
            else:
                self.emit(code)
        self.unguard(did)

    def c_halt_or_hang(self, node: TSNode) -> None:
        did = self.guarded(node)
        kw = node.named_children[0]
        e = first(node, "expression")
        if kw.type == "keyword_hang" and e is not None:
            self.emit(f"P.hang({self.expr(e)})")
        elif kw.type == "keyword_hang":
            self.emit("P.halt()")
        else:
            self.emit("P.halt()")
        self.unguard(did)

    def c_halt(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("P.halt()")
        self.unguard(did)

    def c_hang(self, node: TSNode) -> None:
        self.c_halt_or_hang(node)

    def c_read(self, node: TSNode) -> None:
        did = self.guarded(node)
        for a in named(node, "read_argument"):
            kids = a.named_children
            if not kids:
                raise TranslateError("SYNTAX")
            k = kids[0]
            if k.type == "string_literal":
                self.emit(f"P.w({self.atom(k)})")
            elif k.type == "read_fchar":
                self.write_control_text(text(k))
            elif k.type in ("write_device_control",):
                for c in k.named_children:
                    self.write_control(c)
            elif k.type == "read_variable":
                self.read_var_arg(k)
            elif k.type == "expression":
                self.emit(f"P.w({self.expr(k)})")
            else:
                raise TranslateError("SYNTAX")
        self.unguard(did)

    def write_control_text(self, s: str) -> None:
        for ch in s:
            if ch == "!":
                self.emit("P.nl()")
            elif ch == "#":
                self.emit("P.ff()")
        m = re.search(r"\?(\d+)", s)
        if m:
            self.emit(f"P.tab({int(m.group(1))})")

    def read_var_arg(self, k: TSNode) -> None:
        src = text(k)
        single = src.startswith("*")
        target = first(k, "lvn", "gvn", "indirection")
        if target is None:
            raise TranslateError("SYNTAX")
        exprs = named(k, "expression")
        # forms: x, x#n, x:t, x#n:t, *x, *x:t
        after = src[len(text(target)) + (1 if single else 0):]
        maxlen = "None"
        timeout = "None"
        if after.startswith("#"):
            maxlen = self.expr(exprs[0])
            if ":" in after and len(exprs) > 1:
                timeout = self.expr(exprs[1])
        elif after.startswith(":") and exprs:
            timeout = self.expr(exprs[0])
        n, s = self.ref(target)
        self.emit(f"{n}.set({s}, P.read({maxlen}, {timeout}, {single}))")

    def c_zwrite(self, node: TSNode) -> None:
        did = self.guarded(node)
        args = [c for c in node.named_children if c.type == "expression"]
        if not args:
            self.emit(f"P.zwrite_all({self.private_map()})")
        for a in args:
            inner = self.unwrap_arg(a)
            if inner.type in ("lvn", "gvn", "indirection"):
                n, s = self.ref(inner)
                self.emit(f"P.zwrite({n}, {s})")
            else:
                self.emit(f"P.zwrite_value({self.expr(a)})")
        self.unguard(did)

    def private_map(self) -> str:
        if not self.fn.scope.proc:
            return "None"
        self.gen.want_private_map(self)
        return "_privmap()"

    def c_job(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("raise E('UNIMPLEMENTED', 'JOB is not available in this runtime')")
        self.unguard(did)

    def c_zn(self, node: TSNode) -> None:
        did = self.guarded(node)
        e = first(node, "expression")
        if e is None:
            raise TranslateError("SYNTAX")
        self.emit(f"P.set_namespace({self.expr(e)})")
        self.unguard(did)

    def c_lock(self, node: TSNode) -> None:
        """LOCK: ``P.lock_cmd(op, refs, timeout)`` per argument (``op`` "+", "-" or "" for a
        plain LOCK that first releases this process's locks; each ref ``(name, subs,
        locktype)``, a name indirection ``@x`` / ``@x@(subs)`` resolved by ``P.lock_name``);
        an argument that is only ``@x`` is argument indirection (``P.lock_ind``: the value
        is a whole argument list); argumentless LOCK releases them all."""
        did = self.guarded(node)
        args = [c for c in node.named_children if c.type == "command_lock_argument"]
        if not args:
            self.emit("P.lock_cmd('', [], None)")
        for arg in args:
            op = arg.children[0].type if arg.children[0].type in ("+", "-") else ""
            items = [c for c in arg.named_children if c.type == "lock_arg"]
            timeout = first(arg, "timeout")
            if not op and timeout is None and len(items) == 1 and arg.children[0].type != "(":
                inner = items[0].named_children[0] if items[0].named_children else None
                if (inner is not None and inner.type == "indirection"
                        and first(inner, "method_args") is None
                        and first(items[0], "locktype") is None):
                    self.emit(f"P.lock_ind({self.expr(first(inner, 'expression'))})")  # type: ignore[arg-type]
                    continue
            refs = []
            for la in items:
                inner = la.named_children[0] if la.named_children else None
                lt = first(la, "locktype")
                if lt is None:
                    ltype = "''"
                else:
                    lt_kids = lt.named_children
                    if len(lt_kids) != 1:
                        raise TranslateError("UNIMPLEMENTED")
                    lk = lt_kids[0]
                    if lk.type == "lvn" and not lk.named_children:  # #var: a bare name
                        ltype = self.read_var(text(lk))
                    else:
                        ltype = self.expr(lk)
                if inner is not None and inner.type == "indirection":
                    ie = first(inner, "expression")
                    if ie is None:
                        raise TranslateError("SYNTAX")
                    extra = self.subs(first(inner, "method_args"))
                    refs.append(f"P.lock_name({self.expr(ie)}, {extra}, {ltype})")
                    continue
                if inner is None or inner.type not in ("gvn", "lvn"):
                    raise TranslateError("UNIMPLEMENTED")
                ident = first(inner, "identifier", "objectscript_identifier")
                if ident is None:
                    raise TranslateError("SYNTAX")
                name = ("^" if inner.type == "gvn" else "") + text(ident)
                subs = self.subs(first(inner, "method_args"))
                refs.append(f"({name!r}, {subs}, {ltype})")
            texpr = first(timeout, "expression") if timeout is not None else None
            t = self.expr(texpr) if texpr is not None else "None"
            self.emit(f"P.lock_cmd({op!r}, [{', '.join(refs)}], {t})")
        self.unguard(did)

    def c_tstart(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("P.tstart()")
        self.unguard(did)

    def c_tcommit(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("P.tcommit()")
        self.unguard(did)

    def c_trollback(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("P.trollback()")
        self.unguard(did)

    def c_break(self, node: TSNode) -> None:
        did = self.guarded(node)
        self.emit("pass  # BREAK")
        self.unguard(did)

    def c_view(self, node: TSNode) -> None:
        raise TranslateError("UNIMPLEMENTED")

    def c_open(self, node: TSNode) -> None:
        self.device_command(node, "OPEN")

    def c_use(self, node: TSNode) -> None:
        self.device_command(node, "USE")

    def c_close(self, node: TSNode) -> None:
        self.device_command(node, "CLOSE")

    def device_command(self, node: TSNode, command: str) -> None:
        """OPEN / USE / CLOSE: each argument's device goes to ``P.device_cmd`` (the terminal
        only; any other device is ``<PROTECT>``)."""
        did = self.guarded(node)
        for arg in node.named_children:
            device = first(arg, "device")
            e = first(device, "expression") if device is not None else None
            if e is not None:
                self.emit(f"P.device_cmd({command!r}, {self.expr(e)})")
        self.unguard(did)

    def c_ztrap(self, node: TSNode) -> None:
        """``ZTRAP``, ``ZTRAP expr`` (``<Zxxxx>``), ``ZTRAP $ZERROR`` (pass the error on)."""
        did = self.guarded(node)
        e = first(node, "expression")
        if e is None:
            self.emit("P.ztrap_cmd()")
        else:
            inner = self.unwrap_arg(e)
            if inner.type == "system_defined_variable" and \
                    SPECIAL_VARS.get(text(inner).upper()) == "zerror":
                self.emit("P.ztrap_zerror()")
            else:
                self.emit(f"P.ztrap_cmd({self.expr(e)})")
        self.unguard(did)

    def c_zkill(self, node: TSNode) -> None:
        did = self.guarded(node)
        for tg in node.named_children:
            inner = tg.named_children[0] if tg.named_children and \
                tg.type not in ("lvn", "gvn") else tg
            if inner.type in ("lvn", "gvn"):
                n, s = self.ref(inner)
                self.emit(f"{n}.zkill({s})")
        self.unguard(did)


def _idents(node: TSNode) -> set[str]:
    out = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("objectscript_identifier", "identifier"):
            out.add(text(n))
        stack.extend(n.named_children)
    return out


def _string_literal(src: str) -> str:
    return src[1:-1].replace('""', '"')
