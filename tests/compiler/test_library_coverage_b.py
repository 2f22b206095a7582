"""Coverage of the bundled system library, part B (%CSP, %ZEN, %Net, %XML, %SYSTEM, %SYS,
Ens, EnsLib): classes shaped like real open-source code compile against it without #5373,
and key signatures are present and well formed."""

from __future__ import annotations

from pathlib import Path

import pytest
from stub_helpers import cls, member_of, missing_classes

from atelier_api.adapters.contract import MappingWorkspace, Outcome
from compiler_stub.library.bundle import CLASS_DIR, Library, load_library
from compiler_stub.reading.model import Member
from compiler_stub.reading.outline import read_class
from compiler_stub.resolution.world import ClassWorld

SCOPE = ("%CSP.", "%ZEN.", "%Net.", "%XML.", "%SYSTEM.", "%SYS.", "Ens.", "EnsLib.")

# A REST dispatch class the way REST projects write one: routes, CORS, status parameters.
REST = cls("Demo.Api.Disp", """
Parameter HandleCorsRequest = 1;

Parameter CONTENTTYPE = "application/json";

XData UrlMap [ XMLNamespace = "http://www.intersystems.com/urlmap" ]
{
<Routes>
<Route Url="/items/:id" Method="GET" Call="GetItem"/>
</Routes>
}

ClassMethod OnPreDispatch(pUrl As %String, pMethod As %String,
    ByRef pContinue As %Boolean) As %Status
{
\tset %response.ContentType = ..#CONTENTTYPEJSON
\tquit $$$OK
}

ClassMethod GetItem(id As %String) As %Status
{
\tif id = "" quit ..ReportHttpStatusCode(..#HTTP404NOTFOUND)
\twrite {"id":(id)}.%ToJSON()
\tquit $$$OK
}

ClassMethod Supports(pEndpoint As %String, pRequest As %CSP.Request = "",
    pSession As %CSP.Session = "", pResponse As %CSP.Response = "") As %Boolean
{
\tquit 1
}
""", extends="%CSP.REST")

# A business operation with an adapter, its messages and a message map.
MESSAGES = [
    cls("Demo.Ens.Req", "Property Path As %String(MAXLEN = \"\");", extends="Ens.Request"),
    cls("Demo.Ens.Resp", "Property Code As %Integer;", extends="Ens.Response"),
]
OPERATION = cls("Demo.Ens.HttpOp", """
Parameter ADAPTER = "EnsLib.HTTP.OutboundAdapter";

Parameter INVOCATION = "Queue";

Property Adapter As EnsLib.HTTP.OutboundAdapter;

Property Server As %String [ InitialExpression = "localhost" ];

Parameter SETTINGS = "Server:Basic";

XData MessageMap
{
<MapItems>
<MapItem MessageType="Demo.Ens.Req"><Method>Fetch</Method></MapItem>
</MapItems>
}

Method Fetch(pRequest As Demo.Ens.Req, Output pResponse As Demo.Ens.Resp) As %Status
{
\t#dim tHttpResponse As %Net.HttpResponse
\tset tSC = ..Adapter.GetURL(pRequest.Path, .tHttpResponse)
\tif $$$ISERR(tSC) $$$LOGERROR("GET failed") quit tSC
\tset pResponse = ##class(Demo.Ens.Resp).%New()
\tset pResponse.Code = tHttpResponse.StatusCode
\tquit tSC
}

Method OnMessage(pRequest As Ens.StringRequest, Output pResponse As Ens.StringResponse) As %Status
{
\t$$$LOGINFO("unrouted "_pRequest.StringValue)
\tquit $$$ERROR($$$EnsErrGeneral, "no route")
}

Method OnKeepalive(pStatus As %Status = {$$$OK}) As %Status
{
\tquit ##super(pStatus)
}
""", extends="Ens.BusinessOperation")

