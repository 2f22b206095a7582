"""Columns of the %Dictionary tables and how a scanned class fills them.

The columns and their SQL names follow the IRIS dictionary classes (``%Dictionary.*Definition``
and ``%Dictionary.Compiled*``; their signatures are in the bundled system library): a property
whose name is an SQL reserved word has an SQL field name with a leading ``_`` (``_Default``,
``_Time``, ``_Unique``, ``_Constraint``, ``_Language``). Values are what IRIS's SQL shows: a
keyword the text leaves out is its initial value there (0 for flags, ``code`` for CodeMode,
...), else NULL; an empty string is NULL (as ``""`` is in ObjectScript).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from atelier_api.documents.udl import split_arguments, top_level
from atelier_api.documents.udlscan import ClassInfo, Member

Row = dict[str, Any]
MEMBER_COMMON = ["ID", "parent", "Name", "Description", "SequenceNumber", "Deprecated",
                 "Internal", "Origin"]
CLASS_COLUMNS = [
    "ID", "Name", "Super", "Abstract", "Final", "Deployed", "Description", "System",
    "ProcedureBlock", "ClassType", "TimeChanged", "TimeCreated", "Hidden", "Deprecated",
    "Import", "IncludeCode", "IncludeGenerator", "_Language", "Owner", "SqlTableName",
    "ServerOnly", "ClientDataType", "CompileAfter", "DependsOn", "Inheritance", "Sharded",
    "NoExtent",
]
#: member table -> (UDL kind, its own columns)
MEMBER_TABLES: dict[str, tuple[str, list[str]]] = {
    "MethodDefinition": ("Method", [
        "ClassMethod", "ClientMethod", "Abstract", "Final", "Private", "FormalSpec",
        "ReturnType", "ReturnTypeParams", "_Language", "CodeMode", "SqlProc", "SqlName",
        "WebMethod", "ZenMethod", "NotInheritable", "ForceGenerate", "Implementation"]),
    "PropertyDefinition": ("Property", [
        "Type", "Collection", "Required", "Private", "Calculated", "Transient", "ReadOnly",
        "InitialExpression", "Relationship", "Cardinality", "Inverse", "MultiDimensional",
        "SqlFieldName", "SqlComputed", "SqlComputeCode", "Parameters", "Final",
        "NotInheritable"]),
    "ParameterDefinition": ("Parameter", [
        "Type", "_Default", "Abstract", "Final", "_Constraint", "Flags", "Expression"]),
    "IndexDefinition": ("Index", [
        "Properties", "_Unique", "PrimaryKey", "IdKey", "Type", "Extent", "Data",
        "SqlName"]),
    "XDataDefinition": ("XData", ["MimeType", "XMLNamespace", "SchemaSpec", "Data"]),
    "QueryDefinition": ("Query", [
        "Type", "FormalSpec", "SqlQuery", "SqlProc", "SqlName", "Private", "Final",
        "Parameters", "NotInheritable"]),
    "TriggerDefinition": ("Trigger", [
        "Event", "_Time", "Foreach", "Code", "CodeMode", "_Language", "Order", "SqlName",
        "Final"]),
    "StorageDefinition": ("Storage", [
        "Type", "DataLocation", "IdLocation", "IndexLocation", "StreamLocation",
        "DefaultData", "Final"]),
    "ForeignKeyDefinition": ("ForeignKey", [
        "Properties", "ReferencedClass", "ReferencedKey", "OnDelete", "OnUpdate", "SqlName",
        "NoCheck", "Final"]),
    "ProjectionDefinition": ("Projection", ["Type", "Parameters", "Final", "NotInheritable"]),
}
#: %Dictionary.Compiled* tables: name -> the definition table whose columns it repeats
COMPILED_TABLES = {
    "CompiledClass": "ClassDefinition",
    "CompiledMethod": "MethodDefinition",
    "CompiledProperty": "PropertyDefinition",
    "CompiledParameter": "ParameterDefinition",
    "CompiledIndex": "IndexDefinition",
    "CompiledXData": "XDataDefinition",
    "CompiledQuery": "QueryDefinition",
    "CompiledTrigger": "TriggerDefinition",
    "CompiledStorage": "StorageDefinition",
    "CompiledForeignKey": "ForeignKeyDefinition",
    "CompiledProjection": "ProjectionDefinition",
}
#: columns only a Compiled* table has, with the value of a row the compile does not fill:
#: the class's primary super chain (``~A~B~...~``), its imports and include files with the
#: inherited ones ($LISTs), a method's Stub (the member a generated stub stands for; none
#: here), and NotInheritable of the member kinds whose definition has no such keyword
COMPILED_ONLY: dict[str, dict[str, Any]] = {
    "CompiledClass": {"PrimarySuper": None, "Importall": None, "IncludeCodeAll": None},
    "CompiledMethod": {"Stub": None},
    "CompiledParameter": {"NotInheritable": 0},
    "CompiledIndex": {"NotInheritable": 0},
    "CompiledTrigger": {"NotInheritable": 0},
    "CompiledStorage": {"NotInheritable": 0},
    "CompiledForeignKey": {"NotInheritable": 0},
}
#: what the compile resolves for a keyword the text leaves out, where the definition keeps
#: NULL (a trigger fires for each row unless it says otherwise)
COMPILED_DEFAULTS: dict[str, dict[str, Any]] = {"CompiledTrigger": {"Foreach": "row"}}
INTEGER = {"Abstract", "Final", "Deployed", "System", "ProcedureBlock", "Hidden", "Deprecated",
           "Internal", "ClassMethod", "ClientMethod", "Private", "SqlProc",
           "WebMethod", "ZenMethod", "NotInheritable", "ForceGenerate", "Required",
           "Calculated", "Transient", "ReadOnly", "Relationship", "MultiDimensional",
           "SqlComputed", "_Unique", "PrimaryKey", "IdKey", "Extent", "NoCheck",
           "SequenceNumber", "Sharded", "NoExtent", "Order"}
#: keywords whose value is ObjectScript, kept as written (a quoted value is a string literal)
EXPRESSIONS = {"InitialExpression", "SqlComputeCode", "Expression"}
#: the initial values (IRIS's InitialExpression) of the text keywords that have one besides
#: the flags' 0; a keyword without one, left out of the text, is NULL
DEFAULTS: dict[str, dict[str, Any]] = {
    "ClassDefinition": {"ClientDataType": "VARCHAR", "Inheritance": "left",
                        "_Language": "objectscript"},
    "MethodDefinition": {"CodeMode": "code"},
    "PropertyDefinition": {"InitialExpression": '""'},
    "TriggerDefinition": {"_Time": "BEFORE", "CodeMode": "code"},
    "XDataDefinition": {"MimeType": "text/xml"},
    "ForeignKeyDefinition": {"OnDelete": "noaction", "OnUpdate": "noaction"},
}


def columns_of(table: str) -> list[str]:
    """The columns of a definition table, or of a Compiled* table."""
    if table in COMPILED_TABLES:
        return columns_of(COMPILED_TABLES[table]) + list(COMPILED_ONLY.get(table, {}))
    if table == "ClassDefinition":
        return CLASS_COLUMNS
    return MEMBER_COMMON + MEMBER_TABLES[table][1]


def class_row(info: ClassInfo, ts: str) -> Row:
    """The ClassDefinition row of a scanned class."""
    kw = info.keywords
    row: Row = {c: _keyword(kw, c) for c in CLASS_COLUMNS}
    row.update(ID=info.name, Name=info.name, Super=",".join(info.supers),
               Description=info.description, TimeChanged=ts, TimeCreated=ts,
               IncludeCode=",".join(info.includes), Import=",".join(info.imports))
    row["ProcedureBlock"] = 0 if kw.get("procedureblock") == "0" else 1
    return _finish(row, "ClassDefinition")


def member_rows(info: ClassInfo) -> dict[str, list[Row]]:
    """Rows of every member table for one class."""
    out: dict[str, list[Row]] = {t: [] for t in MEMBER_TABLES}
    by_kind = {kind: table for table, (kind, _cols) in MEMBER_TABLES.items()}
    for member in info.members:
        table = by_kind[member.kind]
        out[table].append(member_row(info.name, table, member))
    return out


def member_row(parent: str, table: str, member: Member) -> Row:
    """One member row: common columns, keywords, then the kind's special columns."""
    cols = columns_of(table)
    row: Row = {c: _keyword(member.keywords, c) for c in cols}
    row.update(ID=f"{parent}||{member.name}", parent=parent, Name=member.name,
               Description=member.description, SequenceNumber=member.seq, Origin=parent)
    FILLERS.get(member.kind, _no_fill)(row, member)
    return _finish(row, table)


