"""Columns of the %Dictionary tables and how a scanned class fills them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from atelier_api.documents.udlscan import ClassInfo, Member

Row = dict[str, Any]
MEMBER_COMMON = ["ID", "parent", "Name", "Description", "SequenceNumber", "Deprecated",
                 "Internal", "Origin"]
CLASS_COLUMNS = [
    "ID", "Name", "Super", "Abstract", "Final", "Deployed", "Description", "System",
    "ProcedureBlock", "ClassType", "TimeChanged", "TimeCreated", "Hidden", "Deprecated",
    "Import", "IncludeCode", "IncludeGenerator", "Language", "Owner", "SqlTableName",
    "ServerOnly", "ClientDataType", "CompileAfter", "DependsOn", "Inheritance", "Sharded",
    "NoExtent", "PrimarySuper",
]
#: member table -> (UDL kind, its own columns)
MEMBER_TABLES: dict[str, tuple[str, list[str]]] = {
    "MethodDefinition": ("Method", [
        "ClassMethod", "ClientMethod", "Abstract", "Final", "Private", "FormalSpec",
        "ReturnType", "Language", "CodeMode", "SqlProc", "SqlName", "WebMethod", "ZenMethod",
        "NotInheritable", "ForceGenerate", "Implementation"]),
    "PropertyDefinition": ("Property", [
        "Type", "Collection", "Required", "Private", "Calculated", "Transient", "ReadOnly",
        "InitialExpression", "Relationship", "Cardinality", "Inverse", "MultiDimensional",
        "SqlFieldName", "SqlComputed", "SqlComputeCode", "Parameters", "Final"]),
    "ParameterDefinition": ("Parameter", [
        "Type", "Default", "Abstract", "Final", "Constraint", "Flags", "Expression"]),
    "IndexDefinition": ("Index", [
        "Properties", "Unique", "PrimaryKey", "IdKey", "Type", "Extent", "Data",
        "SqlName"]),
    "XDataDefinition": ("XData", ["MimeType", "XMLNamespace", "SchemaSpec", "Data"]),
    "QueryDefinition": ("Query", [
        "Type", "FormalSpec", "SqlQuery", "SqlProc", "SqlName", "Private", "Final",
        "Parameters"]),
    "TriggerDefinition": ("Trigger", [
        "Event", "Time", "Foreach", "Code", "Language", "Order", "SqlName", "Final"]),
    "StorageDefinition": ("Storage", [
        "Type", "DataLocation", "IdLocation", "IndexLocation", "StreamLocation",
        "DefaultData", "Final"]),
    "ForeignKeyDefinition": ("ForeignKey", [
        "Properties", "ReferencedClass", "ReferencedKey", "OnDelete", "OnUpdate", "SqlName",
        "NoCheck", "Final"]),
    "ProjectionDefinition": ("Projection", ["Type", "Parameters", "Final"]),
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
INTEGER = {"Abstract", "Final", "Deployed", "System", "ProcedureBlock", "Hidden", "Deprecated",
           "ServerOnly", "Internal", "ClassMethod", "ClientMethod", "Private", "SqlProc",
           "WebMethod", "ZenMethod", "NotInheritable", "ForceGenerate", "Required",
           "Calculated", "Transient", "ReadOnly", "Relationship", "MultiDimensional",
           "SqlComputed", "Unique", "PrimaryKey", "IdKey", "Extent", "Foreach", "NoCheck",
           "SequenceNumber", "Sharded", "NoExtent", "Order"}
BOOLEAN_DEFAULT_ONE = {"ProcedureBlock"}


def columns_of(table: str) -> list[str]:
    """The columns of a definition table."""
    if table == "ClassDefinition":
        return CLASS_COLUMNS
    return MEMBER_COMMON + MEMBER_TABLES[table][1]


def class_row(info: ClassInfo, ts: str) -> Row:
    """The ClassDefinition row of a scanned class."""
    kw = info.keywords
    row: Row = {c: _keyword(kw, c) for c in CLASS_COLUMNS}
    row.update(ID=info.name, Name=info.name, Super=",".join(info.supers),
               Description=info.description, TimeChanged=ts, TimeCreated=ts,
               IncludeCode=",".join(info.includes), Import=",".join(info.imports),
               PrimarySuper="~" + "~".join([info.name] + info.supers[:1]) + "~",
               ClassType=kw.get("classtype", "persistent" if _persistent(info) else ""))
    row["ProcedureBlock"] = 0 if kw.get("procedureblock") == "0" else 1
    return row


def _persistent(info: ClassInfo) -> bool:
    return any(s.lower() in ("%persistent", "%library.persistent") for s in info.supers[:1])


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
    return row


def _keyword(kw: dict[str, str], column: str) -> Any:
    value = kw.get(column.lower())
    if column in INTEGER:
        return _int(value)
    return value if value is not None else ""


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
               Implementation="\n".join(m.body))


def _property(row: Row, m: Member) -> None:
    collection = m.keywords.get("collection", "")
    typ = m.type
    low = typ.lower()
    for word in ("list of ", "array of "):
        if low.startswith(word.strip()) and " of " in f"{low} ":
            collection, typ = word.split()[0], m.rest.split()[-1] if m.rest else typ
    row.update(Type=typ, Collection=collection, Parameters=m.type_params,
               Relationship=int(m.keyword.lower() == "relationship"),
               InitialExpression=m.keywords.get("initialexpression", ""))


def _parameter(row: Row, m: Member) -> None:
    row.update(Type=m.type, Default=_unquote(m.default))


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


def _formal_spec(spec: str) -> str:
    """IRIS FormalSpec form: ``a:%String,b:%Integer=1`` from ``a As %String, b As %Integer = 1``."""
    from atelier_api.documents.udl import split_arguments

    out = []
    for arg in split_arguments(spec) if spec.strip() else []:
        name, _, rest = arg.strip().partition(" As ")
        typ, eq, default = rest.partition("=")
        item = name.strip() + (":" + typ.strip().split("(")[0].strip() if typ.strip() else "")
        out.append(item + ("=" + default.strip() if eq else ""))
    return ",".join(out)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value.strip("{}").strip() if value.startswith("{") else value


def _xml_tag(text: str, tag: str) -> str:
    start = text.find(f"<{tag}>")
    end = text.find(f"</{tag}>", start + 1)
    return text[start + len(tag) + 2:end].strip() if start >= 0 and end > start else ""