# The other interoperability hosts: a file service, a process, a DTL, a production, PEX-style
# adapters and a duplex, as interoperability and Embedded Python frameworks write them.
HOSTS = [
    cls("Demo.Ens.FileSvc", """
Parameter ADAPTER = "EnsLib.File.InboundAdapter";

Property Adapter As EnsLib.File.InboundAdapter;

Method OnProcessInput(pInput As %Stream.Object, Output pOutput As %RegisteredObject,
    ByRef pHint As %String) As %Status
{
\tquit ..SendRequestAsync("Demo.Ens.HttpOp", ##class(Ens.StringRequest).%New())
}
""", extends="Ens.BusinessService"),
    cls("Demo.Ens.Proc", """
Property Header As Ens.MessageHeader;

Method OnRequest(request As Ens.Request, Output response As Ens.Response) As %Status
{
\tquit ..SendRequestAsync("Demo.Ens.HttpOp", request, 1, "k1")
}

Method OnResponse(request As Ens.Request, ByRef response As Ens.Response,
    callrequest As Ens.Request, callresponse As Ens.Response, pCompletionKey As %String) As %Status
{
\tquit $$$OK
}
""", extends="Ens.BusinessProcess", keywords="ClassType = persistent"),
    cls("Demo.Ens.Xform", """
Parameter IGNOREMISSINGSOURCE = 1;

ClassMethod Transform(source As EnsLib.EDI.XML.Document,
    ByRef target As EnsLib.EDI.XML.Document, ByRef aux) As %Status
{
\tquit $$$OK
}
""", extends="Ens.DataTransformDTL", keywords="DependsOn = EnsLib.ebXML.Message"),
    cls("Demo.Ens.Prod", "", extends="Ens.Production"),
    cls("Demo.Ens.In", """
Method OnTask() As %Status
{
\tquit ..BusinessHost.ProcessInput("x")
}
""", extends="Ens.InboundAdapter"),
    cls("Demo.Ens.Out", "", extends="(Ens.OutboundAdapter, EnsLib.PEX.Common)"),
    cls("Demo.Ens.Duplex", """
ClassMethod OnGetConnections(Output pArray As %String, pItem As Ens.Config.Item)
{
\tquit
}

Method Doc(pSource As Ens.VDoc.Interface, pMsg As EnsLib.PEX.Message) As Ens.Config.Production
{
\tquit ##class(Ens.Config.Production).%OpenId("Demo.Ens.Prod")
}
""", extends="Ens.BusinessDuplex"),
    cls("Demo.Ens.Fns", """
ClassMethod Shout(value As %String = "") As %String [ Final ]
{
\tquit ..ToUpper(value)
}
""", extends="Ens.Util.FunctionSet"),
]

# A client class holding %ZEN.proxyObject and %Net.HttpRequest properties, with XML, mail
# and $SYSTEM types in its signatures.
CLIENT = cls("Demo.Net.Client", """
Property Request As %Net.HttpRequest;

Property Payload As %ZEN.proxyObject;

Property Mail As %Net.MailMessage;

Property Workers As %SYSTEM.WorkMgr;

Property Python As %SYS.Python;

Method Call(pUrl As %String, Output pResponse As %Net.HttpResponse) As %Status
{
\tdo ##class(%Net.URLParser).Decompose(pUrl, .parts)
\tset ..Request = ##class(%Net.HttpRequest).%New()
\tset ..Request.Server = parts("host"), ..Request.Https = (parts("scheme") = "https")
\tset tSC = ..Request.Get(parts("path"))
\tset pResponse = ..Request.HttpResponse
\tquit tSC
}

Method Read(pStream As %Stream.Object, pHandler As %XML.SAX.ContentHandler,
    Output pDoc As %XML.XPATH.Document) As %XML.Reader
{
\tset tSC = ##class(%XML.XPATH.Document).CreateFromStream(pStream, .pDoc)
\tquit ##class(%XML.Reader).%New()
}

ClassMethod Send(pSmtp As %Net.SMTP, pFtp As %Net.FtpSession, pSsh As %Net.SSH.Session) As %Status
{
\tquit $SYSTEM.Status.OK()
}

ClassMethod Xslt(pIn As %Stream.Object, pSheet As %XML.XSLT.CompiledStyleSheet,
    pWriter As %XML.Writer) As %Status
{
\tquit ##class(%XML.XSLT.Transformer).TransformStreamWithCompiledXSL(pIn, pSheet, .out)
}
""")

