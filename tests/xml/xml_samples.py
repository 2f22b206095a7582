# ruff: noqa: E501 - class texts keep their real long header lines
"""Class texts of varied shapes for the XML round-trip tests."""

from __future__ import annotations

CANONICAL = '''\
Import (Pkg.Sub, Other)
Include (MacA, MacB)
IncludeGenerator GenMac

/// First line of the class doc.
///
/// <b>HTML</b> & entities "quoted" ]]> kept
Class Pkg.Full Extends (%Persistent, %XML.Adaptor) [ ClassType = persistent, Final, Not ProcedureBlock, SqlTableName = "Full_T", DependsOn = (Pkg.A, Pkg.B) ]
{

/// A parameter.
Parameter GREETING = "Hello ""world""";

Parameter COUNT As %Integer = 42;

Parameter EMPTY;

Parameter BLANK = "";

Parameter EXPR = {$zhorolog};

Property Name As %String(MAXLEN = 100, TRUNCATE = 1) [ Required, SqlFieldName = full_name ];

Property Tags As list Of %String;

Property Map As array Of Pkg.Item;

Property Untyped;

Relationship Items As Pkg.Item [ Cardinality = children, Inverse = Owner ];

Index NameIdx On Name [ Unique ];

Index Multi On (Name, Tags) [ Type = bitmap ];

ForeignKey FK(Name) References Pkg.Other(NameIdx) [ OnDelete = cascade ];

Projection Java As %Projection.Java(ROOTDIR = "/tmp");

/// Method doc.
Method Run(ByRef a As %String, Output b As %Integer = 2, c As %List = {$lb(1,2)}, args...) As %Status [ Private, CodeMode = code ]
{
    // a comment with <tags> & ]]> in it
    set b = "x]]>y"
	quit $$$OK
}

ClassMethod Empty()
{
}

ClassMethod Blank() [ Language = python ]
{

}

ClientMethod Click() [ Language = javascript ]
{
  alert("<hi>");
}

Query ByName(name As %String) As %SQLQuery(ROWSPEC = "ID:%Integer,Name:%String") [ SqlProc ]
{
SELECT ID, Name FROM Pkg.Full WHERE Name = :name
}

Trigger Audit [ Event = INSERT/UPDATE, Time = AFTER ]
{
    set ^log($i(^log)) = {Name}
}

XData Config [ MimeType = application/json ]
{
{"a": [1, 2], "b": "<c>"}
}

Storage Default
{
<Data name="FullDefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
<Value name="2">
<Value>Name</Value>
</Value>
</Data>
<DataLocation>^Pkg.FullD</DataLocation>
<DefaultData>FullDefaultData</DefaultData>
<Type>%Storage.Persistent</Type>
}

}
'''

EMPTY = "Class Pkg.Empty\n{\n\n}\n"

#: texts the structured form cannot carry exactly: exported verbatim (<UDL>)
IRREGULAR = {
    "no final newline": "Class Pkg.X Extends %RegisteredObject\n{\n\n}",
    "tight braces": "Class Pkg.X\n{\nProperty A;\n}\n",
    "comment between members": "Class Pkg.X\n{\n\n// note\nProperty A;\n\n}\n",
    "one-line method": "Class Pkg.X\n{\n\nMethod M() { quit 1 }\n\n}\n",
    "odd keyword spacing": "Class Pkg.X [Abstract]\n{\n\n}\n",
    "crlf-ish blank lines": "Class Pkg.X\n{\n\n\nProperty A;\n\n\n}\n",
    "keyword = 1": "Class Pkg.X\n{\n\nProperty A [ Internal = 1 ];\n\n}\n",
    "storage with comment": "Class Pkg.X\n{\n\nStorage S\n{\n<!-- c -->\n<Type>x</Type>\n}\n\n}\n",
    "unquoted parameter": "Class Pkg.X\n{\n\nParameter P = abc;\n\n}\n",
    "tab description": "///\tdoc\nClass Pkg.X\n{\n\n}\n",
    "multi-line signature": "Class Pkg.X\n{\n\nMethod M(\n\ta,\n\tb)\n{\n}\n\n}\n",
    "sql compute code": ("Class Pkg.X\n{\n\nProperty A As %String [ SqlComputeCode = { set "
                         "{*} = 1\n}, SqlComputed ];\n\n}\n"),
}