def _finish(row: Row, table: str) -> Row:
    """Empty strings become NULL, then left-out keywords take their initial values."""
    defaults = DEFAULTS.get(table, {})
    for column, value in row.items():
        if value == "":
            row[column] = None
        if row[column] is None and column in defaults:
            row[column] = defaults[column]
    return row


def _keyword(kw: dict[str, str], column: str) -> Any:
    """The value of the keyword a column shows (``_Time`` shows the keyword ``Time``)."""
    value = kw.get(column.lstrip("_").lower())
    if column in INTEGER:
        return _int(value)
    if value is None or column in EXPRESSIONS:
        return value
    return _unquote(value)


def _int(value: str | None) -> int:
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return 1


def _no_fill(row: Row, member: Member) -> None:
    return None


def _method(row: Row, m: Member) -> None:
    row.update(ClassMethod=int(m.keyword.lower() == "classmethod"),
               ClientMethod=int(m.keyword.lower() == "clientmethod"),
               FormalSpec=_formal_spec(m.spec), ReturnType=m.type,
               ReturnTypeParams=_type_params(m.type_params),
               Implementation="\n".join(m.body))


def _property(row: Row, m: Member) -> None:
    typ, params = m.type, m.type_params
    collection = m.keywords.get("collection", "")
    rest = m.rest
    if typ.lower() in ("list", "array") and rest.lower().startswith("of "):
        # ``As list Of %String(MAXLEN = 5)``: a collection of the type after Of
        collection = typ.lower()
        element = rest[3:].strip()
        typ, _, params = element.partition("(")
        typ, params = typ.strip(), params.rpartition(")")[0].strip()
    row.update(Type=typ, Collection=collection, Parameters=params,
               Relationship=int(m.keyword.lower() == "relationship"))