# Web classes: a WebSocket server, a stream server page, Zen page/component/provider shapes,
# a SAX handler and a task definition.
WEB = [
    cls("Demo.Web.Socket", """
Method Server() As %Status
{
\tset data = ..Read(, .sc, 10)
\tquit ..Write(data)
}
""", extends="%CSP.WebSocket"),
    cls("Demo.Web.Files", """
ClassMethod OnPage() As %Status
{
\tquit ##super()
}
""", extends="%CSP.StreamServer"),
    cls("Demo.Zen.App", """
Parameter APPLICATIONNAME = "Demo";

Parameter HOMEPAGE = "Demo.Zen.Home.cls";
""", extends="%ZEN.application"),
    cls("Demo.Zen.Home", """
Parameter APPLICATION = "Demo.Zen.App";

Property selected As %ZEN.Datatype.string(ZENEXPRESSION = 1);
""", extends="%ZEN.Component.page"),
    cls("Demo.Zen.Link", """
Property caption As %ZEN.Datatype.caption(ZENEXPRESSION = 1) [ InitialExpression = "Open" ];

Property disabled As %ZEN.Datatype.boolean(ZENSETTING = 0) [ InitialExpression = 0 ];

Method %DrawHTML()
{
\tdo ##class(%ZEN.Utils).%DisplayErrorHTML($this, $$$OK)
}
""", extends="%ZEN.Component.link"),
    cls("Demo.Zen.Pick", "Property autoExecute As %ZEN.Datatype.boolean;",
        extends="%ZEN.Component.select"),
    cls("Demo.Zen.Grid", "", extends="%ZEN.Component.dataGrid"),
    cls("Demo.Zen.Json", """
Method %OnCreateResultSet(Output tSC As %Status, pInfo As %ZEN.Auxiliary.QueryInfo) As %ResultSet
{
\tquit ..%CreateResultSet(.tSC, pInfo)
}
""", extends="%ZEN.Auxiliary.altJSONSQLProvider"),
    cls("Demo.Zen.Model", "Property Name As %String;",
        extends="(%Persistent, %ZEN.DataModel.Adaptor)"),
    cls("Demo.Xml.Handler", """
Method startElement(uri As %Library.String, localname As %Library.String,
    qname As %Library.String, attrs As %Library.List)
{
\tquit
}
""", extends="%XML.SAX.ContentHandler"),
    cls("Demo.Sys.Task", """
Parameter TaskName = "Demo task";

Method OnTask() As %Status
{
\tquit $$$OK
}
""", extends="%SYS.Task.Definition"),
]

SHAPES = [REST, *MESSAGES, OPERATION, *HOSTS, CLIENT, *WEB]


def _words(text: str) -> list[str]:
    return text.split()


