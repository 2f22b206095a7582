"""Marshmallow schemas of the action endpoints (compile, index, macros) and of ``/work``."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from atelier_api.api.schemas.documents import DocumentSchema, EnvelopeSchema, StrictBoolean

#: A compile document list: names, masks or ``{"name": ...}`` objects.
COMPILE_LIST = {
    "type": "array",
    "items": {"oneOf": [{"type": "string"}, {"type": "object", "required": ["name"],
                                             "properties": {"name": {"type": "string"}}}]},
    "description": "document names, masks (*.CLS, Pkg.*.cls, /csp/app/*; a leading ' "
                   "excludes) or {\"name\": ...} objects",
    "example": ["Demo.Person.cls", "Demo.*.cls", {"name": "DemoRoutine.mac"}],
}
INDEX_LIST = {
    "type": "array", "items": {"type": "string"},
    "description": "document names; from v4 an item may carry a position, Name.ext:label+offset",
    "example": ["Demo.Person.cls", "Demo.Person.cls:Greet+1"],
}


class CompileResultSchema(Schema):
    """``result`` of a compile: documents whose text the compile changed (their Storage)."""

    content = fields.List(fields.Nested(DocumentSchema), required=True, metadata={
        "description": "changed documents; flags 1 and the Storage lines when source is on"})


class CompileEnvelopeSchema(EnvelopeSchema):
    """Envelope of a compile; a failed compile is still a 200 with ``status.errors``."""

    result = fields.Nested(CompileResultSchema, required=True)


class WorkPollEnvelopeSchema(EnvelopeSchema):
    """Envelope of a ``/work`` poll: a compile's ``result`` is an object; a search's or a
    unit-test run's is an array of the items found since the last poll (once, while a
    ``debug: true`` run waits for its debugger, ``{"content": {"debugReady": true}}``)."""

    result = fields.Raw(required=True, metadata={
        "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
        "description": "compile: {content: [...]} (final) or {}; search and unittest: "
                       "the new items"})


class ArgSchema(Schema):
    """A method argument."""

    name = fields.String(required=True)
    type = fields.String(required=True)


class MemberSchema(Schema):
    """Fields every member summary has."""

    name = fields.String(required=True)
    desc = fields.List(fields.String(), required=True, metadata={"description": "lines"})
    depr = fields.Boolean(required=True)
    final = fields.Boolean(required=True)
    internal = fields.Boolean(required=True)


class MethodSchema(MemberSchema):
    """A method of a class summary."""

    private = fields.Boolean(required=True)
    scope = fields.String(required=True, metadata={"enum": ["class", "instance"]})
    returntype = fields.String(required=True)
    args = fields.List(fields.Nested(ArgSchema), required=True)


class PropertySchema(MemberSchema):
    """A property of a class summary."""

    private = fields.Boolean(required=True)
    type = fields.String(required=True)


class ParameterSchema(MemberSchema):
    """A class parameter of a class summary."""

    type = fields.String(required=True)
    default = fields.String(required=True)


class ClassSummarySchema(Schema):
    """``content`` of a class's index entry (``{}`` for other documents)."""

    desc = fields.List(fields.String(), metadata={"description": "the class doc, as lines"})
    depl = fields.Boolean()
    depr = fields.Boolean()
    final = fields.Boolean()
    hidden = fields.Boolean()
    super = fields.List(fields.String())
    methods = fields.List(fields.Nested(MethodSchema))
    properties = fields.List(fields.Nested(PropertySchema))
    parameters = fields.List(fields.Nested(ParameterSchema))


class IndexEntrySchema(Schema):
    """One action/index entry (request order; a missing document has ``status`` set)."""

    name = fields.String(required=True)
    db = fields.String(required=True)
    ts = fields.String(required=True)
    gen = fields.Boolean(required=True)
    others = fields.List(fields.String(), required=True, metadata={
        "description": "related documents that exist (Pkg.Cls.1.int, R.int, ...), with a "
                       "position when one was asked"})
    cat = fields.String(required=True)
    status = fields.String(required=True)
    content = fields.Nested(ClassSummarySchema, required=True)


