"""The DBGp wire layer (atelier_api.run.dbgp) against ``../shared/spec/debugger.md`` §1–3 and §5:
command parsing for every form the VS Code extension sends, the ``len|base64`` framing, the
compact XML of every packet, ``dbgp://`` locations; and, when node is there, the packets read
by the extension's XML library (@xmldom/xmldom 0.9, installed from npm)."""

from __future__ import annotations

import ast
import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.dom import minidom

import pytest

from atelier_api.run import dbgp
from atelier_api.run.dbgp import (
    TARGET_NOT_STOPPED,
    Command,
    DbgpError,
    Deframer,
    ErrorCode,
    FrameError,
    breakpoint_element,
    breakpoint_filename,
    context_names_response,
    deframe,
    error_response,
    feature_set_response,
    file_uri,
    frame,
    init_packet,
    parse_command,
    parse_file_uri,
    property_element,
    response,
    stack_frame,
    status_response,
    stream_packet,
)
from tests.debug.xmldom import install_xmldom, xmldom


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def one(raw: bytes | str) -> Command:
    commands = parse_command(raw)
    assert len(commands) == 1, commands
    return commands[0]


def root(xml: str) -> minidom.Element:
    node = minidom.parseString(xml.encode("utf-8")).documentElement
    assert node is not None
    return node


def assert_compact(node: minidom.Element) -> None:
    """No text between elements anywhere below ``node`` (§1.6): an element holds elements or
    one text node, never a mix."""
    kinds = {child.nodeType for child in node.childNodes}
    if minidom.Node.ELEMENT_NODE in kinds:
        assert kinds == {minidom.Node.ELEMENT_NODE}, node.toxml()
    else:
        assert len(node.childNodes) <= 1
    for child in node.childNodes:
        if child.nodeType == minidom.Node.ELEMENT_NODE:
            assert ":" not in child.tagName  # no prefixes at all
            assert_compact(child)


def attrs(node: minidom.Element) -> dict[str, str]:
    return {key: value for key, value in node.attributes.items()}


def elements(node: minidom.Element) -> list[minidom.Element]:
    return [c for c in node.childNodes if c.nodeType == minidom.Node.ELEMENT_NODE]


def text(node: minidom.Element) -> str:
    return "".join(c.data for c in node.childNodes if c.nodeType == minidom.Node.TEXT_NODE)


# -- framing --------------------------------------------------------------------------------

SPEC_FRAME = (b"112|PHJlc3BvbnNlIGNvbW1hbmQ9ImZlYXR1cmVfc2V0IiB0cmFuc2FjdGlvbl9pZD0iMSIgZmVhdH"
              b"VyZT0ibWF4X2RhdGEiIHN1Y2Nlc3M9IjEiLz4=")
SPEC_XML = '<response command="feature_set" transaction_id="1" feature="max_data" success="1"/>'


def test_the_spec_example_frame_round_trips_byte_for_byte() -> None:
    assert frame(SPEC_XML) == SPEC_FRAME
    assert feature_set_response(1, "max_data") == SPEC_XML
    assert deframe(SPEC_FRAME) == [SPEC_XML]


def test_the_spec_init_packet_has_the_spec_length() -> None:
    xml = init_packet(appid="pyatelier", idekey="Atelier", session=1, thread=1,
                      language="ObjectScript", fileuri="dbgp://|USER|Demo.Hello.cls",
                      engine_version="0.1.0", engine_name="pyatelier debug agent")
    assert xml == ('<init appid="pyatelier" idekey="Atelier" session="1" thread="1" '
                   'language="ObjectScript" protocol_version="1.0" '
                   'fileuri="dbgp://|USER|Demo.Hello.cls"><engine version="0.1.0">'
                   'pyatelier debug agent</engine></init>')
    assert frame(xml).startswith(b"280|PGluaXQgYXBw")


def test_the_length_counts_base64_characters_not_xml_bytes() -> None:
    xml = '<stream type="stdout" encoding="base64">é€😀</stream>'
    packet = frame(xml)
    length, _, payload = packet.partition(b"|")
    assert int(length) == len(payload) != len(xml.encode("utf-8"))
    assert base64.b64decode(payload).decode("utf-8") == xml
    assert b"\x00" not in packet


PACKETS = [SPEC_XML, stream_packet("Hello, wörld!\r\n"), error_response("eval", 9, 206, "x"),
           status_response("run", 10, "stopped")]


def test_packets_concatenated_in_one_message() -> None:
    assert Deframer().feed(b"".join(frame(x) for x in PACKETS)) == PACKETS


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_packets_split_across_messages(size: int) -> None:
    stream = b"".join(frame(x) for x in PACKETS)
    deframer = Deframer()
    received: list[str] = []
    for start in range(0, len(stream), size):
        received += deframer.feed(stream[start:start + size])
    assert received == PACKETS and not deframer.pending