# Classes real open-source code names in this scope (superclasses, DependsOn, member types,
# ##class() and $SYSTEM calls) plus the ones the brief asks for: all must be bundled.
NAMED = _words("""
%CSP.Page %CSP.REST %CSP.Login %CSP.Request %CSP.Response %CSP.Session %CSP.StreamServer
%CSP.WebSocket %CSP.Stream %CSP.CharacterStream %CSP.BinaryStream
%ZEN.proxyObject %ZEN.application %ZEN.Utils %ZEN.Auxiliary.jsonProvider
%ZEN.Auxiliary.altJSONProvider %ZEN.Auxiliary.altJSONSQLProvider %ZEN.Auxiliary.QueryInfo
%ZEN.Datatype.string %ZEN.Datatype.boolean %ZEN.Datatype.caption %ZEN.Component.component
%ZEN.Component.page %ZEN.Component.select %ZEN.Component.link %ZEN.Component.dataGrid
%ZEN.DataModel.Adaptor
%Net.HttpRequest %Net.HttpResponse %Net.URLParser %Net.SMTP %Net.MailMessage %Net.FtpSession
%Net.SSH.Session %Net.SSH.SFTP %Net.Authenticator
%XML.Adaptor %XML.Reader %XML.Writer %XML.Document %XML.Node %XML.TextReader
%XML.XPATH.Document %XML.XSLT.Transformer %XML.XSLT.CompiledStyleSheet %XML.SAX.Parser
%XML.SAX.ContentHandler %XML.SAX.XDataEntityResolver %XML.ImportHandler
%XML.Utils.SchemaReader %XML.String %XML.PropertyParameters
%SYSTEM.Help %SYSTEM.OBJ %SYSTEM.Status %SYSTEM.Process %SYSTEM.Util %SYSTEM.SQL
%SYSTEM.SQL.Schema %SYSTEM.SQL.Functions %SYSTEM.SQL.Util %SYSTEM.SQL.Stats.Table
%SYSTEM.Version %SYSTEM.Encryption %SYSTEM.Security %SYSTEM.Event %SYSTEM.Python
%SYSTEM.CSP %SYSTEM.WorkMgr %SYSTEM.AbstractWorkMgr %SYSTEM.License %SYSTEM.INetInfo
%SYSTEM.CLS %SYSTEM.Mirror %SYSTEM.SYS %SYSTEM.Device %SYSTEM.Error %SYSTEM.AutoLock
%SYS.Python %SYS.Namespace %SYS.System %SYS.Task.Definition
Ens.BusinessOperation Ens.BusinessService Ens.BusinessProcess Ens.BusinessProcessBPL
Ens.BusinessDuplex Ens.Adapter Ens.InboundAdapter Ens.OutboundAdapter Ens.Director Ens.Queue
Ens.Job Ens.MessageHeader Ens.MessageBody Ens.Config.Production Ens.Config.Item
Ens.Util.FunctionSet Ens.Util.Log Ens.Util.Time Ens.Util.ProjectTextDocument
Ens.VDoc.Interface Ens.Deployment.Deploy Ens.Deployment.Token Ens.Deployment.Utils
Ens.DataType.ConfigName
EnsLib.File.InboundAdapter EnsLib.File.OutboundAdapter EnsLib.FTP.InboundAdapter
EnsLib.FTP.OutboundAdapter EnsLib.HTTP.InboundAdapter EnsLib.HTTP.OutboundAdapter
EnsLib.SQL.InboundAdapter EnsLib.SQL.OutboundAdapter EnsLib.EMail.InboundAdapter
EnsLib.EMail.OutboundAdapter EnsLib.TCP.InboundAdapter EnsLib.TCP.OutboundAdapter
EnsLib.SOAP.OutboundAdapter EnsLib.REST.Service EnsLib.REST.Operation EnsLib.PEX.Message
EnsLib.PEX.BusinessOperation EnsLib.PEX.BusinessService EnsLib.PEX.BusinessProcess
EnsLib.PEX.InboundAdapter EnsLib.PEX.OutboundAdapter EnsLib.Testing.Service
EnsLib.EDI.XML.Document EnsLib.ebXML.Message
""")


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


@pytest.fixture(scope="module")
def world(lib: Library) -> ClassWorld:
    return ClassWorld(lib, MappingWorkspace(), {})




def _sig(m: Member) -> tuple[str, list[tuple[str, str]]]:
    return m.type, [(a.name, a.type) for a in m.args]