class IndexResultSchema(Schema):
    """``result`` of action/index."""

    content = fields.List(fields.Nested(IndexEntrySchema), required=True)


class IndexEnvelopeSchema(EnvelopeSchema):
    """Envelope of action/index."""

    result = fields.Nested(IndexResultSchema, required=True)


class MacroBodySchema(Schema):
    """Body of the macro endpoints; unknown keys are ignored."""

    class Meta:
        unknown = EXCLUDE

    docname = fields.String(required=True, metadata={"example": "Demo.Person.cls"})
    macroname = fields.String(load_default="", metadata={
        "description": "without $$$; required by getmacrodefinition and getmacrolocation",
        "example": "Greeting"})
    includes = fields.List(fields.String(), load_default=list, metadata={
        "description": "extra include files (without .inc)", "example": ["DemoMacros"]})


class UnitTestClassSchema(Schema):
    """One test class of a ``unittest`` request."""

    class Meta:
        unknown = EXCLUDE

    class_ = fields.String(required=True, data_key="class",
                           metadata={"example": "Demo.Tests.UtilsTest"})
    methods = fields.List(fields.String(), metadata={
        "description": "test methods without the 'Test' prefix; omitted: all",
        "example": ["Greet"]})


class LoadedDocumentSchema(Schema):
    """A class or routine text the client sends with a ``unittest`` request (its copy)."""

    class Meta:
        unknown = EXCLUDE

    file = fields.String(metadata={"description": "the client's path, for messages"})
    content = fields.List(fields.String(), required=True,
                          metadata={"description": "the UDL text's lines"})


class WorkBodySchema(Schema):
    """Body of POST /work: a ``compile``, a ``search`` (v6 and up) or a ``unittest`` (v8 and
    up, not in %SYS)."""

    class Meta:
        unknown = EXCLUDE

    request = fields.String(required=True,
                            metadata={"enum": ["compile", "search", "unittest"]})
    documents = fields.Raw(metadata={"description": "compile: names, masks or {name} "
                                                    "objects; search: masks such as "
                                                    "'*.cls,*.mac'",
                                     "example": ["Demo.Person.cls"]})
    project = fields.String(metadata={"description": "search: search this Studio project's "
                                                     "documents (documents, system and "
                                                     "generated are then ignored)"})
    flags = fields.String(metadata={"example": "cuk"})
    source = StrictBoolean(metadata={"description": "false: no Storage lines in the result"})
    query = fields.String(metadata={"description": "search: the text or pattern"})
    regex = StrictBoolean()
    word = StrictBoolean()
    case = StrictBoolean()
    wild = StrictBoolean()
    system = StrictBoolean()
    generated = StrictBoolean()
    max = fields.Integer(metadata={"description": "search: most matches"})
    include = fields.String(metadata={"description": "search: names to search (regex)"})
    exclude_ = fields.String(data_key="exclude",
                             metadata={"description": "search: names to skip (regex)"})
    tests = fields.List(fields.Nested(UnitTestClassSchema),
                        metadata={"description": "unittest: the classes to run"})
    load_ = fields.List(fields.Nested(LoadedDocumentSchema), data_key="load", metadata={
        "description": "unittest: class and routine texts to compile for the run (never "
                       "saved)"})
    console = StrictBoolean(metadata={"description": "search and unittest: false prints no "
                                                     "console lines"})
    debug = StrictBoolean(metadata={"description": "unittest: run under the debugger: the "
                                                   "reply's result.content.debugId is the id "
                                                   "to attach with (CSPDEBUG:<id>); a poll "
                                                   "says result.content.debugReady once, "
                                                   "and the tests start with the "
                                                   "debugger's first run"})
