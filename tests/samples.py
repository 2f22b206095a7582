"""Sample documents shared by the in-process suites (documents, SQL and XML APIs): a
persistent class with its Storage, a routine, an include file, a web file and an image."""

# The Storage of class Pkg.A, shared by the sample classes named Pkg.A.
A_STORAGE = """\
Storage Default
{
<Data name="ADefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
</Data>
<DataLocation>^Pkg.AD</DataLocation>
<Type>%Storage.Persistent</Type>
}
"""
CLASS_TEXT = """\
/// A test class.
Class Pkg.A Extends %Persistent
{

Property Name As %String;

Method Hello(a As %String, b As %Integer = 1) As %String
{
    quit a_b
}

""" + A_STORAGE + "\n}\n"
ROUTINE_TEXT = 'ROUTINE R\nR ;\n w "hi"\n quit\n'
INCLUDE_TEXT = "ROUTINE Inc [Type=INC]\n#define X 1\n"
JS_TEXT = "var x = 1;\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
