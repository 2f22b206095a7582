"""Classes end to end: UDL class texts read with ``compiler_stub.reading``, their INT code
generated with ``compiler_stub.generation.intcode.class_routine`` (macros of %occInclude
expanded), run by a ``Process`` whose ``load_class`` gives the class models.

Each case is (terminal lines, exact output with errors as ``[<ERROR>...]``, origin). Doc keys
as in test_objects.py: InterSystems documentation pages (GOBJ_* "Defining and Using Classes",
RCOS_* ObjectScript reference, Documatic <class> the class reference).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.runtime.classbed import Workspace

PERSON = """
Class Demo.Person Extends %Persistent
{

Parameter GREETING = "Hello";

Parameter MAX As %Integer = 10;

Parameter DOUBLE = {2*21};

Property Name As %String [ InitialExpression = "Nobody" ];

Property Age As %Integer;

Property Tags As list Of %String;

Property Upper As %String [ Calculated ];

Property Hits As %Integer [ InitialExpression = 0, Transient ];

Method UpperGet() As %String
{
    quit $zconvert(..Name,"U")
}

Method AgeSet(v As %Integer) As %Status
{
    set i%Age = v * 2
    quit $$$OK
}

Method Greet(who As %String = "world") As %String
{
    quit ..#GREETING_", "_who_" from "_..Name
}

ClassMethod Make(n As %String) As Demo.Person
{
    set p = ..%New()
    set p.Name = n
    quit p
}

Method %OnNew(name As %String = "") As %Status
{
    if name = "fail" quit $$$ERROR($$$GeneralError, "no fail")
    if name '= "" set ..Name = name
    quit $$$OK
}

Method Describe() As %String
{
    quit $classname()_":"_..Name_":"_$this.Age
}

Method Bump() As %Integer
{
    set ..Hits = ..Hits + 1
    do ..Twice()
    quit ..Hits
}

Method Twice()
{
    set i%Hits = i%Hits * 2
}

ClassMethod Who() As %String
{
    quit $this
}

ClassMethod Fails() As %Status
{
    quit $$$ERROR($$$GeneralError, "it failed")
}

ClassMethod Check() As %String
{
    try {
        $$$ThrowOnError(..Fails())
    } catch ex {
        return ex.DisplayString()
    }
    quit "none"
}

Method Broken()
{
    set x = ..Nope
}

}
"""

STUDENT = """
Class Demo.Student Extends Demo.Person
{

Parameter GREETING = "Hi";

Property School As %String;

Method Greet(who As %String = "world") As %String
{
    quit "["_##super(who)_"]"
}

ClassMethod Who() As %String
{
    quit "S:"_##super()
}

}
"""

MIXIN = """
Class Demo.Mixin
{

Parameter GREETING = "Mixed";

Property Color As %String [ InitialExpression = "red" ];

Method Paint() As %String
{
    quit "paint "_..Color
}

Method Greet(who As %String = "") As %String
{
    quit "mixin"
}

}
"""

MULTI = """
Class Demo.Multi Extends (%RegisteredObject, Demo.Mixin)
{

Property Size As %Integer [ InitialExpression = 3 ];

}
"""

MULTI2 = """
Class Demo.Multi2 Extends (Demo.Person, Demo.Mixin)
{

}
"""

ERR = """
Class Demo.MyError Extends %Exception.AbstractException
{

Method Describe() As %String
{
    quit "MyError:"_..Name_":"_..Code
}

}
"""

THROWER = """
Class Demo.Thrower
{

ClassMethod Go(kind As %String) As %String
{
    try {
        if kind = "mine" throw ##class(Demo.MyError).%New("Custom", 77)
        if kind = "sys" set x = 1/0
        if kind = "status" $$$ThrowStatus($$$ERROR(5001, "st"))
    } catch e {
        return $classname(e)_"|"_e.Name_"|"_e.Code
    }
    quit "ok"
}

ClassMethod Uncaught()
{
    throw ##class(Demo.MyError).%New("Out", 5)
}

}
"""

STORED = """
Class Demo.Item Extends %Persistent
{

Property Title As %String;

Property Qty As %Integer;

Property Owner As Demo.Person;

Storage Default
{
<Data name="ItemDefaultData">
<Value name="1">
<Value>%%CLASSNAME</Value>
</Value>
<Value name="2">
<Value>Qty</Value>
</Value>
<Value name="3">
<Value>Title</Value>
</Value>
<Value name="4">
<Value>Owner</Value>
</Value>
</Data>
<DataLocation>^Demo.ItemData</DataLocation>
<DefaultData>ItemDefaultData</DefaultData>
<IdLocation>^Demo.ItemData</IdLocation>
<IndexLocation>^Demo.ItemI</IndexLocation>
<StreamLocation>^Demo.ItemS</StreamLocation>
<Type>%Storage.Persistent</Type>
}

}
"""

WS = Workspace(PERSON, STUDENT, MIXIN, MULTI, MULTI2, ERR, THROWER, STORED)

NEW = ' set p=##class(Demo.Person).%New("Ann")'
S = ' set s=##class(Demo.Student).%New("Bo")'

CASES: list[tuple[list[str] | str, str, str]] = [
    # ---------------------------------------------------------------- %New, properties
    (' set p=##class(Demo.Person).%New() write p.Name', "Nobody",
     "GOBJ_propdefault: InitialExpression"),
    (' set p=##class(Demo.Person).%New() write p', "1@Demo.Person", "GOBJ_oref: n@Class"),
    (NEW + ' write p.Name', "Ann", "GOBJ_callbacks: %New passes its arguments to %OnNew"),
    (' set p=##class(Demo.Person).%New("fail") write p="",$isobject(p)', "10",
     "GOBJ_callbacks: %OnNew returning an error makes %New return \"\""),
    (' set p=##class(Demo.Person).%New() write p.Age,"|",p.Hits', "|0",
     "GOBJ_propdefault: no InitialExpression is \"\""),
    (NEW + ' set p.Age=7 write p.Age', "14", "GOBJ_propmethods: the PropSet method runs on SET"),
    (NEW + ' write p.Upper', "ANN", "GOBJ_propmethods: the PropGet method runs on read"),
    (NEW + ' set p.Name="Zed" write p.Upper', "ZED", "GOBJ_propmethods"),
    (NEW + ' write p.Nope', "[<PROPERTY DOES NOT EXIST> *Nope,Demo.Person]", "GOBJ_errors"),
    (NEW + ' set p.Nope=1', "[<PROPERTY DOES NOT EXIST> *Nope,Demo.Person]", "GOBJ_errors"),
    (NEW + ' do p.Nope()', "[<METHOD DOES NOT EXIST> *Nope,Demo.Person]", "GOBJ_errors"),
    (NEW + ' do p.Broken()',
     "[<PROPERTY DOES NOT EXIST>zBroken+1^Demo.Person.1 *Nope,Demo.Person]",
     "GOBJ_errors: the location is in the class's INT code"),
    (' write ##class(Demo.Nope).%New()', "[<CLASS DOES NOT EXIST> *Demo.Nope]", "GOBJ_errors"),
    (' write ##class(Demo.Person).Greet()', "[<METHOD DOES NOT EXIST> *Greet,Demo.Person]",
     "GOBJ_methods: an instance method is not a class method"),
    (NEW + ' write p.Tags.Count() do p.Tags.Insert("x") write p.Tags.Count(),p.Tags.GetAt(1)',
     "01x", "GOBJ_collections: a list property is a %ListOfDataTypes"),
    (NEW + ' write $classname(p.Tags)', "%Library.ListOfDataTypes", "GOBJ_collections"),
    # ---------------------------------------------------------------- methods, $this, ..
    (NEW + ' write p.Greet()', "Hello, world from Ann",
     "GOBJ_methods: ..#PARAM and ..Prop in an instance method"),
    (NEW + ' write p.Greet("you")', "Hello, you from Ann", "GOBJ_methods: arguments"),
    (NEW + ' set p.Age=5 write p.Describe()', "Demo.Person:Ann:10",
     "RCOS_vthis / RCOS_fclassname: $this and $CLASSNAME() in an instance method"),
    (NEW + ' write p.Bump(),p.Bump()', "26",
     "GOBJ_methods: do ..Method() and i%Prop on the same object"),
    (' write ##class(Demo.Person).Who()', "Demo.Person",
     "RCOS_vthis: $this in a class method is the class name"),
    (' set p=##class(Demo.Person).Make("Kim") write p.Name,$classname(p)', "KimDemo.Person",
     "GOBJ_methods: ..%New() in a class method"),
    (NEW + ' write $method(p,"Greet","m")', "Hello, m from Ann", "RCOS_fmethod"),
    (NEW + ' write $property(p,"Name")', "Ann", "RCOS_fproperty"),
    (NEW + ' set $property(p,"Name")="Q" write p.Name', "Q", "RCOS_fproperty: SET"),
    (' write $classmethod("Demo.Person","Who")', "Demo.Person", "RCOS_fclassmethod"),
    (NEW + ' write $this,"|"', "|", "RCOS_vthis: back at the top after a call"),
    (NEW + ' write p.Greet(),$this,"|"', "Hello, world from Ann|",
     "RCOS_vthis: restored after the method returns"),
    # ---------------------------------------------------------------- parameters
    (' write ##class(Demo.Person).#MAX', "10", "GOBJ_parameters: ##class(C).#PARAM"),
    (' write ##class(Demo.Person).#DOUBLE', "42",
     "GOBJ_parameters: a parameter given by an expression {…}"),
    (' write $parameter("Demo.Student","GREETING")', "Hi",
     "RCOS_fparameter: the subclass overrides"),
    (NEW + ' write $parameter(p,"MAX")', "10", "RCOS_fparameter: with an oref"),
    (' write $parameter("Demo.Person","NONE"),"|"', "|", "RCOS_fparameter: none is \"\""),
    (NEW + ' write p.%GetParameter("GREETING")', "Hello",
     "Documatic %Library.Base: %GetParameter"),
    # ---------------------------------------------------------------- inheritance
    (S + ' write s.Name,"|",s.Greet("x")', "Bo|[Hi, x from Bo]",
     "GOBJ_inheritance: ##super() calls the superclass's method; ..#PARAM of the subclass"),
    (' write ##class(Demo.Student).Who()', "S:Demo.Student",
     "GOBJ_inheritance: ##super() in a class method keeps $this"),
    (S + ' write s.%ClassName(),"|",s.%ClassName(1)', "Student|Demo.Student",
     "Documatic %Library.Base: %ClassName(0/1)"),
    (S + ' write s.%IsA("Demo.Person"),s.%IsA("Demo.Mixin"),s.%Extends("%Library.Persistent")',
     "101", "Documatic %Library.Base: %IsA / %Extends"),
    (S + ' set s.Age=4 write s.Age,s.Upper', "8BO",
     "GOBJ_inheritance: inherited accessors"),
    (' set s=##class(Demo.Student).Make("Al") write $classname(s)', "Demo.Student",
     "GOBJ_inheritance: an inherited class method's ..%New() makes the subclass"),
    (' set m=##class(Demo.Multi).%New() write m.Color,m.Size,"|",m.Paint()', "red3|paint red",
     "GOBJ_inheritance: multiple inheritance, members of every superclass"),
    (' set m=##class(Demo.Multi2).%New("Z") write m.Greet("q")', "Hello, q from Z",
     "GOBJ_inheritance: the leftmost superclass wins a conflict (Inheritance = left)"),
    (' set m=##class(Demo.Multi2).%New() write ##class(Demo.Multi2).#GREETING', "Hello",
     "GOBJ_inheritance: parameters follow the same order"),
    (' set m=##class(Demo.Multi).%New() write m.%IsA("Demo.Mixin")', "1",
     "Documatic %Library.Base: %IsA with a secondary superclass"),
    # ---------------------------------------------------------------- %ConstructClone
    (NEW + ' set c=p.%ConstructClone() set c.Name="Copy" write p.Name,"|",c.Name,"|",c',
     "Ann|Copy|2@Demo.Person", "Documatic %RegisteredObject: %ConstructClone"),
    (NEW + ' do p.Tags.Insert("a") set c=p.%ConstructClone(1) do c.Tags.Insert("b") '
     'write p.Tags.Count(),c.Tags.Count()', "12",
     "Documatic %RegisteredObject: %ConstructClone(1) copies the collections"),
    # ---------------------------------------------------------------- %Status in classes
    (' set sc=##class(Demo.Person).Fails() write $system.Status.GetErrorText(sc)',
     "ERROR #5001: it failed", "GOBJ_status: $$$ERROR($$$GeneralError, msg)"),
    (' write ##class(Demo.Person).Check()', "ERROR #5001: it failed",
     "%occStatus.inc: $$$ThrowOnError throws a StatusException"),
    # ---------------------------------------------------------------- exceptions
    (' write ##class(Demo.Thrower).Go("mine")', "Demo.MyError|Custom|77",
     "GCOS_exceptions: a subclass of %Exception.AbstractException"),
    (' write ##class(Demo.Thrower).Go("sys")', "%Exception.SystemException|<DIVIDE>|18",
     "Documatic %Exception.SystemException"),
    (' write ##class(Demo.Thrower).Go("status")', "%Exception.StatusException|ERROR #5001|5001",
     "%occStatus.inc: $$$ThrowStatus"),
    (' write ##class(Demo.Thrower).Go("none")', "ok", "RCOS_ctry"),
    (' set e=##class(Demo.MyError).%New("N",3) write e.Describe()', "MyError:N:3",
     "GCOS_exceptions: methods of a custom exception"),
    (' do ##class(Demo.Thrower).Uncaught()', "[<THROW>zUncaught+1^Demo.Thrower.1 Out 5  ]",
     "RCOS_cthrow: an uncaught THROW ends the line with <THROW>"),
]


@pytest.mark.parametrize(("src", "expected", "origin"), CASES,
                         ids=[str(c[0])[:70] for c in CASES])
def test_class_cases(tmp_path: Path, src: list[str] | str, expected: str, origin: str) -> None:
    assert origin
    assert WS.run(tmp_path, src) == expected


# ------------------------------------------------------------------ %Persistent

def test_save_assigns_ids_and_writes_the_data_global(tmp_path: Path) -> None:
    # GOBJ_persobj_save: %Save gives the next id from the IdLocation counter; the data node
    # is $LB(%%CLASSNAME, properties in storage order); compiler.md §4.5 default storage
    p = WS.process(tmp_path)
    p.execute(' set a=##class(Demo.Person).%New("Di") set a.Age=15 set sc=a.%Save()')
    p.execute(' set b=##class(Demo.Person).%New("Ed") set sc2=b.%Save()')
    p.execute(' write sc,sc2,a.%Id(),b.%Id()')
    assert p.device.take() == "1112"  # type: ignore[attr-defined]
    p.execute(' write ^Demo.PersonD,"|",$listtostring(^Demo.PersonD(1),"/",1)')
    # %%CLASSNAME "" for the root class, Name, Age (stored 2*15), Tags (empty list);
    # Upper is Calculated and Hits Transient: not stored
    assert p.device.take() == "2|/Di/30/"  # type: ignore[attr-defined]


def test_open_id_reads_the_object_back(tmp_path: Path) -> None:
    # GOBJ_persobj_open: %OpenId(id) gives a new oref with the stored values
    p = WS.process(tmp_path)
    p.execute(' set a=##class(Demo.Person).%New("Fay") do a.Tags.Insert("t1") do a.%Save()')
    p.execute(' kill a set o=##class(Demo.Person).%OpenId(1)')
    p.execute(' write o.Name,"|",o.Tags.GetAt(1),"|",o.%Id(),"|",$classname(o)')
    assert p.device.take() == "Fay|t1|1|Demo.Person"  # type: ignore[attr-defined]


def test_open_id_of_a_missing_object(tmp_path: Path) -> None:
    # Documatic %Library.Persistent: %OpenId returns "" and sets the status argument
    p = WS.process(tmp_path)
    p.execute(' set o=##class(Demo.Person).%OpenId(42,,.sc) write o="","|"')
    p.execute(' write $system.Status.GetErrorText(sc)')
    assert p.device.take() == ("1|ERROR #5809: Object to load not found, class "  # type: ignore[attr-defined]
                               "'Demo.Person', ID '42'")


def test_exists_delete_and_kill_extent(tmp_path: Path) -> None:
    # Documatic %Library.Persistent: %ExistsId, %DeleteId, %KillExtent
    p = WS.process(tmp_path)
    p.execute(' for n="a","b" { set o=##class(Demo.Person).%New(n) do o.%Save() }')
    p.execute(' write ##class(Demo.Person).%ExistsId(1),##class(Demo.Person).%ExistsId(3)')
    p.execute(' write ##class(Demo.Person).%DeleteId(1),##class(Demo.Person).%ExistsId(1)')
    p.execute(' write $system.Status.IsError(##class(Demo.Person).%DeleteId(1))')
    p.execute(' do ##class(Demo.Person).%KillExtent() write $data(^Demo.PersonD)')
    assert p.device.take() == "1010" + "1" + "0"  # type: ignore[attr-defined]


def test_saving_again_keeps_the_id(tmp_path: Path) -> None:
    # GOBJ_persobj_save: a saved object keeps its id; %Save again updates the node
    p = WS.process(tmp_path)
    p.execute(' set a=##class(Demo.Person).%New("G") do a.%Save() set a.Name="H" do a.%Save()')
    p.execute(' write a.%Id(),^Demo.PersonD,##class(Demo.Person).%OpenId(1).Name')
    assert p.device.take() == "11H"  # type: ignore[attr-defined]


def test_subclass_shares_the_extent_of_its_root(tmp_path: Path) -> None:
    # compiler.md §4.5: a subclass's own properties go under subscript "Short"; the
    # %%CLASSNAME slot names the subclass; %OpenId through the root class opens the subclass
    p = WS.process(tmp_path)
    p.execute(' set s=##class(Demo.Student).%New("Ivy") set s.School="MIT" do s.%Save()')
    p.execute(' write $list(^Demo.PersonD(1),1),"|",$list(^Demo.PersonD(1,"Student"),1)')
    p.execute(' set o=##class(Demo.Person).%OpenId(1) write "|",$classname(o),o.School')
    assert p.device.take() == "~Demo.Student~|MIT|Demo.StudentMIT"  # type: ignore[attr-defined]


def test_storage_definition_of_the_class_text_is_used(tmp_path: Path) -> None:
    # compiler.md §4.5: DataLocation/IdLocation and the <Value> order come from the Storage
    p = WS.process(tmp_path)
    p.execute(' set i=##class(Demo.Item).%New() set i.Title="Pen",i.Qty=3 do i.%Save()')
    p.execute(' write $listtostring(^Demo.ItemData(1),"/",1),"|",^Demo.ItemData')
    assert p.device.take() == "/3/Pen/|1"  # type: ignore[attr-defined]


def test_a_persistent_reference_is_saved_and_stored_as_its_id(tmp_path: Path) -> None:
    # GOBJ_persobj_save: %Save saves the objects it refers to and stores their ids
    p = WS.process(tmp_path)
    p.execute(' set i=##class(Demo.Item).%New(),i.Title="Cup",i.Owner=##class(Demo.Person)'
              '.%New("Jo") do i.%Save()')
    p.execute(' write $list(^Demo.ItemData(1),4),"|",i.Owner.%Id()')
    p.execute(' set j=##class(Demo.Item).%OpenId(1) write "|",j.Owner.Name')
    assert p.device.take() == "1|1|Jo"  # type: ignore[attr-defined]


def test_class_text_changes_are_seen_by_the_next_lookup(tmp_path: Path) -> None:
    # a class compiled again: the loader gives a new model, the runtime reads it again
    ws = Workspace("Class Demo.V { Parameter P = 1; }")
    p = ws.process(tmp_path)
    p.execute(" write ##class(Demo.V).#P")
    new = Workspace("Class Demo.V { Parameter P = 2; }")
    ws.models.update(new.models)
    p.execute(" write ##class(Demo.V).#P")
    assert p.device.take() == "12"  # type: ignore[attr-defined]


def test_call_entry_point_on_a_class(tmp_path: Path) -> None:
    # Process.call("##class(C).M") goes through the same dispatch
    p = WS.process(tmp_path)
    assert p.call("##class(Demo.Person).Who") == "Demo.Person"
    obj = p.call("##class(Demo.Person).%New", ["Lu"])
    assert p.objects.get_prop(obj, "Name") == "Lu"


def test_server_classes_read_the_class_text_once_per_version() -> None:
    # host.server_classes: the worker asks the server for "<Class>.cls" through the pipe
    from compiler_stub.runtime.host import server_classes

    class Pipe:
        def __init__(self) -> None:
            self.asked: list[Any] = []
            self.version = "v1"

        def ask(self, message: Any, kind: str) -> tuple[str, str, str | None, str]:
            self.asked.append(message)
            if message[1] != "Demo.V.cls":
                return ("doc", message[1], None, "")
            return ("doc", message[1], "Class Demo.V { Parameter P = 1; }", self.version)

    pipe = Pipe()
    classes = server_classes(pipe)
    first_model = classes("Demo.V")
    assert first_model is not None and first_model.name == "Demo.V"
    assert classes("Demo.V") is first_model and len(pipe.asked) == 1   # same line
    classes.new_line()
    assert classes("Demo.V") is first_model and len(pipe.asked) == 2   # same version
    assert classes("Demo.None") is None