def _parameter(row: Row, m: Member) -> None:
    value = m.default.strip()
    if not value and m.body:  # ``Parameter P = {expr};`` scans as a block
        value = "{" + "\n".join(m.body).strip() + "}"
    row["Type"] = m.type
    if value.startswith("{") and value.endswith("}"):  # a compile-time expression
        if row["Expression"] is None:
            row["Expression"] = value[1:-1].strip()
    else:
        row["_Default"] = _unquote(value)


def _index(row: Row, m: Member) -> None:
    rest = m.rest
    if rest.lower().startswith("on "):
        rest = rest[3:].strip()
    row.update(Properties=rest.strip("()").replace(" ", ""))


def _query(row: Row, m: Member) -> None:
    row.update(Type=m.type, FormalSpec=_formal_spec(m.spec), Parameters=m.type_params,
               SqlQuery="\n".join(m.body).strip())


def _trigger(row: Row, m: Member) -> None:
    row.update(Code="\n".join(m.body))


def _xdata(row: Row, m: Member) -> None:
    row.update(Data="\n".join(m.body))


def _storage(row: Row, m: Member) -> None:
    text = "\n".join(m.body)
    for tag in ("Type", "DataLocation", "IdLocation", "IndexLocation", "StreamLocation",
                "DefaultData"):
        row[tag] = _xml_tag(text, tag)


def _foreign_key(row: Row, m: Member) -> None:
    row.update(Properties=m.spec.replace(" ", ""))
    rest = m.rest
    if rest.lower().startswith("references "):
        ref = rest[11:].strip()
        cls, _, key = ref.partition("(")
        row.update(ReferencedClass=cls.strip(), ReferencedKey=key.rstrip(");").strip())


def _projection(row: Row, m: Member) -> None:
    row.update(Type=m.type, Parameters=m.type_params)


FILLERS: dict[str, Callable[[Row, Member], None]] = {
    "Method": _method, "Property": _property, "Parameter": _parameter, "Index": _index,
    "Query": _query, "Trigger": _trigger, "XData": _xdata, "Storage": _storage,
    "ForeignKey": _foreign_key, "Projection": _projection}
_CALL_TYPES = (("byref ", "&"), ("output ", "*"), ("byval ", ""))
_AS = re.compile(r"\s+as\s+", re.IGNORECASE)


def _formal_spec(spec: str) -> str:
    """IRIS FormalSpec form: ``&a:%String,*b,c:%Integer=1`` from ``ByRef a As %String,
    Output b, c As %Integer = 1`` (type parameters left out, as before)."""
    out = []
    for arg in split_arguments(spec) if spec.strip() else []:
        arg, mark = arg.strip(), ""
        for word, sign in _CALL_TYPES:
            if arg.lower().startswith(word):
                arg, mark = arg[len(word):].strip(), sign
                break
        head, eq, default = _split_top(arg, "=")
        parts = _AS.split(head.strip(), maxsplit=1)
        typ = parts[1].split("(")[0].strip() if len(parts) > 1 else ""
        item = mark + parts[0].strip() + (":" + typ if typ else "")
        out.append(item + ("=" + default.strip() if eq else ""))
    return ",".join(out)


def _split_top(text: str, sep: str) -> tuple[str, str, str]:
    """``text.partition(sep)`` at the first ``sep`` outside parentheses, braces and
    strings."""
    found = top_level(text, sep)
    if not found:
        return text, "", ""
    return text[:found[0]], sep, text[found[0] + 1:]


def _type_params(text: str) -> str:
    """Type parameters as IRIS keeps them: ``MAXLEN=10,MINLEN=1`` from ``MAXLEN = 10,
    MINLEN = 1``."""
    items = []
    for item in split_arguments(text) if text.strip() else []:
        name, eq, value = item.partition("=")
        items.append(name.strip() + (eq + value.strip() if eq else ""))
    return ",".join(items)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def _xml_tag(text: str, tag: str) -> str:
    start = text.find(f"<{tag}>")
    end = text.find(f"</{tag}>", start + 1)
    return text[start + len(tag) + 2:end].strip() if start >= 0 and end > start else ""
