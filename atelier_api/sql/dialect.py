"""IRIS SQL as sqlglot reads it: tokens fixed up for ``%Names``, ``$FUNCTIONS``, ``%STARTSWITH``,
``%INLIST`` and ``TOP``, positional ``?`` numbered, then parsed into sqlglot expressions.

The fix-ups work on the token stream, never on the statement text: ``%`` glued to the word
after it (``%Dictionary``, ``%STARTSWITH``) becomes part of that word only when it stands where
an operand may start, so ``10 % 3`` stays a modulo.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp, parser, tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

#: prefix standing for ``$`` in function names (``$LISTFROMSTRING`` -> ``D__LISTFROMSTRING``)
DOLLAR = "D__"
#: infix IRIS predicates carried on sqlglot's GLOB / RLIKE range tokens
INFIX = {"%STARTSWITH": TokenType.GLOB, "%INLIST": TokenType.RLIKE}
_OPERAND_AFTER = {
    TokenType.SELECT, TokenType.FROM, TokenType.JOIN, TokenType.COMMA, TokenType.L_PAREN,
    TokenType.WHERE, TokenType.AND, TokenType.OR, TokenType.ON, TokenType.NOT, TokenType.EQ,
    TokenType.NEQ, TokenType.GT, TokenType.GTE, TokenType.LT, TokenType.LTE, TokenType.INTO,
    TokenType.UPDATE, TokenType.SET, TokenType.IN, TokenType.DISTINCT, TokenType.TABLE,
    TokenType.HAVING, TokenType.THEN, TokenType.ELSE, TokenType.WHEN, TokenType.CASE,
    TokenType.EXISTS, TokenType.DPIPE, TokenType.PLUS, TokenType.DASH, TokenType.STAR,
    TokenType.SLASH, TokenType.ORDER_BY, TokenType.UNION, TokenType.LIKE, TokenType.IS,
}


class SqlSyntaxError(ValueError):
    """The statement is not SQL this server can read."""


class Iris(Dialect):
    """sqlglot dialect for the IRIS statements clients send (strings escape only ``''``)."""

    class Tokenizer(tokens.Tokenizer):
        STRING_ESCAPES = ["'"]
        KEYWORDS = {**tokens.Tokenizer.KEYWORDS, "TOP": TokenType.TOP}

    class Parser(parser.Parser):
        pass


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
    """Glue ``%`` to words, rename ``$`` functions, number ``?`` placeholders."""
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
        if tok.token_type == TokenType.VAR and tok.text.startswith("$"):
            out.append(_retext(tok, DOLLAR + tok.text[1:].upper()))
        elif tok.token_type == TokenType.PLACEHOLDER and tok.text == "?":
            count += 1
            out.append(_retext(tok, ":", TokenType.COLON))
            out.append(_retext(tok, f"p{count}", TokenType.VAR))
        else:
            out.append(tok)
        i += 1
    return out, count


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