def test_every_cut_point_of_two_packets() -> None:
    stream = frame(PACKETS[0]) + frame(PACKETS[1])
    for cut in range(len(stream) + 1):
        deframer = Deframer()
        assert deframer.feed(stream[:cut]) + deframer.feed(stream[cut:]) == PACKETS[:2], cut


def test_a_cut_stream_or_a_bad_prefix_is_refused() -> None:
    with pytest.raises(FrameError):
        deframe(SPEC_FRAME[:-3])
    with pytest.raises(FrameError):
        Deframer().feed(b"12a|xxxx")
    with pytest.raises(FrameError):
        Deframer().feed(b"|abcd")
    with pytest.raises(FrameError):
        Deframer().feed(b"4|ab!d")
    with pytest.raises(FrameError):
        Deframer().feed(b"1" * 20)
    with pytest.raises(FrameError):  # base64 of bytes that are no UTF-8
        Deframer().feed(b"4|/w==")


def test_the_module_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(dbgp.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert imported and imported - {"__future__"} <= sys.stdlib_module_names, imported


# -- command parsing: every form of §2.2 ----------------------------------------------------

WATCH = 'ok|$ZNAME="%SYS.cspServer"'
TARGET = "VVNFUjojI2NsYXNzKERlbW8uSGVsbG8pLk1haW4oKQ=="

COMMAND_FORMS: list[tuple[str, str, int, dict[str, str], str | None]] = [
    ("feature_set -i 1 -n max_data -v 8192", "feature_set", 1,
     {"n": "max_data", "v": "8192"}, None),
    ("feature_set -i 2 -n max_children -v 32", "feature_set", 2,
     {"n": "max_children", "v": "32"}, None),
    ("feature_set -i 3 -n max_depth -v 2", "feature_set", 3, {"n": "max_depth", "v": "2"}, None),
    ("feature_set -i 4 -n notify_ok -v 1", "feature_set", 4, {"n": "notify_ok", "v": "1"}, None),
    ("feature_set -i 5 -n step_granularity -v command", "feature_set", 5,
     {"n": "step_granularity", "v": "command"}, None),
    ("feature_set -i 5 -n step_granularity -v line", "feature_set", 5,
     {"n": "step_granularity", "v": "line"}, None),
    (f"feature_set -i 6 -n debug_target -v_base64 {TARGET}", "feature_set", 6,
     {"n": "debug_target", "v": "USER:##class(Demo.Hello).Main()", "v_base64": TARGET}, None),
    ("feature_set -i 6 -n debug_target -v PID:123", "feature_set", 6,
     {"n": "debug_target", "v": "PID:123"}, None),
    ("feature_set -i 6 -n debug_target -v CSPDEBUG:a1b2", "feature_set", 6,
     {"n": "debug_target", "v": "CSPDEBUG:a1b2"}, None),
    ("breakpoint_list -i 7", "breakpoint_list", 7, {}, None),
    ("breakpoint_remove -i 8 -d 12", "breakpoint_remove", 8, {"d": "12"}, None),
    ("breakpoint_set -i 8 -t line -s enabled -f dbgp://|USER|Demo.Hello.cls -m Main -n 3",
     "breakpoint_set", 8,
     {"t": "line", "s": "enabled", "f": "dbgp://|USER|Demo.Hello.cls", "m": "Main", "n": "3"},
     None),
    ("breakpoint_set -i 9 -t line -s enabled -f dbgp://|USER|Demo.Hello.cls -m Main -n 3 -h 5",
     "breakpoint_set", 9, {"m": "Main", "n": "3", "h": "5"}, None),
    ("breakpoint_set -i 10 -t line -s enabled -f dbgp://|USER|Demo.Rtn.mac -n 11",
     "breakpoint_set", 10, {"f": "dbgp://|USER|Demo.Rtn.mac", "n": "11"}, None),
    ("breakpoint_set -i 11 -t line -s enabled -f dbgp://|%25SYS|%25Foo.Bar.cls -m My Method -n 2",
     "breakpoint_set", 11, {"f": "dbgp://|%25SYS|%25Foo.Bar.cls", "m": "My Method", "n": "2"},
     None),
    (f"breakpoint_set -i 12 -t conditional -s enabled -f dbgp://|USER|Demo.Hello.cls -m Main "
     f"-n 3 -h 2 -- {b64('count > 2')}", "breakpoint_set", 12,
     {"t": "conditional", "m": "Main", "n": "3", "h": "2"}, "count > 2"),
    (f"breakpoint_set -i 13 -t conditional -s enabled -f dbgp://|USER|Demo.Rtn.mac -n 4 "
     f"-- {b64('x=1')}", "breakpoint_set", 13, {"n": "4"}, "x=1"),
    (f"breakpoint_set -i 14 -t conditional -s enabled -f dbgp://|USER|page.csp "
     f"-- {b64('a')}", "breakpoint_set", 14, {"f": "dbgp://|USER|page.csp"}, "a"),
    ("breakpoint_set -i 15 -t watch -s enabled -f PLACEHOLDER -m PLACEHOLDER -n PLACEHOLDER "
     f"-- {b64(WATCH)}", "breakpoint_set", 15,
     {"t": "watch", "f": "PLACEHOLDER", "m": "PLACEHOLDER", "n": "PLACEHOLDER"},
     'ok|$ZNAME="%SYS.cspServer"'),
    ("run -i 16", "run", 16, {}, None),
    ("step_over -i 17", "step_over", 17, {}, None),
    ("step_into -i 18", "step_into", 18, {}, None),
    ("step_out -i 19", "step_out", 19, {}, None),
    ("break -i 20", "break", 20, {}, None),
    ("stack_get -i 21", "stack_get", 21, {}, None),
    ("context_names -i 22 -d 0", "context_names", 22, {"d": "0"}, None),
    ("context_get -i 23 -d 1 -c 2", "context_get", 23, {"d": "1", "c": "2"}, None),
    ('property_get -i 24 -d 0 -c 0 -n "arr(\\"a\\",1)"', "property_get", 24,
     {"d": "0", "c": "0", "n": 'arr("a",1)'}, None),
    ('property_get -i 25 -d 0 -c 1 -n "x(\\"back\\\\slash\\", \\"q\\")"', "property_get", 25,
     {"n": 'x("back\\slash", "q")'}, None),
    (f'property_set -i 26 -d 0 -n x(1,"a b") -- {b64("42")}', "property_set", 26,
     {"d": "0", "n": 'x(1,"a b")'}, "42"),
    (f'property_set -i 27 -d 2 -n obj.Items(1,"k -x y") -- {b64("new text")}', "property_set",
     27, {"d": "2", "n": 'obj.Items(1,"k -x y")'}, "new text"),
    (f"eval -i 28 -- {b64('count * 2')}", "eval", 28, {}, "count * 2"),
    ("detach -i 29", "detach", 29, {}, None),
    ("stop -i 30", "stop", 30, {}, None),
    ("breakpoint_update -i 31 -d 4 -s disabled", "breakpoint_update", 31,
     {"d": "4", "s": "disabled"}, None),
]


@pytest.mark.parametrize(("line", "name", "txid", "expected", "data"), COMMAND_FORMS,
                         ids=[f"{form[1]}-{form[2]}" for form in COMMAND_FORMS])
def test_every_command_form(line: str, name: str, txid: int, expected: dict[str, str],
                            data: str | None) -> None:
    """Binary frames of latin-1 text ending in \\n (the extension), and text frames."""
    for raw in ((line + "\n").encode("latin-1"), line + "\n", line):
        command = one(raw)
        assert command.error is None, command.error
        assert (command.name, command.txid, command.data) == (name, txid, data)
        assert command.args["i"] == str(txid)
        for flag, value in expected.items():
            assert command.args[flag] == value, flag
        assert command.base64_args == ({"v"} if "v_base64" in expected else set())


def test_v_base64_and_v_are_told_apart() -> None:
    encoded = one(f"feature_set -i 6 -n debug_target -v_base64 {TARGET}\n")
    plain = one("feature_set -i 6 -n debug_target -v USER:##class(Demo.Hello).Main()\n")
    assert encoded.args["v"] == plain.args["v"] == "USER:##class(Demo.Hello).Main()"
    assert "v" in encoded.base64_args and "v" not in plain.base64_args
    assert "v_base64" not in plain.args


def test_several_lines_in_one_message_and_nul_endings() -> None:
    commands = parse_command(b"stack_get -i 1\ncontext_names -i 2 -d 0\n\x00run -i 3\x00")
    assert [(c.name, c.txid) for c in commands] == [("stack_get", 1), ("context_names", 2),
                                                   ("run", 3)]
    assert one(b"run -i 4\n\x00").txid == 4
    assert one("run -i 5\r\n").args == {"i": "5"}
    assert parse_command(b"\n\n  \x00") == []


def test_extra_blanks_are_tolerated() -> None:
    command = one("  breakpoint_set   -i 3  -t  line\t-s enabled   -f dbgp://|USER|A.cls   "
                  "-m  My  Method   -n 2  \n")
    assert command.error is None
    assert command.args == {"i": "3", "t": "line", "s": "enabled", "f": "dbgp://|USER|A.cls",
                            "m": "My  Method", "n": "2"}
    assert one(f"eval -i 1 --   {b64('1+1')}  ").data == "1+1"


def test_a_line_without_a_transaction_id_is_still_parsed() -> None:
    command = one("stack_get\n")
    assert (command.name, command.txid, command.error) == ("stack_get", None, None)


def test_non_ascii_utf8_and_the_latin1_fallback() -> None:
    utf8 = one("property_get -i 1 -d 0 -c 0 -n \"café(\\\"ü\\\")\"\n".encode())
    assert utf8.args["n"] == 'café("ü")'
    latin1 = one(b"breakpoint_set -i 2 -t line -s enabled -f dbgp://|USER|A.cls -m Caf\xe9 -n 1\n")
    assert latin1.args["m"] == "Café" and latin1.error is None
    # the client read the fullname from XML it decoded as latin-1 and re-encodes the line as
    # latin-1: what arrives is the original UTF-8 bytes
    fullname = 'größe("日本")'
    seen_by_client = fullname.encode("utf-8").decode("latin-1")
    escaped = seen_by_client.replace("\\", "\\\\").replace('"', '\\"')
    line = f'property_get -i 3 -d 0 -c 0 -n "{escaped}"\n'.encode("latin-1")
    assert one(line).args["n"] == fullname
    assert one("eval -i 4 -- " + b64('write "€ ü"')).data == 'write "€ ü"'
    assert one("eval -i 5 -- " + base64.b64encode(b"caf\xe9").decode()).data == "café"


def test_flags_without_values_and_negative_numbers() -> None:
    command = one("feature_set -i 1 -x -n max_data -v -1\n")
    assert command.args == {"i": "1", "x": "", "n": "max_data", "v": "-1"}
    assert command.int_arg("v") == -1
    assert one("eval -i 2 --").data == ""


def test_quoted_values_that_do_not_close_are_read_unquoted() -> None:
    assert one('property_get -i 1 -n "abc -d 1').args == {"i": "1", "n": '"abc', "d": "1"}
    assert one('property_get -i 1 -n "a"b -d 1').args["n"] == '"a"b'
    assert one('property_get -i 1 -n "" -d 1').args["n"] == ""
    # an unbalanced string literal in an unquoted name: the plain scan takes over
    command = one(f'property_set -i 2 -d 0 -n x("a -- {b64("1")}')
    assert (command.args["n"], command.data) == ('x("a', "1")


def test_int_arg() -> None:
    command = one("context_get -i 1 -d 3 -c x\n")
    assert command.int_arg("d") == 3
    assert command.int_arg("z", 7) == 7
    with pytest.raises(DbgpError) as raised:
        command.int_arg("c")
    assert raised.value.code == 3 == int(ErrorCode.INVALID_OPTIONS)


def test_bad_base64_gives_an_error_3_the_caller_can_answer() -> None:
    command = one("eval -i 9 -- not*base64\n")
    assert command.txid == 9 and command.data is None
    assert command.error is not None and command.error.code == 3
    assert "base64" in command.error.message
    answer = root(error_response(command.name, command.txid, command.error.code,
                                 command.error.message))
    assert attrs(answer)["transaction_id"] == "9"
    bad_v = one("feature_set -i 2 -n debug_target -v_base64 %%%\n")
    assert bad_v.error is not None and bad_v.error.code == 3 and "v" not in bad_v.args
    # padding is optional
    assert one("eval -i 3 -- MTIz\n").data == "123"
    assert one("eval -i 3 -- MTIzNA\n").data == "1234"


def test_malformed_lines_carry_an_error_not_an_exception() -> None:
    assert one("run -i x\n").error == DbgpError(3, "invalid transaction id 'x'")
    assert one("run -i x\n").txid is None
    stray = one("run -i 4 stray\n")
    assert stray.txid == 4 and stray.error is not None and "stray" in stray.error.message
    assert one("-i 3 run\n").error is not None
    assert one("run -i 1 -i 2\n").error is not None
    with pytest.raises(TypeError):
        parse_command(42)  # type: ignore[arg-type]


# -- XML builders ---------------------------------------------------------------------------

# (builder output, the XML of the spec's §5 conversation, xmlns attributes left out and the
# status location as a plain <message>)
CONVERSATION = [
    (feature_set_response(6, "debug_target"),
     '<response command="feature_set" transaction_id="6" feature="debug_target" success="1"/>'),
    (response("breakpoint_list", 7), '<response command="breakpoint_list" transaction_id="7"/>'),
    (response("breakpoint_set", 8, {"state": "enabled", "id": 1}),
     '<response command="breakpoint_set" transaction_id="8" state="enabled" id="1"/>'),
    (response("breakpoint_list", 9, children=[breakpoint_element(
        1, "line", doc="Demo.Hello.cls", lineno=3, function="Main", hit_count=0)]),
     '<response command="breakpoint_list" transaction_id="9"><breakpoint id="1" type="line" '
     'state="enabled" filename="Demo.Hello.cls" lineno="3" function="Main" hit_count="0"/>'
     '</response>'),
    (status_response("run", 10, "break", "ok", {
        "filename": file_uri("USER", "Demo.Hello.cls"), "lineno": 7}),
     '<response command="run" transaction_id="10" status="break" reason="ok"><message '
     'filename="dbgp://|USER|Demo.Hello.cls" lineno="7"/></response>'),
    (response("stack_get", 11, children=[stack_frame(
        0, file_uri("USER", "Demo.Hello.cls"), 7, where="Main+3^Demo.Hello", method="Main",
        methodoffset=3, cmdbegin=(7, 4), cmdend=(7, 33))]),
     '<response command="stack_get" transaction_id="11"><stack level="0" type="file" '
     'filename="dbgp://|USER|Demo.Hello.cls" lineno="7" where="Main+3^Demo.Hello" '
     'method="Main" methodoffset="3" cmdbegin="7:4" cmdend="7:33"/></response>'),
    (context_names_response(12),
     '<response command="context_names" transaction_id="12"><context name="Private" id="0"/>'
     '<context name="Public" id="1"/></response>'),
    (response("context_get", 13, {"context": 0}, [
        property_element(name="count", fullname="count", value="3"),
        property_element(name="name", fullname="name", value="World")]),
     '<response command="context_get" transaction_id="13" context="0"><property name="count" '
     'fullname="count" type="string" children="0" size="1" encoding="base64">Mw==</property>'
     '<property name="name" fullname="name" type="string" children="0" size="5" '
     'encoding="base64">V29ybGQ=</property></response>'),
    (stream_packet("Hello, World!\r\n"),
     '<stream type="stdout" encoding="base64">SGVsbG8sIFdvcmxkIQ0K</stream>'),
    (response("eval", 18, children=[property_element(value="6")]),
     '<response command="eval" transaction_id="18"><property type="string" children="0" '
     'size="1" encoding="base64">Ng==</property></response>'),
    (status_response("run", 19, "stopped"),
     '<response command="run" transaction_id="19" status="stopped" reason="ok"/>'),
    (status_response("detach", 20, "stopped"),
     '<response command="detach" transaction_id="20" status="stopped" reason="ok"/>'),
    (error_response("eval", 21, ErrorCode.EVALUATION_ERROR, "<UNDEFINED> x"),
     '<response command="eval" transaction_id="21"><error code="206"><message>&lt;UNDEFINED&gt;'
     ' x</message></error></response>'),
]


@pytest.mark.parametrize(("built", "expected"), CONVERSATION,
                         ids=[str(i) for i in range(len(CONVERSATION))])
def test_the_spec_conversation_byte_for_byte(built: str, expected: str) -> None:
    assert built == expected
    node = root(built)
    assert_compact(node)
    if node.tagName == "response":
        assert attrs(node)["transaction_id"].isdigit()
    else:
        assert "transaction_id" not in attrs(node)


def test_error_response_shape() -> None:
    xml = error_response("property_get", 5, 300, 'no "such" <thing> & more\nline 2')
    node = root(xml)
    assert_compact(node)
    assert attrs(node) == {"command": "property_get", "transaction_id": "5"}
    first = node.firstChild
    assert isinstance(first, minidom.Element) and first.tagName == "error"
    assert attrs(first) == {"code": "300"}
    (message,) = elements(first)
    assert message.tagName == "message" and text(message) == 'no "such" <thing> & more\nline 2'
    # a command that had no -i still gets the attribute (routing reads it first)
    assert attrs(root(error_response("run", None, 3, "x")))["transaction_id"] == ""
    target = root(error_response("step_into", 2, dbgp.TARGET_NOT_STOPPED_CODE,
                                 TARGET_NOT_STOPPED))
    (error,) = elements(target)
    assert "#6709" in text(elements(error)[0]) and attrs(error)["code"] == "998"


def test_response_attributes_and_escaping() -> None:
    xml = response("x", 1, [("a", 'q"<&>\'\n\r\t'), ("b", True), ("c", None), ("d", 0)])
    assert " c=" not in xml and "\n" not in xml and "\r" not in xml and "\t" not in xml
    assert attrs(root(xml)) == {"command": "x", "transaction_id": "1", "a": 'q"<&>\'\n\r\t',
                                "b": "1", "d": "0"}
    with pytest.raises(ValueError):
        response("x", 1, {"transaction_id": 2})
    with pytest.raises(ValueError):
        response("x", 1, {"bad name": 2})
    with pytest.raises(ValueError):
        response("x", 1, [("a", 1), ("a", 2)])


def test_characters_xml_cannot_carry_are_replaced() -> None:
    xml = error_response("eval", 1, 206, "a\x00b\x1b[31mc\ud800d")
    message = root(xml).getElementsByTagName("message")[0]
    assert text(message) == "a\ufffdb\ufffd[31mc\ufffdd"
    assert frame(xml)  # encodes


def test_status_response_with_an_exception() -> None:
    xml = status_response("run", 4, "break", "exception", {
        "filename": file_uri("USER", "Demo.Hello.cls"), "lineno": 9,
        "exception": "<UNDEFINED>", "code": 9, "text": "<UNDEFINED> *x"})
    assert 'exception="&lt;UNDEFINED&gt;"' in xml
    node = root(xml)
    assert_compact(node)
    first = elements(node)[0]
    assert node.firstChild is first
    assert attrs(first) == {"filename": "dbgp://|USER|Demo.Hello.cls", "lineno": "9",
                            "exception": "<UNDEFINED>", "code": "9"}
    assert text(first) == "<UNDEFINED> *x"
    with pytest.raises(ValueError):
        status_response("run", 1, "paused")
    with pytest.raises(ValueError):
        status_response("run", 1, "break", "because")
    with pytest.raises(ValueError):
        status_response("run", 1, "break", "ok", {"filename": "dbgp://|%SYS|x.mac"})


def test_stack_frames() -> None:
    frames = [stack_frame(0, file_uri("%SYS", "%Foo.Bar.cls"), 12, method="Go",
                          methodoffset=2, cmdbegin=(12, 0), cmdend=(12, 0)),
              stack_frame(1, file_uri("user", "Demo.Rtn.mac"), 4, method="", methodoffset=4)]
    node = root(response("stack_get", 3, children=frames))
    assert_compact(node)
    inner, outer = elements(node)
    assert attrs(inner)["filename"] == "dbgp://|%25SYS|%25Foo.Bar.cls"
    assert (attrs(inner)["cmdbegin"], attrs(inner)["cmdend"]) == ("12:0", "12:0")
    assert attrs(outer) == {"level": "1", "type": "file", "filename": "dbgp://|USER|Demo.Rtn.mac",
                            "lineno": "4", "method": "", "methodoffset": "4"}
    for bad in ("dbgp://|%SYS|x.cls", "dbgp://USER/x.cls", "dbgp://||x.cls", "file:///x.cls"):
        with pytest.raises(ValueError):
            stack_frame(0, bad, 1)
    with pytest.raises(ValueError):
        stack_frame(0, file_uri("USER", "A.cls"), 1, cmdbegin=(1, 0))
    # IRIS's form (encoded separators) is accepted too
    assert "%7CUSER%7C" in stack_frame(0, "dbgp://%7CUSER%7CX.cls", 1)


def test_property_nesting_and_counts() -> None:
    person = property_element(name="p", fullname="p", type="object", classname="Demo.Person",
                              children=[property_element(name="Name", fullname="p.Name",
                                                         value="Ada")])
    arr = property_element(name="arr", fullname="arr", type="array", children=[
        property_element(name="1", fullname="arr(1)", value="one"),
        property_element(name='"a"', fullname='arr("a")', type="array", children=[
            property_element(name="2", fullname='arr("a",2)', value="deep")]),
        person])
    node = root(response("context_get", 1, {"context": 0}, [arr]))
    assert_compact(node)
    (top,) = elements(node)
    assert attrs(top) == {"name": "arr", "fullname": "arr", "type": "array", "children": "1",
                          "numchildren": "3"}
    assert top.firstChild is not None and not text(top)
    one_, sub, obj = elements(top)
    assert base64.b64decode(text(one_)) == b"one"
    assert attrs(sub)["numchildren"] == "1"
    assert attrs(elements(sub)[0])["fullname"] == 'arr("a",2)'
    assert attrs(obj)["classname"] == "Demo.Person" and "encoding" not in attrs(obj)
    # more children than inline: the client asks with property_get
    partial = attrs(root(property_element(name="big", fullname="big", type="array",
                                          numchildren=100, page=0, pagesize=32)))
    assert (partial["children"], partial["numchildren"]) == ("1", "100")
    with pytest.raises(ValueError):
        property_element(name="x", type="array", children=[person], value="v")
    with pytest.raises(ValueError):
        property_element(name="x", type="array", children=[person, person], numchildren=1)
    with pytest.raises(ValueError):
        property_element(name="x", type="hash")


def test_property_values_are_base64_cut_to_max_data() -> None:
    value = "héllo wörld" * 3
    node = root(property_element(name="s", fullname="s", value=value, max_data=8))
    assert attrs(node)["size"] == str(len(value.encode("utf-8")))
    data = base64.b64decode(text(node))
    assert data == "héllo w".encode() and len(data) <= 8  # cut before the ö, not inside it
    for limit in range(0, 40):
        cut = base64.b64decode(text(root(property_element(value=value, max_data=limit))))
        assert value.encode("utf-8").startswith(cut)
        assert len(cut) == len(value.encode()) if limit == 0 else len(cut) <= limit
        cut.decode("utf-8")  # never a split character
    assert base64.b64decode(text(root(property_element(value=value)))).decode() == value
    assert text(root(property_element(name="e", value=""))) == ""


def test_bool_and_undefined_properties() -> None:
    yes = root(property_element(name="b", type="bool", value=True))
    assert base64.b64decode(text(yes)) == b"1" and attrs(yes)["type"] == "bool"
    undef = root(property_element(name="u", fullname="u", type="undefined"))
    assert text(undef) == "<UNDEFINED>" and "encoding" not in attrs(undef)
    assert attrs(undef)["children"] == "0"


def test_breakpoint_list_shape() -> None:
    points = [breakpoint_element(1, "line", doc="%Foo.Bar.cls", lineno=3, function="Run",
                                 hit_value=2, hit_condition=">=", hit_count=0),
              breakpoint_element(2, "conditional", "disabled", doc="Demo.Rtn.mac", lineno=5,
                                 expression="x>1"),
              breakpoint_element(3, "watch", expression='ok|$ZNAME="x"')]
    node = root(response("breakpoint_list", 4, children=points))
    assert_compact(node)
    line, cond, watch = elements(node)
    assert attrs(line) == {"id": "1", "type": "line", "state": "enabled",
                           "filename": "%25Foo.Bar.cls", "lineno": "3", "function": "Run",
                           "hit_value": "2", "hit_condition": ">=", "hit_count": "0"}
    assert (attrs(cond)["state"], attrs(cond)["expression"]) == ("disabled", "x>1")
    assert attrs(watch) == {"id": "3", "type": "watch", "state": "enabled",
                            "expression": 'ok|$ZNAME="x"'}
    for kind, state in (("return", "enabled"), ("line", "on")):
        with pytest.raises(ValueError):
            breakpoint_element(1, kind, state)
    with pytest.raises(ValueError):
        breakpoint_element(1, "line", hit_condition=">")


def test_init_packet_engine_child() -> None:
    xml = init_packet(session=4242, parent="IRIS for UNIX 2024.1", fileuri="file://",
                      engine_version="1.0", engine_name="%Atelier.XDebugAgent",
                      info=[("company", "Example & Co"), ("url", "http://127.0.0.1/")])
    node = root(xml)
    assert_compact(node)
    assert attrs(node) == {"appid": "AtelierDebugger", "idekey": "Atelier", "session": "4242",
                           "thread": "1", "parent": "IRIS for UNIX 2024.1", "language": "COS",
                           "protocol_version": "1.0", "fileuri": "file://"}
    engine, company, url = elements(node)
    assert node.firstChild is engine and engine.tagName == "engine"
    assert attrs(engine) == {"version": "1.0"} and text(engine) == "%Atelier.XDebugAgent"
    assert (company.tagName, text(company), url.tagName) == ("company", "Example & Co", "url")


def test_stream_packet_has_no_transaction_id() -> None:
    node = root(stream_packet("Grüße\r\n"))
    assert attrs(node) == {"type": "stdout", "encoding": "base64"}
    assert base64.b64decode(text(node)).decode("utf-8") == "Grüße\r\n"


def test_context_names_with_the_class_context() -> None:
    node = root(context_names_response(3, [("Private", 0), ("Public", 1), ("Class", 2)]))
    assert [attrs(c) for c in elements(node)] == [
        {"name": "Private", "id": "0"}, {"name": "Public", "id": "1"},
        {"name": "Class", "id": "2"}]


# -- locations ------------------------------------------------------------------------------

@pytest.mark.parametrize(("uri", "expected"), [
    ("dbgp://|USER|Demo.Hello.cls", ("USER", "Demo.Hello.cls")),
    ("dbgp://|user|Demo.Hello.cls", ("USER", "Demo.Hello.cls")),
    ("dbgp://%7CUSER%7CDemo.Hello.cls", ("USER", "Demo.Hello.cls")),
    ("dbgp://%7cUSER%7cDemo.Hello.cls", ("USER", "Demo.Hello.cls")),
    ("dbgp://|%25SYS|%25Foo.Bar.cls", ("%SYS", "%Foo.Bar.cls")),
    ("dbgp://|%SYS|%Foo.Bar.cls", ("%SYS", "%Foo.Bar.cls")),
    ("DBGP://|USER|Pkg.Cls.1.int", ("USER", "Pkg.Cls.1.int")),
    ("dbgp://|USER|caf%C3%A9%2Cx%20y.mac", ("USER", "café,x y.mac")),
    ("dbgp://|USER|a|b.mac", ("USER", "a|b.mac")),
])
def test_parse_file_uri(uri: str, expected: tuple[str, str]) -> None:
    assert parse_file_uri(uri) == expected


@pytest.mark.parametrize("uri", ["PLACEHOLDER", "dbgp://USER/x.cls", "dbgp://||x.cls",
                                 "dbgp://|USER|", "dbgp://|USER", "file:///x.cls"])
def test_parse_file_uri_refuses(uri: str) -> None:
    with pytest.raises(ValueError):
        parse_file_uri(uri)


DOC_NAMES = [("USER", "Demo.Hello.cls"), ("%SYS", "%Foo.Bar.cls"), ("USER", "Pkg.Cls.1.int"),
             ("USER", "café x,y#z.mac"), ("USER", "odd|pipe%.mac"), ("USER", "日本.cls")]


@pytest.mark.parametrize(("namespace", "doc"), DOC_NAMES)
def test_file_uri_round_trips(namespace: str, doc: str) -> None:
    uri = file_uri(namespace, doc)
    assert uri.isascii() and uri.startswith("dbgp://|")
    assert parse_file_uri(uri) == (namespace, doc)
    # what the client builds for -f (encodeURIComponent parts) is read the same way
    client_form = f"dbgp://|{breakpoint_filename(namespace)}|{breakpoint_filename(doc)}"
    assert parse_file_uri(client_form) == (namespace, doc)


def test_encodings_match_javascripts() -> None:
    """Outputs of encodeURI / encodeURIComponent under node 20, for the same inputs."""
    assert breakpoint_filename("%Foo.Bar(1).cls!*~#,é") == "%25Foo.Bar(1).cls!*~%23%2C%C3%A9"
    assert file_uri("USER", "%Foo|a,b#é") == "dbgp://|USER|%25Foo%7Ca,b#%C3%A9"
    assert file_uri("%sys", "X.cls") == "dbgp://|%25SYS|X.cls"
    with pytest.raises(ValueError):
        file_uri("", "X.cls")


# -- the extension's XML library (node + @xmldom/xmldom 0.9 from npm) -----------------------

@pytest.fixture(scope="module")
def npm_xmldom(tmp_path_factory: pytest.TempPathFactory) -> str:
    """@xmldom/xmldom from npm (``tests/debug/xmldom.py``)."""
    return install_xmldom(tmp_path_factory.mktemp("npm-xmldom"))


def as_tree(node: minidom.Node) -> dict[str, Any]:
    """The dump script's tree shape, from minidom."""
    if isinstance(node, minidom.Element):
        return {"name": node.tagName, "attrs": attrs(node),
                "children": [as_tree(child) for child in node.childNodes]}
    assert isinstance(node, minidom.Text)
    return {"text": node.data}


def tricky_packets() -> list[str]:
    uri = file_uri("%SYS", "%Größe.Test.cls")
    return [
        init_packet(session=1, fileuri="file://", engine_version="1.0",
                    engine_name="agent <é>"),
        *[built for built, _ in CONVERSATION],
        response("stack_get", 30, children=[
            stack_frame(0, uri, 3, method="Grüßen", methodoffset=1, cmdbegin=(3, 1),
                        cmdend=(3, 9), where="Grüßen+1^%Größe.Test"),
            stack_frame(1, file_uri("USER", "café x,y#z.mac"), 8)]),
        response("context_get", 31, {"context": 0}, [property_element(
            name="größe", fullname='größe("日本")', type="array", children=[
                property_element(name='"日本"', fullname='größe("日本")', value="wörld €",
                                 max_data=4),
                property_element(name="o", fullname="größe(\"o\")", type="object",
                                 classname="Demo.Ünï", children=[])])]),
        response("breakpoint_list", 32, children=[
            breakpoint_element(1, "line", doc="%Größe.Test.cls", lineno=3, function="Grüßen"),
            breakpoint_element(2, "watch", expression='ok|$ZNAME="%SYS.cspServer"')]),
        status_response("step_over", 33, "break", "exception", {
            "filename": uri, "lineno": 3, "exception": "<DIVIDE>", "code": 18,
            "text": 'Grüßen+1^%Größe.Test "&"'}),
        error_response("property_get", 34, 300, 'cannot get "größe" <here>'),
        stream_packet("héllo\r\n"),
    ]


def test_the_extensions_xml_library_reads_every_packet(npm_xmldom: str) -> None:
    packets = tricky_packets()
    result = xmldom(npm_xmldom, b"".join(frame(xml) for xml in packets))
    assert result["problems"] == []
    assert len(result["documents"]) == len(packets)
    for xml, seen in zip(packets, result["documents"], strict=True):
        # after the client's latin-1 decoding and its UTF-8 repair, the same tree
        assert seen == as_tree(root(xml)), xml
    docs = {doc["attrs"].get("transaction_id"): doc for doc in result["documents"]}
    error = docs["34"]["children"][0]
    assert error["name"] == "error" and error["attrs"]["code"] == "300"
    frames = docs["30"]["children"]
    assert frames[0]["attrs"]["method"] == "Grüßen"


def test_the_extensions_xml_library_on_a_bad_packet(npm_xmldom: str) -> None:
    """The harness itself notices what the client chokes on (an undeclared prefix)."""
    result = xmldom(npm_xmldom, frame('<response command="run" transaction_id="1">'
                                      '<xdebug:message lineno="1"/></response>'))
    assert result["problems"] and result["documents"] == [None]


def test_decode_uri_accepts_every_frame_filename() -> None:
    """The client's decodeURI + match on each frame filename, run under node."""
    if shutil.which("node") is None:
        pytest.skip("node is needed")
    uris = [file_uri(ns, doc) for ns, doc in DOC_NAMES]
    script = ("const uris = JSON.parse(process.argv[1]);"
              "console.log(JSON.stringify(uris.map((u) => {"
              "const m = decodeURI(u).match(/^dbgp:\\/\\/\\|([^|]+)\\|(.*)$/);"
              "return m && [m[1], m[2]]; })));")
    done = subprocess.run(["node", "-e", script, json.dumps(uris)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [tuple(pair) for pair in json.loads(done.stdout)] == DOC_NAMES
