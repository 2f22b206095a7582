"""Valid class shapes that real repositories use compile clean, and every member is read:
block comments between members, indented member declarations, a line that is only ``}``
inside an XData body. Broken structure around them still gives #5559."""

from __future__ import annotations

import pytest
from stub_helpers import cls

from atelier_api.adapters.contract import Outcome

JSON_XDATA = """XData Config [ MimeType = application/json ]
{
{
  "outer": {
    "inner": 1
}
}
}"""

CLASS_TEXT_XDATA = """XData Template
{
Class Inner.Sample
{
Property P;
}
}"""


def _labels(compile_docs, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Compile one class with ``text`` as its members (flags ``ck``): the method labels of its
    generated routine; fails unless the class compiled clean."""
    result = compile_docs([cls("T.Shape", text)])
    assert result.errors == (), result.console
    (out,) = result.outcomes
    assert out.state is Outcome.COMPILED
    routine = {g.name: g.lines for g in out.generated}["T.Shape.1.int"]
    return [line.split("(")[0] for line in routine if line.startswith("z")]


def _method(name: str, indent: str = "") -> str:
    return f"{indent}Method {name}() As %String\n{indent}{{\n{indent}\tquit \"{name}\"\n{indent}}}"


@pytest.mark.parametrize("comment", [
    "/* one line */",
    "/* a block comment\n   over several lines,\n   with a { brace and a } */",
    "/*\n * Javadoc style\n */",
])
def test_block_comments_between_members(compile_docs, comment: str) -> None:
    text = f"{_method('A')}\n\n{comment}\n{_method('B')}\n\n{comment}\n\n{_method('C')}"
    assert _labels(compile_docs, text) == ["zA", "zB", "zC"]


@pytest.mark.parametrize("indent", ["  ", "\t", "    "])
def test_indented_member_declarations(compile_docs, indent: str) -> None:
    text = (f"{_method('A')}\n\n{indent}/// documented\n{_method('B', indent)}\n\n"
            f"{indent}Property P As %String;\n\n{_method('C')}")
    assert _labels(compile_docs, text) == ["zA", "zB", "zC"]


@pytest.mark.parametrize("xdata", [JSON_XDATA, CLASS_TEXT_XDATA])
def test_xdata_body_with_a_line_that_is_only_a_closing_brace(compile_docs, xdata: str) -> None:
    text = f"{_method('A')}\n\n{xdata}\n\n{_method('B')}"
    assert _labels(compile_docs, text) == ["zA", "zB"]


def test_xdata_as_the_last_member(compile_docs) -> None:
    assert _labels(compile_docs, f"{_method('A')}\n\n{JSON_XDATA}") == ["zA"]


@pytest.mark.parametrize("text", [
    "XData X [ MimeType = application/json ]\n{\n{\"a\": 1}\n",  # never closed
    "  Method M()\n  {\n\tif x {\n  }",  # indented, unbalanced
    "/* never closed\nMethod M()\n{\n\tquit\n}",  # the comment swallows the rest
])
def test_broken_structure_is_still_5559(compile_docs, text: str) -> None:
    result = compile_docs([cls("T.Bad", text)])
    assert [e.code for e in result.errors] == ["5559"], result.console


@pytest.mark.parametrize("comment", ["/* inline */ ", "/* over\n   two rows */ "])
def test_a_member_after_a_block_comment_on_the_same_row(compile_docs, comment: str) -> None:
    text = f"{_method('A')}\n\n{JSON_XDATA}\n\n{comment}{_method('B')}\n\n{comment}{_method('C')}"
    assert _labels(compile_docs, text) == ["zA", "zB", "zC"]


EMBEDDED_HTML = """ClassMethod Page()
{
\t&html<<script>if (a<b && c>0) { x = '"'; }</script>>
\t&html<<style type="text/css">
\t.view .open{display:block;
\t.view .shut{display:none}
\t</style>>
\t&html<<div class="a">#(..Name)# { "</div>>
\tquit
}

ClassMethod After()
{
\tquit 1
}"""


def test_embedded_html_with_angle_brackets_braces_and_quotes(compile_docs) -> None:
    # JavaScript comparisons, an unbalanced CSS brace and a lone quote inside &html<...>:
    # HTML's characters, not code's; the next member is read as usual
    assert _labels(compile_docs, EMBEDDED_HTML) == ["zPage", "zAfter"]
