"""IRIS SQL as sqlglot reads it: tokens fixed up for ``%Names``, ``$FUNCTIONS``, the IRIS
predicates (``%STARTSWITH``, ``%INLIST``, ``%PATTERN``, ``[`` contains, ``]`` follows), ``TOP``,
``DISTINCT BY (...)``, omitted function arguments, functions whose names sqlglot reads as
keywords (``STRING(...)``, ``LIST(...)``) and the collation functions written without
parentheses (``%SQLUPPER Name``); positional ``?`` numbered; then parsed into sqlglot
expressions.

The fix-ups work on the token stream, never on the statement text: ``%`` glued to the word
after it (``%Dictionary``, ``%STARTSWITH``) becomes part of that word only when it stands where
an operand may start, so ``10 % 3`` stays a modulo. An omitted argument (``f(a,,b)``,
``Proc(?,1,,0)``) is a NULL in its place, as in IRIS (sqlglot would drop it and shift the
arguments after it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

#: prefix standing for ``$`` in function names (``$LISTFROMSTRING`` -> ``D__LISTFROMSTRING``)
DOLLAR = "D__"
#: the token type carrying the IRIS predicates parsed by ``_iris_predicate`` (the token text
#: says which); sqlglot's own ``-|-`` shares it and is refused there
PREDICATE = TokenType.ADJACENT
#: infix IRIS predicates: ``%STARTSWITH`` / ``%INLIST`` on sqlglot's GLOB / RLIKE range tokens,
#: the others on PREDICATE
INFIX = {"%STARTSWITH": TokenType.GLOB, "%INLIST": TokenType.RLIKE, "%PATTERN": PREDICATE}
#: functions whose names sqlglot tokenizes as keywords (a type, a DuckDB constructor...)
KEYWORD_FUNCTIONS = {"STRING", "LIST"}
#: keyword tokens that open a function's argument list (omitted arguments are NULLs there)
CALL_KEYWORDS = {"LEFT", "RIGHT", "REPLACE", "STRING", "LIST", "TRIM", "SUBSTRING", "COALESCE",
                 "NULLIF", "IFNULL", "MIN", "MAX", "COUNT", "SUM", "AVG"}
#: collation functions IRIS also accepts without parentheses (``%SQLUPPER Name``)
COLLATIONS = {"%SQLUPPER", "%SQLSTRING", "%EXACT", "%UPPER", "%STRING"}
_OPERAND_AFTER = {
    TokenType.SELECT, TokenType.FROM, TokenType.JOIN, TokenType.COMMA, TokenType.L_PAREN,
    TokenType.WHERE, TokenType.AND, TokenType.OR, TokenType.ON, TokenType.NOT, TokenType.EQ,
    TokenType.NEQ, TokenType.GT, TokenType.GTE, TokenType.LT, TokenType.LTE, TokenType.INTO,
    TokenType.UPDATE, TokenType.SET, TokenType.IN, TokenType.DISTINCT, TokenType.TABLE,
    TokenType.HAVING, TokenType.THEN, TokenType.ELSE, TokenType.WHEN, TokenType.CASE,
    TokenType.EXISTS, TokenType.DPIPE, TokenType.PLUS, TokenType.DASH, TokenType.STAR,
    TokenType.SLASH, TokenType.ORDER_BY, TokenType.UNION, TokenType.LIKE, TokenType.IS,
    TokenType.GLOB, TokenType.RLIKE, PREDICATE, TokenType.GROUP_BY, TokenType.BETWEEN,
}


class SqlSyntaxError(ValueError):
    """The statement is not SQL this server can read."""


class PatternMatch(exp.Expression, exp.Func):
    """``this %PATTERN expression``: ObjectScript pattern match of the whole value."""

    _sql_names = ["IRIS_PATTERN"]
    arg_types = {"this": True, "expression": True}


class Contains(exp.Expression, exp.Func):
    """``this [ expression``: the value contains the string (IRIS's contains operator)."""

    _sql_names = ["IRIS_CONTAINS"]
    arg_types = {"this": True, "expression": True}


class Follows(exp.Expression, exp.Func):
    """``this ] expression``: the value sorts after the other (IRIS's follows operator)."""

    _sql_names = ["IRIS_FOLLOWS"]
    arg_types = {"this": True, "expression": True}


#: operator text -> the expression it builds
PREDICATES: dict[str, type[exp.Func]] = {
    "%PATTERN": PatternMatch, "[": Contains, "]": Follows}


def _iris_predicate(self: parser.Parser, this: exp.Expr | None) -> exp.Expr | None:
    kind = PREDICATES.get(self._prev.text.upper())
    if kind is None:
        self.raise_error(f"Unexpected operator {self._prev.text}")
        return None
    return self.expression(kind(this=this, expression=self._parse_bitwise()))


class Iris(Dialect):
    """sqlglot dialect for the IRIS statements clients send (strings escape only ``''``)."""

    class Tokenizer(tokens.Tokenizer):
        STRING_ESCAPES = ["'"]
        KEYWORDS = {**tokens.Tokenizer.KEYWORDS, "TOP": TokenType.TOP}

    class Parser(parser.Parser):
        RANGE_PARSERS = {**parser.Parser.RANGE_PARSERS, PREDICATE: _iris_predicate}
        # IRIS's STRING(...) and LIST(...) are its own (concatenation, the LIST aggregate)
        FUNCTIONS = {k: v for k, v in parser.Parser.FUNCTIONS.items()
                     if k not in KEYWORD_FUNCTIONS}


class Target(SQLite):
    """SQLite as the engine writes it: identifiers in backticks, never double quotes. SQLite
    reads a double-quoted name that is no column as a string literal (its "DQS" fallback), so
    ``SELECT "Nope"`` would answer the text Nope where IRIS fails with SQLCODE -29; a name in
    backticks is always a name."""

    class Tokenizer(SQLite.Tokenizer):
        IDENTIFIERS = ["`"]


#: the dialect of the SQL text the engine runs on SQLite
TARGET = Target()


@dataclass(frozen=True)
class Parsed:
    """A parsed statement and the number of positional parameters it takes."""

    tree: exp.Expr
    params: int


DIALECT = Iris()
MAX_SQL_LENGTH = 100_000


def parse(sql: str) -> Parsed:
    """Parse one IRIS statement; ``?`` become ``:p1``, ``:p2``... in text order."""
    if not isinstance(sql, str) or not sql.strip():
        raise SqlSyntaxError("empty statement")
    if len(sql) > MAX_SQL_LENGTH:
        raise SqlSyntaxError(f"statement longer than {MAX_SQL_LENGTH} characters")
    try:
        raw = DIALECT.tokenize(sql)
        fixed, count = fix_tokens(raw)
        trees = [t for t in DIALECT.parser().parse(fixed, sql) if t is not None]
    except SqlglotError as exc:
        raise SqlSyntaxError(_first_line(str(exc))) from None
    except RecursionError:
        raise SqlSyntaxError("statement nested too deeply") from None
    if len(trees) != 1:
        raise SqlSyntaxError("exactly one statement is accepted")
    return Parsed(trees[0], count)


def parse_condition(text: str) -> exp.Expr:
    """Parse a bare SQL condition (the StudioOpenDialog Filter argument); no parameters."""
    parsed = parse(f"SELECT 1 FROM rows WHERE {text}")
    if parsed.params:
        raise SqlSyntaxError("a filter condition cannot hold ? parameters")
    where = parsed.tree.args.get("where")
    if not isinstance(parsed.tree, exp.Select) or where is None:
        raise SqlSyntaxError("the filter is not a condition")
    if parsed.tree.args.get("limit") or parsed.tree.args.get("order") or parsed.tree.args.get(
            "group") or parsed.tree.args.get("joins"):
        raise SqlSyntaxError("the filter is not a plain condition")
    return where.this  # type: ignore[no-any-return]


def fix_tokens(raw: list[Token]) -> tuple[list[Token], int]:
    """Glue ``%`` to words, rename ``$`` functions, number ``?`` placeholders, and the other
    fix-ups the module docstring lists."""
    out: list[Token] = []
    count = 0
    i = 0
    while i < len(raw):
        tok = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if tok.token_type == TokenType.MOD and nxt is not None and _glued(out, tok, nxt):
            out.append(_word("%" + nxt.text, tok, nxt))
            i += 2
            continue
        kind = tok.token_type
        if kind == TokenType.VAR and tok.text.startswith("$"):
            out.append(_retext(tok, DOLLAR + tok.text[1:].upper()))
        elif kind == TokenType.PLACEHOLDER and tok.text == "?":
            count += 1
            out.append(_retext(tok, ":", TokenType.COLON))
            out.append(_retext(tok, f"p{count}", TokenType.VAR))
        elif kind in (TokenType.L_BRACKET, TokenType.R_BRACKET):
            out.append(_retext(tok, tok.text, PREDICATE))
        elif kind == TokenType.ADJACENT:
            raise SqlSyntaxError(f"Unexpected operator {tok.text}")
        elif (kind != TokenType.VAR and tok.text.upper() in KEYWORD_FUNCTIONS and nxt is not None
              and nxt.token_type == TokenType.L_PAREN):
            out.append(_retext(tok, tok.text, TokenType.VAR))
        elif (kind == TokenType.VAR and tok.text.upper() == "BY" and out
              and out[-1].token_type == TokenType.DISTINCT and nxt is not None
              and nxt.token_type == TokenType.L_PAREN):
            out.append(_retext(tok, "ON", TokenType.ON))
        else:
            out.append(tok)
        i += 1
    return _omitted_arguments(_collation_operands(out)), count


def _collation_operands(toks: list[Token]) -> list[Token]:
    """``%SQLUPPER Name`` -> ``%SQLUPPER(Name)`` (the operand: a column, literal or ``?``)."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        out.append(tok)
        i += 1
        if not (tok.token_type == TokenType.VAR and tok.text.upper() in COLLATIONS):
            continue
        end = _operand_end(toks, i)
        if end == i:
            continue
        out.append(_retext(toks[i], "(", TokenType.L_PAREN))
        out.extend(toks[i:end])
        out.append(_retext(toks[end - 1], ")", TokenType.R_PAREN))
        i = end
    return out


def _operand_end(toks: list[Token], i: int) -> int:
    """The end of a simple operand starting at ``i`` (``i`` when there is none)."""
    if i >= len(toks):
        return i
    kind = toks[i].token_type
    if kind in (TokenType.STRING, TokenType.NUMBER):
        return i + 1
    if kind == TokenType.COLON and i + 1 < len(toks):
        return i + 2
    if kind not in (TokenType.VAR, TokenType.IDENTIFIER):
        return i
    end = i + 1
    while (end + 1 < len(toks) and toks[end].token_type == TokenType.DOT
           and toks[end + 1].token_type in (TokenType.VAR, TokenType.IDENTIFIER)):
        end += 2
    if end < len(toks) and toks[end].token_type == TokenType.L_PAREN:
        return i  # a function call: not a bare operand
    return end


def _omitted_arguments(toks: list[Token]) -> list[Token]:
    """A NULL for each omitted argument of a function call (``f(a,,b)``, ``f(,a)``,
    ``f(a,)``)."""
    out: list[Token] = []
    calls: list[bool] = []
    for tok in toks:
        kind = tok.token_type
        if calls and calls[-1] and kind in (TokenType.COMMA, TokenType.R_PAREN) and out and (
                out[-1].token_type == TokenType.COMMA or (
                    kind == TokenType.COMMA and out[-1].token_type == TokenType.L_PAREN)):
            out.append(_retext(tok, "NULL", TokenType.NULL))
        if kind == TokenType.L_PAREN:
            prev = out[-1] if out else None
            calls.append(prev is not None and (
                prev.token_type == TokenType.VAR or prev.text.upper() in CALL_KEYWORDS))
        elif kind == TokenType.R_PAREN and calls:
            calls.pop()
        out.append(tok)
    return out


def _glued(out: list[Token], mod: Token, nxt: Token) -> bool:
    """``%`` directly followed by a word, where a word may start (not ``a %b`` modulo)."""
    if nxt.start != mod.end + 1 or not (nxt.text[:1].isalpha() or nxt.text[:1] == "_"):
        return False
    word = "%" + nxt.text.upper()
    if word in INFIX:
        return True
    return not out or out[-1].token_type in _OPERAND_AFTER or out[-1].token_type == TokenType.DOT


def _word(text: str, first: Token, last: Token) -> Token:
    kind = INFIX.get(text.upper(), TokenType.VAR)
    return Token(kind, text, first.line, first.col, first.start, last.end, first.comments)


def _retext(tok: Token, text: str, kind: TokenType | None = None) -> Token:
    return Token(kind or tok.token_type, text, tok.line, tok.col, tok.start, tok.end,
                 tok.comments)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "syntax error"
    return line.replace("\x1b[4m", "").replace("\x1b[0m", "")
