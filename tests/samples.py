"""Sample documents shared by the in-process suites (documents API and XML): a persistent
class with its Storage, and a routine."""

CLASS_TEXT = """\
/// A test class.
Class Pkg.A Extends %Persistent
{

Property Name As %String;

Method Hello(a As %String, b As %Integer = 1) As %String
{
    quit a_b
}

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

}
"""
ROUTINE_TEXT = 'ROUTINE R\nR ;\n w "hi"\n quit\n'