def test_real_code_shapes_compile_without_5373(compile_docs) -> None:
    result = compile_docs(SHAPES)
    assert missing_classes(result) == []
    assert result.errors == (), result.console
    assert {o.state for o in result.outcomes} == {Outcome.COMPILED}
    assert len(result.outcomes) == len(SHAPES)


@pytest.mark.parametrize(("text", "prefix"), [
    ("Property P As %Net.NoSuchClient;", "%Net."),
    ("Method M(a As EnsLib.HTTP.NoSuchAdapter)\n{\n\tquit\n}", "EnsLib."),
    ("ClassMethod M() As %ZEN.Component.noSuchWidget\n{\n\tquit \"\"\n}", "%ZEN."),
])
def test_an_unknown_class_in_scope_is_still_reported(compile_docs, text: str,
                                                     prefix: str) -> None:
    # control: the shapes above pass because the classes exist, not because nothing is checked
    missing = missing_classes(compile_docs([cls("Demo.Bad.Two", text)]))
    assert len(missing) == 1 and missing[0][0].startswith(prefix)


def test_a_missing_superclass_in_scope_is_still_reported(compile_docs) -> None:
    missing = missing_classes(compile_docs([cls("Demo.Bad.Three", extends="Ens.NoSuchHost")]))
    assert missing == [("Ens.NoSuchHost", "Demo.Bad.Three:super")]


def test_named_classes_are_bundled(lib: Library) -> None:
    assert [n for n in NAMED if not lib.has_class(n)] == []


def test_rest_signatures(lib: Library, world: ClassWorld) -> None:
    rest = lib.classes["%CSP.REST"]
    assert rest.supers == ("%CSP.Login",)
    assert world.is_a("%CSP.REST", "%CSP.Page")
    assert member_of(rest, "HTTP404NOTFOUND", "parameter").default == '"404 Not Found"'
    assert member_of(rest, "CONTENTTYPEJSON", "parameter").default == '"application/json"'
    pre = member_of(rest, "OnPreDispatch", "classmethod")
    assert _sig(pre) == ("%Status", [("pUrl", "%String"), ("pMethod", "%String"),
                                     ("pContinue", "%Boolean")])
    assert pre.args[2].byref
    request = lib.classes["%CSP.Request"]
    assert member_of(request, "Data", "property").flag("MultiDimensional")
    assert _sig(member_of(request, "Get", "method")) == (
        "%String", [("name", "%String"), ("default", "%String"), ("index", "%Integer")])
    assert member_of(lib.classes["%CSP.Page"], "OnPreHTTP", "classmethod").type == "%Boolean"


def test_http_client_signatures(lib: Library) -> None:
    req = lib.classes["%Net.HttpRequest"]
    assert member_of(req, "HttpResponse", "property").type == "%Net.HttpResponse"
    assert _sig(member_of(req, "Send", "method")) == (
        "%Status", [("type", "%String"), ("location", "%String"), ("test", "%Integer"),
                    ("reset", "%Boolean")])
    for verb in ("Get", "Post", "Put", "Delete", "Patch", "Head"):
        assert member_of(req, verb, "method").type == "%Status"
    resp = lib.classes["%Net.HttpResponse"]
    assert member_of(resp, "StatusCode", "property").type == "%Integer"
    assert member_of(resp, "Headers", "property").flag("MultiDimensional")
    url = lib.classes["%Net.URLParser"]
    assert {m.name for m in url.of_kind("classmethod")} >= {"Decompose", "Compose", "Parse"}


def test_http_adapter_signatures(lib: Library, world: ClassWorld) -> None:
    out = lib.classes["EnsLib.HTTP.OutboundAdapter"]
    assert world.is_a("EnsLib.HTTP.OutboundAdapter", "Ens.Adapter")
    send = member_of(out, "SendFormDataArray", "method")
    assert _sig(send) == ("%Status", [
        ("pHttpResponse", "%Net.HttpResponse"), ("pOp", "%String"),
        ("pHttpRequestIn", "%Net.HttpRequest"), ("pFormVarNames", "%String"), ("pData", ""),
        ("pURL", "%String")])
    assert send.args[0].output
    assert {"HTTPServer", "HTTPPort", "URL", "SSLConfig", "ResponseTimeout"} <= {
        m.name for m in out.of_kind("property")}
    inbound = lib.classes["EnsLib.HTTP.InboundAdapter"]
    assert inbound.supers == ("EnsLib.TCP.InboundAdapter",)
    assert member_of(inbound, "SERVICEINPUTCLASS", "parameter").default == '"%Stream.Object"'
    rest_op = lib.classes["EnsLib.REST.Operation"]
    assert member_of(rest_op, "ADAPTER", "parameter").default == '"EnsLib.HTTP.OutboundAdapter"'
    assert world.is_a("EnsLib.REST.Service", "%CSP.REST")


def test_host_signatures(lib: Library, world: ClassWorld) -> None:
    bp = lib.classes["Ens.BusinessProcess"]
    assert _sig(member_of(bp, "SendRequestAsync", "method")) == ("%Status", [
        ("pTargetDispatchName", "%String"), ("pRequest", "%Library.Persistent"),
        ("pResponseRequired", "%Boolean"), ("pCompletionKey", "%String"),
        ("pDescription", "%String")])
    assert member_of(bp, "%PrimaryRequestHeader", "property").type == "Ens.MessageHeader"
    bo = lib.classes["Ens.BusinessOperation"]
    assert member_of(bo, "INVOCATION", "parameter").default == '"Queue"'
    assert member_of(bo, "RetryInterval", "property").kw("InitialExpression") == "5"
    host = lib.classes["Ens.Host"]
    assert member_of(host, "Adapter", "property").type == "Ens.Adapter"
    assert member_of(host, "OnGetConnections", "classmethod").args[1].type == "Ens.Config.Item"
    for msg in ("Ens.Request", "Ens.Response"):
        assert lib.classes[msg].supers == ("Ens.MessageBody",)
        assert world.class_type(msg) == "persistent"
    queue = lib.classes["Ens.Queue"]
    assert member_of(queue, "DeQueue", "classmethod").args[1].type == "Ens.MessageHeader"
    assert member_of(lib.classes["Ens.Config.Production"], "Items", "property").type \
        == "Ens.Config.Item"


def test_inherited_includes(world: ClassWorld) -> None:
    # real subclasses use $$$LOGINFO / $$$EnsErrGeneral (and Zen's macros) without an Include
    for name in ("Ens.BusinessOperation", "Ens.BusinessService", "Ens.BusinessProcess",
                 "Ens.Request", "Ens.InboundAdapter", "Ens.DataTransformDTL"):
        assert "Ensemble" in world.includes(name), name
    assert "%ZEN.Utils" in world.includes("%ZEN.Component.page")
    assert world.includes("%CSP.REST") == []


def test_system_classes_are_help_subclasses(lib: Library, world: ClassWorld) -> None:
    system = [n for n in lib.classes if n.startswith("%SYSTEM.")]
    utility = [n for n in system if world.is_a(n, "%SYSTEM.Help")]
    # as in the 2024.1 class reference: object classes on %SystemBase, and %SYSTEM.Security,
    # which extends nothing
    others = {"%SYSTEM.Error", "%SYSTEM.AutoLock", "%SYSTEM.AbstractWorkMgr", "%SYSTEM.WorkMgr",
              "%SYSTEM.Security"}
    assert sorted(set(system) - set(utility)) == sorted(others)
    assert world.is_a("%SYSTEM.WorkMgr", "%Library.SystemBase")
    assert lib.classes["%SYSTEM.Security"].supers == ()
    status = lib.classes["%SYSTEM.Status"]
    assert all(m.kind == "classmethod" for m in status.members)
    assert _sig(member_of(status, "GetOneStatusText")) == (
        "%String", [("statuscode", "%Status"), ("index", "%Integer"), ("language", "%String")])
    export = member_of(lib.classes["%SYSTEM.OBJ"], "ExportUDL")
    assert [a.name for a in export.args][:3] == ["itemname", "filename", "qspec"]
    # Initialize is declared by the abstract work manager and returns it
    init = member_of(lib.classes["%SYSTEM.AbstractWorkMgr"], "Initialize", "classmethod")
    assert init.type == "%SYSTEM.AbstractWorkMgr"
    assert [a.name for a in member_of(lib.classes["%SYSTEM.WorkMgr"], "Queue").args] == [
        "work", "args..."]
    # the reference types Import's result as %CPP.LongLong, which the bundle lacks: no type
    python = member_of(lib.classes["%SYS.Python"], "Import", "classmethod")
    assert _sig(python) == ("", [("name", "%String")])
    assert lib.classes["%SYS.Python"].flag("Final")


def test_zen_and_xml_signatures(lib: Library, world: ClassWorld) -> None:
    assert lib.classes["%ZEN.Component.abstractPage"].supers == (
        "%ZEN.Component.group", "%CSP.Page")
    assert world.is_a("%ZEN.Component.page", "%ZEN.Component.object")
    assert world.is_a("%ZEN.Component.page", "%CSP.Page")
    assert lib.classes["%ZEN.Component.object"].supers == (
        "%Library.RegisteredObject", "%XML.Adaptor")
    zen = [lib.classes[n] for n in lib.classes if n.startswith("%ZEN.")]
    assert zen and all(m.flag("Deprecated") for m in zen)
    to_json = member_of(lib.classes["%ZEN.Auxiliary.jsonProvider"], "%ConvertJSONToObject")
    assert to_json.kind == "classmethod" and to_json.args[2].type == "%RegisteredObject"
    assert member_of(lib.classes["%ZEN.proxyObject"], "%data", "property").flag("MultiDimensional")
    xslt = member_of(lib.classes["%XML.XSLT.Transformer"], "TransformStreamWithCompiledXSL")
    assert xslt.args[1].type == "%XML.XSLT.CompiledStyleSheet"
    reader = lib.classes["%XML.Reader"]
    assert _sig(member_of(reader, "Correlate", "method")) == (
        "", [("element", "%String"), ("class", "%String"), ("namespace", "%String")])
    handler = lib.classes["%XML.SAX.ContentHandler"]
    assert member_of(handler, "startElement").args[3].type == "%Library.List"


def _scope_files() -> list[Path]:
    return [p for p in sorted(CLASS_DIR.glob("*.cls")) if p.name.startswith(SCOPE)]


def test_scope_files_parse_cleanly() -> None:
    files = _scope_files()
    assert len(files) > 150
    for path in files:
        raw = path.read_bytes()
        assert b"\r" not in raw and raw.endswith(b"}\n"), path.name
        src = read_class(raw.decode("utf-8").split("\n"), whole=True)
        assert src.model is not None and src.model.name == path.name[:-4], path.name
        assert (src.problem, src.first_error) == (None, None), path.name


def test_scope_files_are_consistent_signatures(lib: Library, world: ClassWorld) -> None:
    for path in _scope_files():
        model = lib.classes[path.name[:-4]]
        assert all(world.exists(s) for s in world.supers(model.name)), model.name
        assert world.cycle(model.name) == [], model.name
        for m in model.members:
            if m.segment is not None and m.segment.open_at is not None:
                (orow, _), (crow, _) = m.segment.open_at, m.segment.close_at or (0, 0)
                assert all(not row.strip() for row in model.lines[orow + 1:crow]), (
                    model.name, m.name)
            refs = [m.type] if m.type and m.kind != "parameter" else []
            for ref in [*refs, *(a.type for a in m.args if a.type)]:
                assert world.exists(world.resolve(ref, model)), (model.name, m.name, ref)
